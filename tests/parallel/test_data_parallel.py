"""Data-parallel training through the real programs (src/parallel): --nproc 2 starts two MPI ranks
with mpirun on this machine.

- Two ranks train LeNet-5 (with BatchNorm) for a few steps and match one process with the same global
  batch: the per-epoch loss and accuracy, and every weight, within float tolerance.
- The artifact records the world size; the noise and retrain programs train on two ranks too.
- A rank killed mid-training stops every rank: non-zero exit, a message, no artifact and no temporary
  file left.

Needs AXNN_BIN (the built programs), mpirun (openmpi-bin) and the project's Python (h5py, numpy).
"""
import json
import os
import subprocess
import time

import h5py
import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("AXNN_BIN", os.path.join(ROOT, "build", "bin"))
FMNIST = "/usr/share/datasets/fashion-mnist"
# A few SGD steps without momentum: the two runs differ only by the order of floating-point sums.
TRAIN = ["--set", "epochs=2", "--set", "batch_size=64", "--set", "optimizer.momentum=0", "--threads", "1",
         "--seed", "5"]


def axnn(program, *args, check=True):
    r = subprocess.run([os.path.join(BIN, f"axnn-{program}"), *map(str, args)], capture_output=True, text=True,
                       timeout=300)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def weights(path):
    with h5py.File(path) as f:
        return {k: f["params"][k][()] for k in f["params"]}


def created_by(path):
    with h5py.File(path) as f:
        return json.loads(f.attrs["created_by"])


def history(path):
    with h5py.File(path) as f:
        return json.loads(f.attrs["history"])


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("dp")
    # 270 training images: 5 global batches of 64 and one of 14 per epoch.
    axnn("data", "fashion-mnist", FMNIST, "-o", d / "data.h5", "--limit-train", 300, "--limit-test", 100, "--seed", 1)
    return d


@pytest.fixture(scope="module")
def one_and_two(data):
    for n in (1, 2):
        axnn("train", "-d", data / "data.h5", "--arch", "lenet5", *TRAIN, "--nproc", n, "-o", data / f"n{n}.h5")
    return data / "n1.h5", data / "n2.h5"


def test_two_ranks_match_one_process(one_and_two):
    one, two = one_and_two
    h1, h2 = history(one), history(two)
    assert len(h1) == len(h2) == 2
    for a, b in zip(h1, h2):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5), (a, b)
        assert b["accuracy"] == pytest.approx(a["accuracy"], abs=1e-9), (a, b)
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-5), (a, b)
    w1, w2 = weights(one), weights(two)
    assert w1.keys() == w2.keys()
    for k in w1:
        if w1[k].dtype.kind == "f":
            scale = max(float(np.abs(w1[k]).max()), 1e-3)
            assert float(np.abs(w1[k] - w2[k]).max()) <= 1e-4 * scale, k
        else:
            assert np.array_equal(w1[k], w2[k]), k
    # Training really moved the weights (the comparison is not between two untouched models).
    assert np.abs(weights(one)["conv1.weight"]).sum() > 0


def test_artifact_records_world_size(one_and_two):
    one, two = one_and_two
    assert created_by(one)["world_size"] == 1
    assert created_by(two)["world_size"] == 2
    assert "--nproc 2" in created_by(two)["command_line"]


def test_noise_and_retrain_on_two_ranks(data, one_and_two):
    one, _ = one_and_two
    d = data
    axnn("train", "-d", d / "data.h5", "--from", one, "--mode", "quant", "--set", "epochs=1", "-o", d / "q.h5")
    axnn("noise", "-d", d / "data.h5", "-m", d / "q.h5", "--set", "epochs=1", "--nproc", 2, "-o", d / "noise.h5")
    assert created_by(d / "noise.h5")["world_size"] == 2
    axnn("mult", "build", "-o", d / "lib.h5")
    axnn("sample", "-d", d / "data.h5", "-m", d / "q.h5", "--set", "images=16", "-o", d / "refs.h5")
    axnn("match", "-r", d / "refs.h5", "-l", d / "lib.h5", "-o", d / "match.h5")
    axnn("deploy", "-m", d / "q.h5", "--matching", d / "match.h5", "-l", d / "lib.h5", "-d", d / "data.h5",
         "--set", "bn_adaptation.images=200", "--set", "bn_adaptation.batch_size=32", "-o", d / "dep.h5")
    # BatchNorm adaptation on two ranks (each half of every batch, statistics summed) matches one process.
    axnn("deploy", "-m", d / "q.h5", "--matching", d / "match.h5", "-l", d / "lib.h5", "-d", d / "data.h5",
         "--set", "bn_adaptation.images=200", "--set", "bn_adaptation.batch_size=32", "--nproc", 2, "-o", d / "dep2.h5")
    assert created_by(d / "dep2.h5")["world_size"] == 2
    with h5py.File(d / "q.h5") as q, h5py.File(d / "dep.h5") as one_rank, h5py.File(d / "dep2.h5") as two_ranks:
        for bn in ("bn1", "bn2"):
            for stat in ("running_mean", "running_var"):
                a, b = one_rank[f"params/{bn}.{stat}"][()], two_ranks[f"params/{bn}.{stat}"][()]
                assert np.allclose(a, b, rtol=1e-4, atol=1e-5), (bn, stat, a, b)
                assert not np.array_equal(a, q[f"params/{bn}.{stat}"][()]), (bn, stat)
    axnn("retrain", "-d", d / "data.h5", "-m", d / "dep.h5", "--set", "epochs=1", "--nproc", 2, "-o", d / "re.h5")
    assert created_by(d / "re.h5")["world_size"] == 2
    assert len(history(d / "re.h5")) == 1


def rank_pid(output, rank):
    """The pid of the rank `rank` training into `output` (an mpirun child), or None."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        if str(output).encode() in cmd and f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return int(pid)
    return None


def test_a_failing_rank_stops_every_rank_and_leaves_nothing(data):
    out = data / "killed" / "model.h5"
    out.parent.mkdir()
    proc = subprocess.Popen([os.path.join(BIN, "axnn-train"), "-d", str(data / "data.h5"), "--arch", "lenet5",
                             "--set", "epochs=500", "--threads", "1", "--nproc", "2", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pid = None
    for _ in range(300):
        pid = rank_pid(out, 1)
        if pid:
            break
        time.sleep(0.1)
    assert pid, "rank 1 never started"
    time.sleep(1.5)  # inside the training loop
    os.kill(pid, 9)
    text, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0, text
    assert "rank 1" in text, text
    assert os.listdir(out.parent) == [], os.listdir(out.parent)
    assert rank_pid(out, 0) is None, "rank 0 outlived the failed rank"


def test_nproc_needs_a_positive_count(data):
    r = axnn("train", "-d", data / "data.h5", "--arch", "lenet5", "--nproc", 0, "-o", data / "x.h5", check=False)
    assert r.returncode == 2 and "--nproc" in r.stdout + r.stderr
