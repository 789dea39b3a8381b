"""The second catalogue: inputs that try to exhaust the machine or outlive their program, option values
that are not numbers, errors in the right class (2: bad input, 1: runtime failure) with the file or key
named, and two experiments aimed at one results folder. Like test_catalogue.py, each case checks the
exit code, the message, that nothing is left behind, and that no traceback or abort shows.

Needs AXNN_BIN. The EvoApproxLib cases use a model from $AXNN_EVOAPPROXLIB (default
../shared/evoapproxlib; skipped when absent); the full-TMPDIR case mounts a tmpfs (root only)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import h5py
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_catalogue import BIN, ROOT, axnn, check, good, listing, small_disk  # noqa: E402,F401 (fixtures)

EVO = os.environ.get("AXNN_EVOAPPROXLIB", os.path.join(ROOT, "..", "shared", "evoapproxlib"))
EVO_MODEL = os.path.join(EVO, "multiplers", "8x8_signed", "pareto_pwr_wce", "mul8s_1KV6.c")
needs_evo = pytest.mark.skipif(not os.path.exists(EVO_MODEL), reason=f"no EvoApproxLib model at {EVO_MODEL}")


def alias_bomb(levels=9):
    """A config of about 500 bytes whose aliases expand to 10**levels values."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def configs(tmp_path_factory):
    t = tmp_path_factory.mktemp("configs")
    (t / "bomb.yaml").write_text(alias_bomb())
    (t / "deep.yaml").write_text("epochs: " + "[" * 100 + "]" * 100 + "\n")
    (t / "deeper.yaml").write_text("epochs: " + "[" * 20000 + "]" * 20000 + "\n")
    (t / "long.yaml").write_text("gradient: " + "x" * 100_000 + "\n")
    (t / "big.yaml").write_text("# padding\n" * 200_000)
    (t / "longkey.yaml").write_text("k" * 1000 + ": 1\n")
    os.symlink("/dev/zero", t / "zero.npy")
    return t


# (name, argv, exit code, texts the message must hold). {cfg}: the configs folder, {out}: an output path.
LIMIT_CASES = [
    ("alias bomb", ["train", "-d", "{data}", "--arch", "lenet5", "-c", "{cfg}/bomb.yaml", "-o", "{out}"], 2,
     ["bomb.yaml", "more than 100000 values"]),
    ("alias bomb in --set", ["train", "-d", "{data}", "--arch", "lenet5", "--set",
                             "epochs=" + alias_bomb().replace("\n", ", ").join("{}"), "-o", "{out}"], 2,
     ["--set epochs", "more than 100000 values"]),
    ("nesting 100 deep", ["train", "-d", "{data}", "--arch", "lenet5", "-c", "{cfg}/deep.yaml", "-o", "{out}"], 2,
     ["deep.yaml", "nested more than 64 levels"]),
    ("nesting 20000 deep", ["train", "-d", "{data}", "--arch", "lenet5", "-c", "{cfg}/deeper.yaml", "-o", "{out}"], 2,
     ["deeper.yaml", "nested more than 64 levels"]),
    ("a 100 kB value", ["train", "-d", "{data}", "--arch", "lenet5", "-c", "{cfg}/long.yaml", "-o", "{out}"], 2,
     ["long.yaml", "100000 bytes"]),
    ("a 2 MB config", ["train", "-d", "{data}", "--arch", "lenet5", "-c", "{cfg}/big.yaml", "-o", "{out}"], 2,
     ["big.yaml", "larger than 1048576 bytes"]),
    ("a 1000-byte key", ["train", "-d", "{data}", "--arch", "lenet5", "-c", "{cfg}/longkey.yaml", "-o", "{out}"], 2,
     ["longkey.yaml", "a key of 1000 bytes"]),
    ("/dev/zero as config", ["train", "-d", "{data}", "--arch", "lenet5", "-c", "/dev/zero", "-o", "{out}"], 2,
     ["/dev/zero", "larger than 1048576 bytes"]),
    ("/dev/zero as a table", ["mult", "import", "{cfg}/zero.npy", "--power", "0.5", "-o", "{out}"], 2,
     ["zero.npy", "larger than"]),
    ("nproc 100000", ["train", "-d", "{data}", "--arch", "lenet5", "--nproc", "100000", "-o", "{out}"], 2,
     ["--nproc", "100000", "from 1 to 65536"]),
    ("nproc 1000 on this machine", ["train", "-d", "{data}", "--arch", "lenet5", "--nproc", "1000", "-o", "{out}"], 2,
     ["--nproc 1000", "mpirun starts at most"]),
    ("nproc 0", ["train", "-d", "{data}", "--arch", "lenet5", "--nproc", "0", "-o", "{out}"], 2,
     ["--nproc", "0 is out of range", "from 1"]),
    # Numbers that are not numbers, wherever a command line takes one.
    ("diff rtol nan", ["diff", "--rtol", "nan", "{base}", "{base}"], 2, ["--rtol", "'nan' is not a finite number"]),
    ("diff rtol inf", ["diff", "--rtol", "inf", "{base}", "{base}"], 2, ["--rtol", "'inf' is not a finite number"]),
    ("diff rtol=-infinity", ["diff", "--rtol=-infinity", "{base}", "{base}"], 2, ["--rtol", "not a finite number"]),
    ("diff rtol -1", ["diff", "--rtol", "-1", "{base}", "{base}"], 2, ["--rtol", "at least 0"]),
    ("data val-fraction nan", ["data", "fashion-mnist", "/usr/share/datasets/fashion-mnist", "--val-fraction", "nan",
                               "-o", "{out}"], 2, ["--val-fraction", "not a finite number"]),
    ("mult filter max-mae NaN", ["mult", "filter", "{lib}", "--max-mae", "NaN", "-o", "{out}"], 2,
     ["--max-mae", "not a finite number"]),
    ("mult import power inf", ["mult", "import", "/dev/null", "--power", "inf", "-o", "{out}"], 2,
     ["--power", "not a finite number"]),
    ("mult exact-power nan", ["mult", "import-evoapprox", "{cfg}", "--exact-power", "nan", "-o", "{out}"], 2,
     ["--exact-power", "not a finite number"]),
    ("eval batch-size 0", ["eval", "-m", "{base}", "-d", "{data}", "--batch-size", "0"], 2,
     ["--batch-size", "0 is out of range"]),
    ("threads -1", ["eval", "-m", "{base}", "-d", "{data}", "--threads", "-1"], 2, ["--threads", "from 0 to 1024"]),
    ("threads 100000", ["eval", "-m", "{base}", "-d", "{data}", "--threads", "100000"], 2, ["--threads", "from 0 to 1024"]),
    # Sizes in step settings have upper bounds too (a billion histograms would not fit anywhere).
    ("match populations 1e9", ["match", "-r", "{refs}", "-l", "{lib}", "--set", "populations=1000000000", "-o", "{out}"],
     2, ["populations", "1000000000"]),
    ("sample max_rows 1e12", ["sample", "-d", "{data}", "-m", "{quant}", "--set", "max_rows=1000000000000", "-o", "{out}"],
     2, ["max_rows"]),
    ("train batch_size 1e9", ["train", "-d", "{data}", "--arch", "lenet5", "--set", "batch_size=1000000000", "-o", "{out}"],
     2, ["batch_size"]),
]


@pytest.mark.parametrize("name, argv, code, texts", LIMIT_CASES, ids=[c[0] for c in LIMIT_CASES])
def test_limits_and_numbers(good, configs, tmp_path, name, argv, code, texts):
    subs = {**good, "cfg": str(configs), "out": str(tmp_path / "out.h5")}
    fill = lambda s: s.format(**subs) if "{" in s and "}" in s and not s.startswith("epochs=") else s  # noqa: E731
    before = listing(tmp_path)
    start = time.monotonic()
    got, out = axnn(*[fill(a) for a in argv])
    check(got, out, code, *texts, folder=tmp_path, before=before)
    assert time.monotonic() - start < 120, "took minutes: a bound was not applied early"


def test_out_of_memory_is_a_clean_exit(good, configs, tmp_path):
    """Under a 3 GB address-space limit the alias bomb is still the same named error, not an abort."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    r = subprocess.run([os.path.join(BIN, "axnn-train"), "-d", good["data"], "--arch", "lenet5", "-c",
                        str(configs / "bomb.yaml"), "-o", str(tmp_path / "out.h5")],
                       capture_output=True, text=True, preexec_fn=limit, timeout=300)
    check(r.returncode, r.stdout + r.stderr, 2, "more than 100000 values", folder=tmp_path, before=[])


# ---- child processes: EvoApproxLib models are compiled and run ----

def hanging_model(folder):
    """mul8s_1KV6 with an endless loop at the top of its function."""
    code = open(EVO_MODEL, encoding="latin-1").read()
    i = code.index("{", code.index("int16_t mul8s_1KV6("))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "mul8s_1KV6.c")
    with open(path, "w", encoding="latin-1") as f:
        f.write(code[: i + 1] + "\n  for (;;) {}\n" + code[i + 1:])
    return path


def harnesses(scratch):
    """Processes compiling or running a model in this test's scratch folder ($TMPDIR/axnn-evo-*)."""
    r = subprocess.run(["pgrep", "-f", f"{scratch}/axnn-evo-"], capture_output=True, text=True)
    return r.stdout.split()


def scratch_folders(tmp):
    return [n for n in os.listdir(tmp) if n.startswith("axnn-evo-")]


@needs_evo
def test_a_model_that_never_returns_is_stopped(tmp_path):
    hanging_model(tmp_path / "models")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {"TMPDIR": str(scratch)}
    start = time.monotonic()
    code, out = axnn("mult", "import-evoapprox", tmp_path / "models", "--exact-power", "1", "--model-timeout", "2",
                     "-o", tmp_path / "lib.h5", env=env)
    check(code, out, 2, "mul8s_1KV6.c", "did not finish within 2 s")
    assert time.monotonic() - start < 60
    assert not harnesses(scratch) and not scratch_folders(scratch) and not (tmp_path / "lib.h5").exists()
    # The same through an experiment's library block: the key names the limit.
    code, out = axnn("mult", "compose", "--set",
                     f"sources=[{{evoapprox: {tmp_path / 'models'}, exact_power: 1, model_timeout: 2}}]",
                     "-o", tmp_path / "lib.h5", env=env)
    check(code, out, 2, "sources[0]", "did not finish within 2 s")
    assert not harnesses(scratch) and not scratch_folders(scratch)


@needs_evo
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_model_too(tmp_path, sig):
    """Stopped while a model runs, compose leaves no harness running and no scratch folder."""
    hanging_model(tmp_path / "models")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    p = subprocess.Popen([os.path.join(BIN, "axnn-mult"), "compose", "--set",
                          f"sources=[{{evoapprox: {tmp_path / 'models'}, exact_power: 1}}]", "-o", str(tmp_path / "l.h5")],
                         env={**os.environ, "TMPDIR": str(scratch)}, stderr=subprocess.PIPE)
    deadline, running = time.time() + 60, []
    while not running and time.time() < deadline:  # the compiler, then the harness: either is a child
        running = harnesses(scratch)
        time.sleep(0.1)
    assert running, "the harness never started"
    p.send_signal(sig)
    assert p.wait(timeout=30) == -sig
    deadline = time.time() + 10  # a killed process may take a moment to leave the process table
    while harnesses(scratch) and time.time() < deadline:
        time.sleep(0.1)
    assert not harnesses(scratch), "a compiled model outlived its program"
    assert not scratch_folders(scratch) and listing(tmp_path) == ["models", "scratch"]


@needs_evo
def test_a_full_tmpdir_is_a_runtime_failure(small_disk, tmp_path):
    shutil.copy(EVO_MODEL, tmp_path / "mul8s_1KV6.c")
    from test_catalogue import fill_disk
    fill_disk(small_disk, 0)
    code, out = axnn("mult", "import-evoapprox", tmp_path / "mul8s_1KV6.c", "--exact-power", "1", "-o",
                     tmp_path / "lib.h5", env={"TMPDIR": str(small_disk)})
    check(code, out, 1, "mul8s_1KV6.c", str(small_disk))
    assert listing(small_disk) == ["ballast"] and not (tmp_path / "lib.h5").exists()


@needs_evo
def test_a_link_loop_names_the_source(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(EVO_MODEL, models / "mul8s_1KV6.c")
    os.symlink("loop.c", models / "loop.c")
    code, out = axnn("mult", "compose", "--set", f"sources=[{{evoapprox: {models}, exact_power: 1}}]",
                     "-o", tmp_path / "lib.h5")
    check(code, out, 2, "sources[0]", "loop.c", "symbolic links")
    assert "filesystem error" not in out


@needs_evo
def test_a_header_value_that_is_not_a_number(tmp_path):
    code = open(EVO_MODEL, encoding="latin-1").read()
    import re
    path = tmp_path / "mul8s_1KV6.c"
    path.write_text(re.sub(r"PDK45_PWR = [0-9.]+", "PDK45_PWR = nan", code), encoding="latin-1")
    code, out = axnn("mult", "import-evoapprox", path, "--exact-power", "1", "-o", tmp_path / "lib.h5")
    check(code, out, 2, "mul8s_1KV6.c", "PDK45_PWR is 'nan'")
    assert "no '// PDK45_PWR" not in out


def test_a_dataset_declaring_more_than_it_stores(good, tmp_path):
    """A chunked dataset of 10**10 values with no chunk written: refused before allocating 40 GB."""
    bad = tmp_path / "model.h5"
    shutil.copy(good["quant"], bad)
    with h5py.File(bad, "r+") as f:
        attrs = dict(f["params/conv1.weight"].attrs)
        del f["params/conv1.weight"]
        d = f.create_dataset("params/conv1.weight", shape=(10**10,), dtype="f4", chunks=(4096,))
        for k, v in attrs.items():
            d.attrs[k] = v
    before = listing(tmp_path)
    code, out = axnn("eval", "-m", bad, "-d", good["data"], "--json", tmp_path / "m.json")
    check(code, out, 2, str(bad), "conv1.weight", "declares 10000000000 values", folder=tmp_path, before=before)
    # axnn-diff reads both datasets whole, so it refuses the same declaration (same shapes on both sides).
    code, out = axnn("diff", bad, bad)
    check(code, out, 2, "conv1.weight", "declares 10000000000 values")


def test_a_matching_with_other_layer_names(good, tmp_path):
    bad = tmp_path / "match.h5"
    shutil.copy(good["match"], bad)
    with h5py.File(bad, "r+") as f:
        names = json.loads(f.attrs["layer_names"])
        names[0] = "convX"
        f.attrs["layer_names"] = json.dumps(names)
    before = listing(tmp_path)
    code, out = axnn("deploy", "-m", good["quant"], "--matching", bad, "-l", good["lib"], "-d", good["data"],
                     "-o", tmp_path / "d.h5")
    check(code, out, 2, str(bad), "/layers/convX", folder=tmp_path, before=before)
    assert "H5Gopen2" not in out


# ---- the workflow ----

SNAKEMAKE = os.path.join(ROOT, ".venv", "bin", "snakemake")


def snakemake(*args):
    r = subprocess.run([SNAKEMAKE, "--cores", "1", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "AXNN_BIN": BIN}, timeout=600)
    return r.returncode, r.stdout + r.stderr


def test_results_root_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    code, out = snakemake("-n", "--config", f"results_root={tmp_path / 'file'}")
    assert code != 0 and "results_root" in out and "is not a folder" in out and "Traceback" not in out, out


def test_two_configs_one_results_folder(tmp_path):
    """The first real run records its config file; another config file with the same experiment name
    is refused before any job runs, naming both; the first still runs."""
    lib = os.path.join(ROOT, "tests", "workflow", "tiny-library.yaml")
    text = (f"experiment: shared\nlibrary: {{sources: [{{builtin: {lib}}}]}}\nsteps: []\n"
            "dataset: {name: fashion-mnist, source: /usr/share/datasets/fashion-mnist, limit_train: 100, limit_test: 50}\n")
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text.replace("steps: []", "steps: []\nseed: 4"))
    root = tmp_path / "results"
    code, out = snakemake("--configfile", tmp_path / "a.yaml", "--config", f"results_root={root}")
    assert code == 0, out
    record = json.loads((root / "shared" / "experiment.json").read_text())
    assert record["config_files"] == [str(tmp_path / "a.yaml")]
    os.remove(root / "shared" / "library.h5")  # so that the other config has a job to run
    code, out = snakemake("--configfile", tmp_path / "b.yaml", "--config", f"results_root={root}")
    assert code != 0 and "a.yaml" in out and "b.yaml" in out and "experiment.json" in out and "Traceback" not in out, out
    assert not (root / "shared" / "library.h5").exists()
    code, out = snakemake("--configfile", tmp_path / "a.yaml", "--config", f"results_root={root}")
    assert code == 0 and (root / "shared" / "library.h5").exists(), out


# ---- the environment in provenance ----

def test_artifacts_record_their_environment(good):
    with h5py.File(good["quant"]) as f:
        env = json.loads(f.attrs["created_by"])["environment"]
    for key in ("libtorch", "hdf5", "mpi", "table_kernels", "device", "cpu", "os"):
        assert env.get(key), (key, env)
    assert env["table_kernels"] in ("avx512-vbmi", "portable")
    code, out = axnn("inspect", good["quant"])
    assert code == 0 and "environment: " in out and "libtorch: " in out and "table_kernels: " in out, out


def test_an_unknown_kernel_path_is_refused(good, tmp_path):
    code, out = axnn("eval", "-m", good["quant"], "-d", good["data"], "--json", tmp_path / "m.json",
                     env={"AXNN_KERNELS": "fastest"})
    check(code, out, 2, "AXNN_KERNELS", "'fastest' is not auto or portable", folder=tmp_path, before=[])


def test_diff_names_a_different_environment(good, tmp_path):
    """Two artifacts that differ in content and in LibTorch version: axnn-diff says both."""
    other = tmp_path / "other.h5"
    shutil.copy(good["quant"], other)
    with h5py.File(other, "r+") as f:
        made = json.loads(f.attrs["created_by"])
        made["environment"]["libtorch"] = "0.0.1"
        f.attrs["created_by"] = json.dumps(made)
        w = f["params"]["conv1.weight"]
        w[...] = w[...] * 2
    code, out = axnn("diff", good["quant"], other)
    assert code == 1 and "/params/conv1.weight" in out, out
    assert "different environments" in out and "environment.libtorch:" in out and "0.0.1" in out, out
    # The environment alone is provenance: the same content made elsewhere is the same content.
    with h5py.File(other, "r+") as f:
        w = f["params"]["conv1.weight"]
        w[...] = w[...] / 2
    code, out = axnn("diff", good["quant"], other)
    assert code == 0 and "same content" in out, out
