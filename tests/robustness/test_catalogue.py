"""The catalogue of bad inputs and faults: every program, run as a careless user or a hostile file would
run it. Each case asserts the exit code (2: bad usage, config or input; 1: runtime failure such as a
full disk), that the message names the file and the key, field or layer, and that nothing is left
behind in the output folder, hidden temporary files included.

Needs AXNN_BIN (the built programs) and the project's Python (h5py, numpy). The full-disk cases mount
a small tmpfs and run only as root; the signal cases use the AXNN_DEBUG_WRITE_PAUSE test hook.
"""
import json
import os
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("AXNN_BIN", os.path.join(ROOT, "build", "bin"))
FMNIST = "/usr/share/datasets/fashion-mnist"


def axnn(program, *args, env=None, cwd=None):
    r = subprocess.run([os.path.join(BIN, f"axnn-{program}"), *map(str, args)], capture_output=True, text=True,
                       env={**os.environ, **(env or {})}, cwd=cwd, timeout=300)
    return r.returncode, r.stdout + r.stderr


def fill(text, subs):
    """{name} placeholders of `subs` filled in; other braces (YAML flow maps) stay."""
    for k, v in subs.items():
        text = text.replace("{" + k + "}", str(v))
    return text


def listing(folder):
    return sorted(os.listdir(folder))


# ---- good artifacts, made once ----

@pytest.fixture(scope="session")
def good(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    g = {k: str(d / f"{k}.h5") for k in ("data", "lib", "base", "quant", "refs", "match", "deployed", "ranking", "pruned")}
    steps = [
        ("data", "fashion-mnist", FMNIST, "-o", g["data"], "--limit-train", 300, "--limit-test", 100),
        ("mult", "build", "-o", g["lib"]),
        ("train", "-d", g["data"], "--arch", "lenet5", "--set", "epochs=1", "--threads", 2, "-o", g["base"]),
        ("train", "-d", g["data"], "--from", g["base"], "--mode", "quant", "--set", "epochs=1", "-o", g["quant"]),
        ("sample", "-d", g["data"], "-m", g["quant"], "--set", "images=16", "-o", g["refs"]),
        ("match", "-r", g["refs"], "-l", g["lib"], "-o", g["match"]),
        ("deploy", "-m", g["quant"], "--matching", g["match"], "-l", g["lib"], "-d", g["data"],
         "--set", "bn_adaptation.images=200", "-o", g["deployed"]),
        ("rank", "-d", g["data"], "-m", g["quant"], "--set", "population=2", "--set", "generations=1", "--set", "steps=1",
         "--set", "val_images=20", "-o", g["ranking"]),
        ("prune", "-m", g["quant"], "-r", g["ranking"], "--set", "target=0.6", "-o", g["pruned"]),
    ]
    for program, *args in steps:
        code, out = axnn(program, *args)
        assert code == 0, out
    return g


def tampered(good, key, tmp_path, edit, name=None):
    """A copy of a good artifact with `edit(h5py.File)` applied."""
    path = str(tmp_path / (name or f"bad-{key}.h5"))
    shutil.copy(good[key], path)
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def replace_dataset(f, path, data):
    attrs = dict(f[path].attrs)
    del f[path]
    f[path] = data
    for k, v in attrs.items():
        f[path].attrs[k] = v


def first_layer_with_table(f):
    for name in f["layers"]:
        if "lut" in f["layers"][name]:
            return name
    raise AssertionError("no deployed table")


def check(code, out, expected_code, *texts, folder=None, before=None):
    assert code == expected_code, f"exit {code}, expected {expected_code}:\n{out}"
    for t in texts:
        assert t in out, f"message does not say {t!r}:\n{out}"
    assert "terminate called" not in out and "Traceback" not in out, out
    if folder is not None:
        assert listing(folder) == before, f"left behind: {set(listing(folder)) - set(before)}"


# ---- arguments and configs ----

ARGUMENT_CASES = [
    ("seed -1", ["train", "-d", "{data}", "--arch", "lenet5", "--seed", "-1", "-o", "{out}"], 2, ["--seed"]),
    ("lr 1e999", ["train", "-d", "{data}", "--arch", "lenet5", "--set", "optimizer.lr=1e999", "-o", "{out}"], 2,
     ["--set optimizer.lr", "out of the range"]),
    ("unknown key", ["train", "-d", "{data}", "--arch", "lenet5", "--set", "optimizr.lr=0.1", "-o", "{out}"], 2,
     ["optimizr", "unknown key"]),
    ("negative epochs", ["train", "-d", "{data}", "--arch", "lenet5", "--set", "epochs=-1", "-o", "{out}"], 2, ["epochs"]),
    ("epochs a string", ["train", "-d", "{data}", "--arch", "lenet5", "--set", "epochs=many", "-o", "{out}"], 2,
     ["epochs", "expected"]),
    ("NaN lr", ["train", "-d", "{data}", "--arch", "lenet5", "--set", "optimizer.lr=.nan", "-o", "{out}"], 2, ["optimizer.lr"]),
    ("unknown arch", ["train", "-d", "{data}", "--arch", "lenet6", "-o", "{out}"], 2, ["lenet6"]),
    ("arch and from", ["train", "-d", "{data}", "--arch", "lenet5", "--from", "{base}", "-o", "{out}"], 2, ["--from"]),
    ("missing output folder", ["train", "-d", "{data}", "--arch", "lenet5", "-o", "{tmp}/no/such/dir/m.h5"], 2,
     ["output folder", "no/such/dir"]),
    ("limit-train -5", ["data", "fashion-mnist", FMNIST, "--limit-train", "-5", "-o", "{out}"], 2, ["--limit-train"]),
    ("val-fraction 2", ["data", "fashion-mnist", FMNIST, "--val-fraction", "2", "-o", "{out}"], 2, ["--val-fraction"]),
    ("unknown data set", ["data", "imagenet", FMNIST, "-o", "{out}"], 2, ["imagenet"]),
    ("missing data folder", ["data", "mnist", "{tmp}/nowhere", "-o", "{out}"], 2, ["nowhere"]),
    ("match populations 0", ["match", "-r", "{refs}", "-l", "{lib}", "--set", "populations=0", "-o", "{out}"], 2,
     ["populations"]),
    ("match unknown estimator", ["match", "-r", "{refs}", "-l", "{lib}", "--set", "estimator=guess", "-o", "{out}"], 2,
     ["estimator", "guess"]),
    ("deploy unknown setting", ["deploy", "-m", "{quant}", "--matching", "{match}", "-l", "{lib}", "--set",
                                "bias_compensaton=true", "-o", "{out}"], 2, ["bias_compensaton", "unknown key"]),
    ("deploy BatchNorm model without dataset", ["deploy", "-m", "{quant}", "--matching", "{match}", "-l", "{lib}", "-o",
                                               "{out}"], 2, ["BatchNorm", "-d DATA.h5", "bn_adaptation.images=0"]),
    ("deploy bn images -1", ["deploy", "-m", "{quant}", "--matching", "{match}", "-l", "{lib}", "-d", "{data}", "--set",
                             "bn_adaptation.images=-1", "-o", "{out}"], 2, ["bn_adaptation.images"]),
    ("deploy bn images 2.5", ["deploy", "-m", "{quant}", "--matching", "{match}", "-l", "{lib}", "-d", "{data}", "--set",
                              "bn_adaptation.images=2.5", "-o", "{out}"], 2, ["bn_adaptation.images", "integer"]),
    ("deploy bn images beyond the split", ["deploy", "-m", "{quant}", "--matching", "{match}", "-l", "{lib}", "-d",
                                           "{data}", "--set", "bn_adaptation.images=100000", "-o", "{out}"], 2,
     ["bn_adaptation.images", "data.h5", "holds 270"]),
    ("search bn images beyond the split", ["search", "--matching", "{match}", "-m", "{quant}", "-l", "{lib}", "-d",
                                           "{data}", "--set", "criterion=sigma", "--set", "budget=1", "--set",
                                           "bn_adaptation.images=100000", "-o", "{out}"], 2, ["bn_adaptation.images"]),
    ("search candidates 0", ["search", "--matching", "{match}", "-m", "{quant}", "-l", "{lib}", "-d", "{data}", "--set",
                             "criterion=sigma", "--set", "candidates=0", "-o", "{out}"], 2, ["candidates"]),
    ("search unknown candidates_from", ["search", "--matching", "{match}", "-m", "{quant}", "-l", "{lib}", "-d", "{data}",
                                        "--set", "criterion=sigma", "--set", "candidates_from=best", "-o", "{out}"], 2,
     ["candidates_from", "best"]),
    ("search hessian without sensitivity", ["search", "--matching", "{match}", "-m", "{quant}", "-l", "{lib}", "-d",
                                            "{data}", "-o", "{out}"], 2, ["criterion hessian", "--sensitivity"]),
    ("search impossible budget", ["search", "--matching", "{match}", "-m", "{quant}", "-l", "{lib}", "-d", "{data}",
                                  "--set", "criterion=sigma", "--set", "budget=0", "-o", "{out}"], 2,
     ["E_rel <= 0", "lowest reachable"]),
    ("search on another model", ["search", "--matching", "{match}", "-m", "{base}", "-l", "{lib}", "-d", "{data}",
                                 "--set", "criterion=sigma", "--set", "budget=1", "-o", "{out}"], 2,
     ["the matching was made for the model"]),
    ("search without a val split", ["search", "--matching", "{match}", "-m", "{quant}", "-l", "{lib}", "-d",
                                    "{tmp}/noval.h5", "--set", "criterion=sigma", "--set", "budget=1", "-o", "{out}"], 2,
     ["noval.h5", "no validation images", "never on test"]),
    ("prune target 0", ["prune", "-m", "{quant}", "-r", "{ranking}", "--set", "target=0", "-o", "{out}"], 2,
     ["target", "must be > 0"]),
    ("prune target 1.5", ["prune", "-m", "{quant}", "-r", "{ranking}", "--set", "target=1.5", "-o", "{out}"], 2,
     ["target", "must be ≤ 1"]),
    ("prune target below the constraints", ["prune", "-m", "{quant}", "-r", "{ranking}", "--set", "target=0.001", "-o",
                                            "{out}"], 2, ["target: 0.001", "one filter left in every prunable layer"]),
    ("prune a deployed model", ["prune", "-m", "{deployed}", "-r", "{ranking}", "-o", "{out}"], 2,
     ["{deployed}", "is deployed", "prune before the deploy step"]),
    ("prune with a ranking of another model", ["prune", "-m", "{pruned}", "-r", "{ranking}", "-o", "{out}"], 2,
     ["{ranking}", "learned on a lenet5 with filters", "{pruned}"]),
    ("prune with a model as ranking", ["prune", "-m", "{quant}", "-r", "{base}", "-o", "{out}"], 2,
     ["{base}", "ranking"]),
    ("rank a deployed model", ["rank", "-m", "{deployed}", "-d", "{data}", "-o", "{out}"], 2,
     ["{deployed}", "is deployed"]),
    ("rank without a val split", ["rank", "-m", "{quant}", "-d", "{tmp}/noval.h5", "-o", "{out}"], 2,
     ["noval.h5", "no validation images", "never on test"]),
    ("rank population 1", ["rank", "-m", "{quant}", "-d", "{data}", "--set", "population=1", "-o", "{out}"], 2,
     ["population"]),
    ("retrain unknown gradient", ["retrain", "-m", "{deployed}", "-d", "{data}", "--set", "gradient=finite", "-o",
                                  "{out}"], 2, ["gradient", "finite"]),
    ("train gradient on a baseline", ["train", "-d", "{data}", "--arch", "lenet5", "--set", "gradient=table", "-o",
                                      "{out}"], 2, ["gradient", "unknown key"]),
    ("retrain with calibration epochs", ["retrain", "-m", "{deployed}", "-d", "{data}", "--set", "calibration_epochs=1",
                                         "-o", "{out}"], 2, ["calibration_epochs", "unknown key"]),
    ("train nproc 0", ["train", "-d", "{data}", "--arch", "lenet5", "--nproc", "0", "-o", "{out}"], 2, ["--nproc"]),
    ("eval without output", ["eval", "-m", "{base}", "-d", "{data}"], 2, ["--output"]),
    ("eval unknown split", ["eval", "-m", "{base}", "-d", "{data}", "--split", "dev", "--json", "{out}"], 2, ["dev"]),
    ("mult name '.'", ["mult", "import", "{tmp}/t.csv", "--power", "0.5", "--name", ".", "-o", "{out}"], 2, ["'.'"]),
    ("mult show unknown", ["mult", "show", "{lib}", "mul8s_nope"], 2, ["mul8s_nope", "{lib}"]),
    ("mult filter bad regex", ["mult", "filter", "{lib}", "--name", "(", "-o", "{out}"], 2, ["filter.names"]),
    ("mult compose missing source", ["mult", "compose", "--set", "sources=[{artifact: /no/lib.h5}]", "-o", "{out}"], 2,
     ["sources[0]", "/no/lib.h5"]),
    ("mult compose two kinds", ["mult", "compose", "--set", "sources=[{builtin: default, table: t.npy}]", "-o", "{out}"], 2,
     ["sources[0]", "exactly one"]),
    ("mult build unknown family", ["mult", "build", "-c", "{tmp}/fam.yaml", "-o", "{out}"], 2, ["fam.yaml", "famly"]),
    ("schema write missing folder", ["schema", "--write", "{tmp}/no/such"], 2, ["no/such"]),
    ("duplicate YAML key", ["train", "-d", "{data}", "--arch", "lenet5", "-c", "{tmp}/dup.yaml", "-o", "{out}"], 2,
     ["dup.yaml", "line 2", "'epochs' is given twice"]),
    ("YAML syntax", ["train", "-d", "{data}", "--arch", "lenet5", "-c", "{tmp}/broken.yaml", "-o", "{out}"], 2,
     ["broken.yaml", "line"]),
    ("CSV cell too large", ["mult", "import", "{tmp}/big.csv", "--power", "0.5", "-o", "{out}"], 2,
     ["big.csv", "row 1, column 1", "99999999999", "outside"]),
    ("CSV not a number", ["mult", "import", "{tmp}/word.csv", "--power", "0.5", "-o", "{out}"], 2,
     ["word.csv", "row 2, column 3", "'x'"]),
    ("npy float table", ["mult", "import", "{tmp}/float.npy", "--power", "0.5", "-o", "{out}"], 2, ["float.npy", "dtype"]),
    ("npy int32 out of range", ["mult", "import", "{tmp}/huge.npy", "--power", "0.5", "-o", "{out}"], 2,
     ["huge.npy", "outside"]),
    ("table power NaN", ["mult", "import", "{tmp}/t.csv", "--power", "nan", "-o", "{out}"], 2,
     ["--power", "'nan' is not a finite number"]),
    ("corrupt gzip", ["data", "fashion-mnist", "{tmp}/badgz", "-o", "{out}"], 2, ["corrupt gzip data", "badgz"]),
]


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    t = tmp_path_factory.mktemp("inputs")
    np.savetxt(t / "t.csv", np.add.outer(np.arange(-128, 128), np.zeros(256)).astype(int), fmt="%d", delimiter=",")
    rows = [",".join(["0"] * 256)] * 256
    (t / "big.csv").write_text("\n".join(["99999999999" + "," + ",".join(["0"] * 255)] + rows[1:]) + "\n")
    (t / "word.csv").write_text("\n".join([rows[0], "0,0,x," + ",".join(["0"] * 253)] + rows[2:]) + "\n")
    np.save(t / "float.npy", np.zeros((256, 256), np.float32))
    huge = np.zeros((256, 256), np.int32)
    huge[3, 4] = 2**31 - 1
    np.save(t / "huge.npy", huge)
    code, out = axnn("data", "fashion-mnist", FMNIST, "--val-fraction", "0", "--limit-train", 100, "--limit-test", 50,
                     "-o", t / "noval.h5")
    assert code == 0, out
    (t / "fam.yaml").write_text("name: f\nmultipliers: [{famly: drum}]\n")
    (t / "dup.yaml").write_text("epochs: 1\nepochs: 2\n")
    (t / "broken.yaml").write_text("optimizer: {lr: 0.1\n")
    bad = t / "badgz"
    bad.mkdir()
    for name in os.listdir(FMNIST):
        shutil.copy(os.path.join(FMNIST, name), bad / name)
    data = (bad / "train-images-idx3-ubyte.gz").read_bytes()
    (bad / "train-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2] + b"\0" * 64)
    return t


@pytest.mark.parametrize("name, argv, code, texts", ARGUMENT_CASES, ids=[c[0] for c in ARGUMENT_CASES])
def test_arguments_and_configs(good, files, tmp_path, name, argv, code, texts):
    subs = {**good, "tmp": str(files), "out": str(tmp_path / "out.h5")}
    before = listing(tmp_path)
    got, out = axnn(*[fill(a, subs) for a in argv])
    check(got, out, code, *[fill(t, subs) for t in texts], folder=tmp_path, before=before)


# ---- files of the wrong kind, version or content ----

def short_error_offset(f):
    f["layers"]["conv1"].create_dataset("error_offset", data=np.ones(3, dtype=np.float32))


def nan_param(f):
    w = f["params"]["conv1.weight"]
    a = w[...]
    a.flat[5] = np.nan
    w[...] = a


def deployed_lut(value=None, dtype=None):
    def edit(f):
        layer = first_layer_with_table(f)
        lut = f["layers"][layer]["lut"][...]
        if value is not None:
            lut[0, 0] = value
        replace_dataset(f, f"layers/{layer}/lut", lut.astype(dtype or np.int32))
    return edit


def library_lut(dtype=None, value=None):
    def edit(f):
        lut = f["multipliers/trunc6/lut"][...]
        if value is not None:
            lut[1, 2] = value
        replace_dataset(f, "multipliers/trunc6/lut", lut.astype(dtype or np.int32))
    return edit


def set_attr(path, key, value):
    def edit(f):
        (f[path] if path else f).attrs[key] = value
    return edit


def labels(split, value):
    def edit(f):
        a = f[f"{split}/labels"][...]
        a[0] = value
        f[f"{split}/labels"][...] = a
    return edit


def empty_test(f):
    for k in ("images", "labels"):
        data = f[f"test/{k}"][...][:0]
        replace_dataset(f, f"test/{k}", data)


def refs_sigma_nan(f):
    layer = list(f["layers"])[0]
    f["layers"][layer].attrs["sigma"] = np.nan


FILE_CASES = [
    # (name, artifact to tamper, edit, argv with {bad}, code, texts)
    ("model NaN weight (eval)", "base", nan_param, ["eval", "-m", "{bad}", "-d", "{data}", "--json", "{out}"], 2,
     ["{bad}", "'params/conv1.weight' holds nan at flat index 5"]),
    ("model NaN weight (sample)", "quant", nan_param, ["sample", "-d", "{data}", "-m", "{bad}", "-o", "{out}"], 2,
     ["{bad}", "'params/conv1.weight' holds nan at flat index 5"]),
    ("model NaN weight (sensitivity)", "quant", nan_param,
     ["sensitivity", "-d", "{data}", "-m", "{bad}", "--set", "samples=8", "-o", "{out}"], 2,
     ["{bad}", "'params/conv1.weight' holds nan at flat index 5"]),
    ("bias compensation of the wrong length", "deployed", short_error_offset,
     ["eval", "-m", "{bad}", "-d", "{data}", "--json", "{out}"], 2, ["{bad}", "layers/conv1/error_offset"]),
    ("model NaN weight (retrain)", "deployed", nan_param, ["retrain", "-d", "{data}", "-m", "{bad}", "-o", "{out}"], 2,
     ["{bad}", "'params/conv1.weight' holds nan at flat index 5"]),
    ("deployed table INT32_MAX", "deployed", deployed_lut(value=2**31 - 1),
     ["eval", "-m", "{bad}", "-d", "{data}", "--json", "{out}"], 2, ["{bad}", "/lut", "2147483647", "outside"]),
    ("deployed table as float", "deployed", deployed_lut(dtype=np.float32),
     ["eval", "-m", "{bad}", "-d", "{data}", "--json", "{out}"], 2, ["{bad}", "lut", "float32"]),
    ("deployed table as int64", "deployed", deployed_lut(dtype=np.int64),
     ["eval", "-m", "{bad}", "-d", "{data}", "--json", "{out}"], 2, ["{bad}", "lut", "int64"]),
    ("library lut int8", "lib", library_lut(dtype=np.int8), ["match", "-r", "{refs}", "-l", "{bad}", "-o", "{out}"], 2,
     ["{bad}", "multipliers/trunc6/lut", "int8"]),
    ("library lut float", "lib", library_lut(dtype=np.float64), ["deploy", "-m", "{quant}", "--matching", "{match}",
                                                                 "-l", "{bad}", "-o", "{out}"], 2, ["{bad}", "float64"]),
    ("library lut int64", "lib", library_lut(dtype=np.int64), ["mult", "list", "{bad}"], 2, ["{bad}", "int64"]),
    ("library value out of range", "lib", library_lut(value=100000), ["match", "-r", "{refs}", "-l", "{bad}", "-o", "{out}"],
     2, ["{bad}", "trunc6", "100000", "outside"]),
    ("library stored WCE wrong", "lib", set_attr("multipliers/trunc6", "wce", 49.0), ["mult", "list", "{bad}"], 2,
     ["{bad}", "trunc6", "stored wce = 49"]),
    ("dataset class names that are numbers", "data", set_attr("", "classes", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"),
     ["eval", "-m", "{base}", "-d", "{bad}", "--json", "{out}"], 2, ["{bad}", "classes", "another shape"]),
    ("inspect dataset class names that are numbers", "data", set_attr("", "classes", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"),
     ["inspect", "{bad}"], 2, ["{bad}", "malformed dataset artifact"]),
    ("library order of numbers", "lib", set_attr("", "order", "[1, 2]"), ["mult", "list", "{bad}"], 2,
     ["{bad}", "order"]),
    ("library negative power", "lib", set_attr("multipliers/trunc6", "power", -1.0),
     ["match", "-r", "{refs}", "-l", "{bad}", "-o", "{out}"], 2, ["{bad}", "trunc6", "power"]),
    ("dataset std 0", "data", set_attr("", "std", "[0.0]"), ["eval", "-m", "{base}", "-d", "{bad}", "--json", "{out}"], 2,
     ["{bad}", "std"]),
    ("dataset label 99", "data", labels("test", 99), ["eval", "-m", "{base}", "-d", "{bad}", "--json", "{out}"], 2,
     ["{bad}", "test/labels[0] is 99"]),
    ("dataset label -1 (train)", "data", labels("train", -1),
     ["train", "-d", "{bad}", "--arch", "lenet5", "-o", "{out}"], 2, ["{bad}", "'train/labels' holds -1 at flat index 0"]),
    ("dataset empty test split", "data", empty_test, ["eval", "-m", "{base}", "-d", "{bad}", "--json", "{out}"], 2,
     ["{bad}", "test: the split is empty"]),
    ("refs sigma NaN", "refs", refs_sigma_nan, ["match", "-r", "{bad}", "-l", "{lib}", "-o", "{out}"], 2,
     ["{bad}", "'layers/conv1/sigma' is nan"]),
    ("schema version 99", "base", set_attr("", "schema_version", 99),
     ["eval", "-m", "{bad}", "-d", "{data}", "--json", "{out}"], 2, ["{bad}", "schema version 99"]),
    ("wrong kind", "data", lambda f: None, ["eval", "-m", "{bad}", "-d", "{data}", "--json", "{out}"], 2,
     ["{bad}", "expected an axnn artifact of kind 'model', found kind 'dataset'"]),
    ("missing dataset in model", "base", lambda f: f.__delitem__("params/conv1.weight"),
     ["eval", "-m", "{bad}", "-d", "{data}", "--json", "{out}"], 2, ["{bad}", "params/conv1.weight"]),
    ("library without exact", "lib", lambda f: f.__delitem__("multipliers/exact"),
     ["match", "-r", "{refs}", "-l", "{bad}", "-o", "{out}"], 2, ["{bad}"]),
]


@pytest.mark.parametrize("name, key, edit, argv, code, texts", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_files(good, tmp_path, name, key, edit, argv, code, texts):
    bad = tampered(good, key, tmp_path, edit)
    subs = {**good, "bad": bad, "out": str(tmp_path / "out" / "o.h5")}
    os.mkdir(tmp_path / "out")
    got, out = axnn(*[fill(a, subs) for a in argv])
    # The file must be named; every other text must be in the message itself, not in the file's path
    # (the test's folder name holds words such as "NaN" or "std").
    assert bad in out, out
    texts = [fill(t, subs) for t in texts if t != "{bad}"]
    check(got, out.replace(bad, "<bad>"), code, *texts, folder=tmp_path / "out", before=[])


@pytest.mark.parametrize("content, text", [(b"plain text", "not an HDF5 file"), (None, "not an axnn artifact")])
def test_not_an_artifact(good, tmp_path, content, text):
    path = tmp_path / "x.h5"
    if content is None:
        with h5py.File(path, "w") as f:
            f["a"] = np.zeros(3)
    else:
        path.write_bytes(content)
    for argv in (["inspect", path], ["eval", "-m", path, "-d", good["data"], "--json", tmp_path / "o.json"],
                 ["match", "-r", path, "-l", good["lib"], "-o", tmp_path / "o.h5"],
                 ["diff", path, good["lib"]], ["inspect", "--fields", path]):
        check(*axnn(*argv), 2, str(path), text)
    assert listing(tmp_path) == ["x.h5"]


def test_a_folder_given_as_a_file(good, tmp_path):
    check(*axnn("inspect", tmp_path), 2, str(tmp_path), "is a folder")


# ---- axnn-diff ----

def test_diff_tells_same_from_different(good, tmp_path):
    code, out = axnn("diff", good["lib"], good["lib"])
    check(code, out, 0, "same content")
    other = tampered(good, "base", tmp_path, nan_param)
    code, out = axnn("diff", good["base"], other)
    check(code, out, 1, "/params/conv1.weight", "1 of 150 values differ")
    # provenance and timings aside: a second build of the same library is the same content
    again = str(tmp_path / "lib2.h5")
    assert axnn("mult", "build", "-o", again)[0] == 0
    check(*axnn("diff", good["lib"], again), 0, "same content")


# ---- a full disk ----

@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs with about `fill` bytes taken; skipped where mounting is not allowed."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs (needs root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill_disk(folder, leave):
    """Fills the file system of `folder` up to `leave` free bytes."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    with open(os.path.join(folder, "ballast"), "wb") as f:
        f.write(b"\0" * max(free - leave, 0))


FULL_DISK_CASES = [
    ("mult build", lambda g, o: ["mult", "build", "-o", o]),
    ("train", lambda g, o: ["train", "-d", g["data"], "--from", g["base"], "--set", "epochs=0", "-o", o]),
    ("data", lambda g, o: ["data", "fashion-mnist", FMNIST, "--limit-train", 3000, "--limit-test", 500, "-o", o]),
    ("deploy", lambda g, o: ["deploy", "-m", g["quant"], "--matching", g["match"], "-l", g["lib"], "-d", g["data"],
                             "--set", "bn_adaptation.images=200", "-o", o]),
    ("eval json", lambda g, o: ["eval", "-m", g["base"], "-d", g["data"], "--json", o + ".json"]),
    ("mult compose", lambda g, o: ["mult", "compose", "-o", o]),
]


@pytest.mark.parametrize("leave", [0, 40_000], ids=["full", "nearly-full"])
@pytest.mark.parametrize("name, argv", FULL_DISK_CASES, ids=[c[0] for c in FULL_DISK_CASES])
def test_full_disk(good, small_disk, name, argv, leave):
    """A full disk fails cleanly (exit 1, the output named, nothing left); on a nearly full one an output
    that still fits is written whole, and one that does not fails the same clean way."""
    fill_disk(small_disk, leave)
    before = listing(small_disk)
    code, out = axnn(*argv(good, str(small_disk / "out.h5")))
    if code == 0 and leave:
        written = [n for n in listing(small_disk) if n not in before]
        assert len(written) == 1 and not written[0].startswith("."), written
        path = small_disk / written[0]
        if path.suffix == ".json":
            json.loads(path.read_text())
        else:
            assert axnn("inspect", path)[0] == 0
        return
    check(code, out, 1, "out.h5", folder=small_disk, before=before)


def test_schema_write_on_a_full_disk(small_disk):
    fill_disk(small_disk, 0)
    check(*axnn("schema", "--write", small_disk), 1, str(small_disk), folder=small_disk, before=["ballast"])


# ---- signals ----

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_during_a_write_leaves_nothing(good, tmp_path, sig):
    out = tmp_path / "lib.h5"
    p = subprocess.Popen([os.path.join(BIN, "axnn-mult"), "build", "-o", str(out)],
                         env={**os.environ, "AXNN_DEBUG_WRITE_PAUSE": "5"}, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while not any(n.endswith(".partial") for n in os.listdir(tmp_path)) and time.time() < deadline:
        time.sleep(0.05)
    assert any(n.endswith(".partial") for n in os.listdir(tmp_path)), "the write never started"
    p.send_signal(sig)
    assert p.wait(timeout=20) == -sig  # dies of the signal, as a shell expects
    assert listing(tmp_path) == []


def test_sigkill_leftover_is_removed_by_the_next_run(good, tmp_path):
    out = tmp_path / "lib.h5"
    p = subprocess.Popen([os.path.join(BIN, "axnn-mult"), "build", "-o", str(out)],
                         env={**os.environ, "AXNN_DEBUG_WRITE_PAUSE": "5"})
    deadline = time.time() + 20
    while not os.listdir(tmp_path) and time.time() < deadline:
        time.sleep(0.05)
    p.kill()
    p.wait(timeout=20)
    left = listing(tmp_path)
    assert len(left) == 1 and left[0].endswith(".partial") and not out.exists()  # nothing that looks finished
    code, msg = axnn("mult", "build", "-o", out)
    check(code, msg, 0, "left by an interrupted run")
    assert listing(tmp_path) == ["lib.h5"]
