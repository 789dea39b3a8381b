"""The workflow's planner, step registry and experiment checks, without Snakemake."""
import copy
import os
import re
import shlex
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "workflows"))

from axnn_workflow import KINDS, PipelineError, load_experiment, plan_library  # noqa: E402
from axnn_workflow.planner import plan_inputs  # noqa: E402

EVO = os.environ.get("AXNN_EVOAPPROXLIB") or os.path.join(os.path.dirname(ROOT), "shared", "evoapproxlib")
HAVE_EVO = os.path.isdir(os.path.join(EVO, "multiplers"))


def load(name):
    with open(os.path.join(ROOT, "workflows", "configs", name)) as f:
        return yaml.safe_load(f)


def default():
    return load("lenet5-fmnist.yaml")


def step(name, kind, **kw):
    return {"name": name, "kind": kind, **kw}


def plan_of(cfg, env=None):
    return load_experiment(cfg, "my.yaml", env=env if env is not None else {"AXNN_EVOAPPROXLIB": EVO})


def error_of(cfg, env=None):
    with pytest.raises(PipelineError) as e:
        plan_of(cfg, env)
    return str(e.value)


# ---- the registry ----

def test_every_kind_has_its_program_and_schema():
    for kind in KINDS.values():
        assert os.path.isfile(os.path.join(ROOT, "src", "programs", f"{kind.program}.cpp")), kind.name
        if kind.schema:
            assert os.path.isfile(os.path.join(ROOT, "workflows", "schemas", f"{kind.schema}.schema.json")), kind.name


def test_noise_program_is_named_for_its_kind():
    assert KINDS["noise"].program == "noise"


# ---- plans of valid configs ----

def test_default_config_plans_a_chain():
    plan = plan_of(default())
    names = [s["name"] for s in plan.steps]
    idx = {n: i for i, n in enumerate(names)}
    assert plan.inputs[idx["quant"]] == {"model": idx["baseline"]}
    assert plan.inputs[idx["match"]] == {"refs": idx["sample"]}
    # deploy installs tables into the model the operands were sampled from
    assert plan.inputs[idx["deploy"]] == {"matching": idx["match"], "model": idx["noise"]}
    assert plan.inputs[idx["retrain"]] == {"model": idx["deploy"]}
    assert [p["noise.lambda"] for p in plan.points] == [0.1, 0.2, 0.5]
    # the baseline does not depend on lambda: one artifact shared by every point
    assert {plan.artifact(idx["baseline"], p) for p in plan.points} == {"results/lenet5-fmnist/base/baseline.h5"}
    assert plan.artifact(idx["retrain"], plan.points[1]) == "results/lenet5-fmnist/noise.lambda-0.2/retrain.h5"


def test_pruning_steps_plan_and_sweep_their_target():
    cfg = {"experiment": "x", "steps": [step("b", "baseline"), step("q", "quantize"), step("r", "rank"),
                                         step("p", "prune"), step("f", "quantize"), step("n", "noise"),
                                         step("s", "sample"), step("m", "match"), step("d", "deploy")],
           "sweep": {"p.target": [0.3, 0.5]}}
    plan = plan_of(cfg)
    assert plan.inputs[3] == {"model": 1, "ranking": 2} and plan.inputs[4] == {"model": 3}
    # one ranking for every target; the pruned models and everything after them per target
    assert {plan.artifact(2, p) for p in plan.points} == {"results/x/base/r.h5"}
    assert plan.artifact(8, plan.points[0]) == "results/x/p.target-0.3/d.h5"
    cmd = plan.command(3, "p.target-0.5", plan.step_inputs(3, "p.target-0.5"), "out.h5", "bin")
    assert "-r results/x/base/r.h5" in cmd and "--set target=0.5" in cmd and "--seed" not in cmd


def test_pruning_steps_in_impossible_places_are_rejected():
    base = [step("b", "baseline"), step("q", "quantize")]
    assert "a prune step needs a rank step" in error_of({"experiment": "x", "steps": base + [step("p", "prune")]})
    late = base + [step("n", "noise"), step("r", "rank")]
    assert "put it before the noise step" in error_of({"experiment": "x", "steps": late})
    # a model pruned from the baseline is not quantized: sampling it needs a quantize step first
    unq = [step("b", "baseline"), step("r", "rank"), step("p", "prune"), step("s", "sample")]
    assert "use a quantized model" in error_of({"experiment": "x", "steps": unq})
    cfg = {"experiment": "x", "steps": base + [step("r", "rank"), step("p", "prune")], "sweep": {"p.target": [0]}}
    assert "target" in error_of(cfg)


def test_defaults_are_filled():
    cfg = {"experiment": "x", "steps": [step("b", "baseline")]}
    plan = plan_of(cfg)
    assert cfg["seed"] == 0 and cfg["results_root"] == "results"
    assert cfg["steps"][0]["threads"] == 2 and cfg["steps"][0]["modules"] == ["all"]
    assert cfg["library"]["sources"][0]["builtin"] == "default"
    assert plan.points == [{}]


@pytest.mark.parametrize("sweep", [None, {}])
def test_sweep_is_optional_and_may_be_empty(sweep):
    cfg = default()
    if sweep is None:
        del cfg["sweep"]
    else:
        cfg["sweep"] = sweep
    plan = plan_of(cfg)
    assert plan.points == [{}]
    assert plan.report_plan()[0]["point"] == "base"


def test_sensitivity_and_assign_only_without_a_noise_step():
    cfg = {"experiment": "budget-only", "steps": [
        step("baseline", "baseline"), step("quant", "quantize"), step("sens", "sensitivity"),
        step("sample", "sample"), step("match", "match"), step("assign", "assign", config={"budget": 0.5}),
        step("deploy", "deploy"), step("retrain", "retrain")],
        "sweep": {"assign.budget": [0.4, 0.6]}}
    plan = plan_of(cfg)
    assert plan.inputs[5] == {"matching": 4, "sensitivity": 2}
    assert plan.inputs[6] == {"matching": 5, "model": 1}
    assert [plan.step_point(i, plan.points[0]) for i in range(8)] == ["base"] * 5 + ["assign.budget-0.4"] * 3
    cmd = shlex.split(plan.command(5, "assign.budget-0.4", plan.step_inputs(5, "assign.budget-0.4"), "out.h5", "bin"))
    assert cmd[0] == "bin/axnn-assign" and "-s" in cmd and "--seed" not in cmd
    assert "budget=0.4" in cmd


def test_search_reads_the_sampled_model_the_dataset_and_library_and_feeds_deploy():
    cfg = {"experiment": "search", "steps": [
        step("baseline", "baseline"), step("quant", "quantize"), step("noise", "noise", modules=["all"]),
        step("sample", "sample"), step("match", "match"),
        step("search", "search", config={"criterion": "sigma", "budget": 0.4, "candidates": 3}),
        step("deploy", "deploy"), step("retrain", "retrain")],
        "sweep": {"search.candidates": [1, 4]}}
    plan = plan_of(cfg)
    assert plan.inputs[5] == {"matching": 4, "model": 2}  # no sensitivity with criterion sigma
    assert plan.inputs[6] == {"matching": 5, "model": 2}
    point = plan.step_point(5, plan.points[1])
    assert point == "search.candidates-4" and plan.step_point(4, plan.points[1]) == "base"
    cmd = shlex.split(plan.command(5, point, plan.step_inputs(5, point), "out.h5", "bin"))
    assert cmd[0] == "bin/axnn-search" and "--seed" in cmd and "-s" not in cmd  # seeded: BatchNorm adaptation
    assert cmd[cmd.index("-m") + 1].endswith("/base/noise.h5") and cmd[cmd.index("-d") + 1].endswith("/dataset.h5")
    assert cmd[cmd.index("-l") + 1].endswith("/library.h5") and "candidates=4" in cmd
    hessian = copy.deepcopy(cfg)
    hessian["steps"][5]["config"]["criterion"] = "hessian"
    with pytest.raises(PipelineError, match="criterion hessian needs a sensitivity step"):
        plan_of(hessian)
    hessian["steps"].insert(3, step("sens", "sensitivity"))
    assert plan_of(hessian).inputs[6] == {"matching": 5, "sensitivity": 3, "model": 2}


def test_commands_quote_every_value():
    cfg = default()
    cfg["results_root"] = "my results/$(touch pwned)"
    cfg["steps"][2]["modules"] = ["conv1", "fc1"]
    plan = plan_of(cfg)
    point = plan.step_point(2, plan.points[0])
    cfg["steps"][2]["threads"] = 7
    cmd = plan.command(2, point, plan.step_inputs(2, point), "o u t.h5", "b in")
    args = shlex.split(cmd)
    assert args[:3] == ["b in/axnn-noise", "-o", "o u t.h5"]
    assert "my results/$(touch pwned)/lenet5-fmnist/base/quant.h5" in args
    assert args[args.index("--modules") + 1] == "conv1,fc1"
    assert "lambda=0.1" in args and args[args.index("--seed") + 1] == "0"
    assert args[args.index("--threads") + 1] == "7"  # the configured count, whatever Snakemake grants


# ---- rejected configs: the config file and the key are named ----

def with_steps(*steps, **extra):
    return {"experiment": "x", "steps": list(steps), **extra}


@pytest.mark.parametrize("cfg, text", [
    (with_steps(step("q", "quantize")), "steps[0] (q): the pipeline starts with a baseline step"),
    (with_steps(step("b", "baseline"), step("b", "quantize")), "steps[1].name: 'b' is used twice"),
    (with_steps(step("b", "baseline"), step("q", "quantize"), step("s", "search")), "a search step needs a match step"),
    (with_steps(step("b", "baseline"), step("q", "quantize"), step("s", "sample"), step("m", "match"),
                step("x", "search", config={"criterion": "sigma", "candidates": 0})), "candidates"),
    (with_steps(step("b/x", "baseline")), "steps[0].name: 'b/x' may hold only"),
    (with_steps(step("b", "baseline"), step("t", "tune")), "steps[1].kind: 'tune' is not a step kind"),
    (with_steps(step("b", "baseline"), step("m", "match")), "steps[1] (m): a match step needs a sample step"),
    (with_steps(step("b", "baseline"), step("s", "sample")), "steps[1] (s): use a quantized model"),
    (with_steps(step("b", "baseline"), step("q", "quantize"), step("r", "retrain")), "needs a deploy step"),
    (with_steps(step("b", "baseline"), step("q", "quantize", **{"from": "z"})), "steps[1] (q).from: no earlier step"),
    (with_steps(step("b", "baseline"), step("q", "quantize"), step("s", "sample"), step("m", "match", **{"from": "q"})),
     "steps[3] (m).from: a match step reads no model"),
    (with_steps(step("b", "baseline"), step("q", "quantize"), step("s", "sample"), step("m", "match"),
                step("a", "assign")), "criterion hessian needs a sensitivity step"),
    (with_steps(step("b", "baseline"), step("q", "quantize"), step("s", "sample"), step("m", "match"),
                step("d", "deploy", config={"x": 1})), "steps[4] (d).config: x: unknown key (expected one of: bias_compensation, bn_adaptation)"),
    (with_steps(step("b", "baseline", config={"early_stopping": {"patience": 2}})),
     "steps[0] (b).config.early_stopping: set monitor"),
    (with_steps(step("b", "baseline", config={"epochs": "many"})), "steps[0] (b).config: epochs: expected integer"),
    (with_steps(step("b", "baseline", config={"optimizer": {"lrr": 1}})), "optimizer.lrr: unknown key"),
    # Each training kind takes only its own settings: the backward is retraining's, calibration QAT's.
    (with_steps(step("b", "baseline", config={"gradient": "table"})), "steps[0] (b).config: gradient: unknown key"),
    (with_steps(step("b", "baseline", config={"calibration_epochs": 1})),
     "steps[0] (b).config: calibration_epochs: unknown key"),
    (with_steps(step("b", "baseline"), step("q", "quantize", config={"gradient": "table"})),
     "steps[1] (q).config: gradient: unknown key"),
    (with_steps(step("b", "baseline"), sweep={"b.epochs": []}), "sweep.b.epochs: empty list of values"),
    (with_steps(step("b", "baseline"), sweep={"nosie.lambda": [0.1]}), "sweep.nosie.lambda: expected seed, model"),
    (with_steps(step("b", "baseline"), sweep={"seed": ["../x"]}), "sweep.seed: value '../x' may hold only"),
    (with_steps(step("b", "baseline"), sweep={"b.epochs": [-1]}), "config at sweep point b.epochs--1: epochs: -1 is below"),
    (with_steps(step("b", "baseline"), sweep={"b.epochs": 3}), "sweep.b.epochs: expected array"),
    (with_steps(step("b", "baseline"), seed=-1), "seed: -1 is below the minimum 0"),
    (with_steps(step("b", "baseline"), seed="one"), "seed: expected integer"),
    (with_steps(step("b", "baseline"), colour="red"), "colour: unknown key"),
    ({"steps": []}, "experiment: required key is missing"),
    (with_steps(experiment="a;b"), "experiment: 'a;b' may hold only"),
    (with_steps(step("b", "baseline"), library={"sources": []}), "library.sources: give at least one source"),
    (with_steps(step("b", "baseline"), library={"sources": [{"builtin": "default", "table": "t.npy"}]}),
     "library.sources[0]: give exactly one of builtin, evoapprox, artifact, table (got builtin, table)"),
    (with_steps(step("b", "baseline"), library={"sources": [{"artifact": "/nonexistent/lib.h5"}]}),
     "library.sources[0].artifact: '/nonexistent/lib.h5' does not exist"),
    (with_steps(step("b", "baseline"), library={"sources": [{"evoapprox": "/nonexistent"}]}),
     "library.sources[0].evoapprox: '/nonexistent' does not exist (set evoapproxlib"),
    (with_steps(step("b", "baseline"), library={"sources": [{"evoapprox": ROOT + "/docs"}]}),
     "no EvoApproxLib C models (*.c)"),
    (with_steps(step("b", "baseline"), library={"sources": [{"table": ROOT + "/README.md", "power": 1}]}),
     "is not a .npy or .csv table"),
    (with_steps(step("b", "baseline"), library={"filter": {"names": "(mul8s"}}), "library.filter.names: not a valid"),
    (with_steps(step("b", "baseline"), library={"filter": {"signed": "yes"}}), "library.filter.signed: \"yes\" is not one of"),
])
def test_bad_configs_are_rejected_naming_file_and_key(cfg, text):
    msg = error_of(copy.deepcopy(cfg))
    assert msg.startswith("my.yaml: "), msg
    assert text in msg, msg


def test_every_shipped_config_plans():
    for name in sorted(os.listdir(os.path.join(ROOT, "workflows", "configs"))):
        cfg = load(name)
        if "evoapprox" in str(cfg["library"]) and not HAVE_EVO:
            continue
        plan = plan_of(cfg)
        assert plan.points, name


# ---- the library ----

def test_library_sources_become_rule_inputs(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("0\n")
    fam = tmp_path / "fam.yaml"
    fam.write_text("name: f\n")
    lib, files = plan_library({"sources": [{"builtin": "default"}, {"builtin": str(fam)},
                                           {"table": str(table), "power": 0.5}]})
    assert files == [str(fam), str(table)]
    with pytest.raises(PipelineError, match=r"library.sources\[0\].power: a table source needs its power"):
        plan_library({"sources": [{"table": str(table)}]})


def test_evoapprox_needs_a_checkout_when_relative():
    cfg = load("lenet5-fmnist-evoapprox.yaml")
    msg = error_of(cfg, env={})
    assert "library.sources[0].evoapprox: 'multiplers/8x8_signed' does not exist" in msg, msg


@pytest.mark.skipif(not HAVE_EVO, reason="EvoApproxLib test data not present (set AXNN_EVOAPPROXLIB)")
def test_evoapprox_checkout_from_config_or_environment():
    for cfg, env in [({**load("lenet5-fmnist-evoapprox.yaml"), "evoapproxlib": EVO}, {}),
                     (load("lenet5-fmnist-evoapprox.yaml"), {"AXNN_EVOAPPROXLIB": EVO})]:
        plan = plan_of(cfg, env=env)
        assert plan.library["sources"][0]["evoapprox"] == os.path.join(EVO, "multiplers/8x8_signed")
        # every C file of every Pareto subset is an input (the same circuit appears in several)
        assert len(plan.library_files) == 39
        assert all(re.search(r"pareto_pwr_\w+/mul8s_\w+\.c$", f) for f in plan.library_files)


def test_signature_changes_with_the_settings_that_decide_the_artifact():
    a, b = default(), default()
    b["steps"][6]["config"]["epochs"] = 5  # retrain
    pa, pb = plan_of(a), plan_of(b)
    for i in range(len(pa.steps)):
        for point in pa.point_of[i]:
            same = pa.signature(i, point) == pb.signature(i, point)
            assert same == (pa.steps[i]["name"] != "retrain"), (pa.steps[i]["name"], point)
    # a sweep value is part of the signature of the steps that depend on it, not of the others
    assert pa.signature(2, "noise.lambda-0.1") != pa.signature(2, "noise.lambda-0.2")
    assert pa.signature(0, "base") == pb.signature(0, "base")


def test_sources_with_different_power_units_need_a_conversion(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("0\n")
    with pytest.raises(PipelineError, match=r"library.sources\[1\]: powers in mW, but library.sources\[0\] gives "
                                            r"powers in relative; add convert_power"):
        plan_library({"sources": [{"builtin": "default"}, {"table": str(table), "power": 0.2, "power_unit": "mW"}]})
    lib, _ = plan_library({"sources": [{"builtin": "default", "convert_power": {"factor": 0.425, "unit": "mW"}},
                                       {"table": str(table), "power": 0.2, "power_unit": "mW"}]})
    assert len(lib["sources"]) == 2


# ---- cluster placement: job groups, resources, data-parallel steps ----

def tiny():
    with open(os.path.join(ROOT, "tests", "workflow", "tiny.yaml")) as f:
        cfg = yaml.safe_load(f)
    # Its library path is relative to the source folder; the tests may run elsewhere (ctest: build/).
    cfg["library"]["sources"][0]["builtin"] = os.path.join(ROOT, cfg["library"]["sources"][0]["builtin"])
    return cfg


def test_short_steps_join_the_job_of_the_training_step_before_them():
    p = plan_of(tiny())
    groups = {s["name"]: p.job_group(i) for i, s in enumerate(p.steps)}
    assert groups == {"baseline": "baseline", "quant": "quant", "noise": "noise", "sample": "noise",
                      "match": "noise", "deploy": "noise", "retrain": "retrain", "sensitivity": "quant",
                      "sample_q": "quant", "match_q": "quant", "assign": "quant", "deploy_b": "quant",
                      "retrain_b": "retrain_b", "search": "quant", "deploy_s": "quant", "rank": "rank",
                      "prune": "rank", "finetune": "finetune", "sample_p": "finetune", "match_p": "finetune",
                      "deploy_p": "finetune"}
    # Every training step heads its own group.
    for i, s in enumerate(p.steps):
        if KINDS[s["kind"]].trains:
            assert p.job_group(i) == s["name"]


def test_resources_map_gpu_tasks_and_nodes():
    cfg = tiny()
    cfg["steps"][0].update(gpu=2, gpu_model="h100", tasks=4, nodes=2, mem_mb=8000, runtime=30)
    p = plan_of(cfg)
    assert p.resources(0) == {"mem_mb": 8000, "runtime": 30, "gpu": 2, "gpu_model": "h100", "nodes": 2,
                              "cpus_per_task": 1, "serial": 1, "tasks": 4, "mpi": "srun",
                              "tasks_per_gpu": 2}
    assert p.job_threads(0) == 4
    assert "--nproc 4" in p.command(0, "base", {"dataset": "d.h5"}, "o.h5", "bin")
    # One task: no MPI resource (the executor would reject it), no --nproc.
    assert "mpi" not in p.resources(1) and "tasks" not in p.resources(1)
    assert "--nproc" not in p.command(1, "base", {"dataset": "d.h5", "model": "m.h5"}, "o.h5", "bin")


@pytest.mark.parametrize("change, text", [
    ({"tasks": 2, "kind": "sample"}, "only training steps"),
    ({"nodes": 3, "tasks": 2}, "give tasks >= nodes"),
    ({"gpu_model": "a100;rm -rf /"}, "gpu_model"),
])
def test_bad_placement_is_rejected(change, text):
    cfg = tiny()
    target = 3 if change.get("kind") == "sample" else 0
    cfg["steps"][target].update(change)
    assert text in error_of(cfg)
