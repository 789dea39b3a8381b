# Config validation and shared helpers. The schema is generated from the programs' own config model
# (axnn-schema), so the workflow and the programs agree on every key.
import functools
import itertools
import json
import os
import re
import shlex

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

validate(config, "../schemas/experiment.schema.json")

# Where the axnn programs are: AXNN_BIN, else the CMake build tree of this checkout.
BIN = os.environ.get("AXNN_BIN", os.path.join(workflow.basedir, "build", "bin"))
RESULTS = os.path.join(config["results_root"], config["experiment"])
SEED = config["seed"]


def axnn(program):
    """Path of an axnn program, e.g. axnn("mult")."""
    return os.path.join(BIN, f"axnn-{program}")


AXNN_MULT = axnn("mult")


# ---- The pipeline plan (rules in pipeline.smk) ----
# Every step of config["steps"] becomes a rule; sweep points (config["sweep"]) are the {point}
# wildcard, and an artifact's point names only the swept keys it depends on, so changing lambda
# never retrains the baseline.

# What each step kind runs, what it produces, and which schema its settings follow.
PROGRAM = {"baseline": "train", "quantize": "train", "noise": "agn", "sample": "sample",
           "match": "match", "deploy": "deploy", "retrain": "retrain", "sensitivity": "sensitivity",
           "assign": "assign"}
SCHEMA = {"baseline": "trainer", "quantize": "trainer", "retrain": "trainer", "noise": "noise",
          "sample": "sample", "match": "match", "deploy": None, "sensitivity": "sensitivity",
          "assign": "assign"}
MODEL_KINDS = {"baseline", "quantize", "noise", "deploy", "retrain"}
DATASET_KINDS = {"baseline", "quantize", "noise", "sample", "retrain", "sensitivity"}  # steps that read the data set


class PipelineError(Exception):
    pass


def _last_before(steps, i, kinds):
    for j in range(i - 1, -1, -1):
        if steps[j]["kind"] in kinds:
            return j
    return None


def _model_input(steps, i, where):
    """The step whose model step i reads: its `from`, else the latest model step before it."""
    if not steps[i]["from"]:
        j = _last_before(steps, i, MODEL_KINDS)
        if j is None:
            raise PipelineError(f"{where}: needs a step before it that makes a model")
        return j
    for j in range(i):
        if steps[j]["name"] == steps[i]["from"]:
            if steps[j]["kind"] not in MODEL_KINDS:
                raise PipelineError(f"{where}.from: '{steps[i]['from']}' does not make a model")
            return j
    raise PipelineError(f"{where}.from: no earlier step is called '{steps[i]['from']}'")


def plan_inputs(steps):
    """For every step, the indices of the steps whose artifacts it reads; rejects impossible orders."""
    names = [s["name"] for s in steps]
    for n in names:
        if names.count(n) > 1:
            raise PipelineError(f"steps: the name '{n}' is used twice")
        if not re.fullmatch(r"[A-Za-z0-9_-]+", n):
            raise PipelineError(f"steps: name '{n}' may hold only letters, digits, '_' and '-'")
    if steps and steps[0]["kind"] != "baseline":
        raise PipelineError(f"steps[0] ({names[0]}): the pipeline starts with a baseline step")
    inputs = []
    for i, s in enumerate(steps):
        kind, need = s["kind"], {}
        where = f"steps[{i}] ({s['name']})"
        if kind == "baseline" and i > 0:
            raise PipelineError(f"{where}: only the first step may be a baseline")
        if kind in {"quantize", "noise", "sample", "retrain", "sensitivity"}:
            need["model"] = _model_input(steps, i, where)
        elif s["from"]:
            raise PipelineError(f"{where}.from: a {kind} step reads no model")
        if kind == "match":
            need["refs"] = _last_before(steps, i, {"sample"})
            if need["refs"] is None:
                raise PipelineError(f"{where}: a match step needs a sample step before it")
        if kind == "assign":
            need["matching"] = _last_before(steps, i, {"match"})
            if need["matching"] is None:
                raise PipelineError(f"{where}: an assign step needs a match step before it (its candidates)")
            if s["config"].get("criterion", "hessian") == "hessian":
                need["sensitivity"] = _last_before(steps, i, {"sensitivity"})
                if need["sensitivity"] is None:
                    raise PipelineError(f"{where}: criterion hessian needs a sensitivity step before it")
        if kind == "deploy":
            need["matching"] = _last_before(steps, i, {"match", "assign"})
            if need["matching"] is None:
                raise PipelineError(f"{where}: a deploy step needs a match or assign step before it")
            match = need["matching"]
            if steps[match]["kind"] == "assign":
                match = inputs[match]["matching"]
            need["model"] = inputs[inputs[match]["refs"]]["model"]
        if kind == "retrain" and steps[need["model"]]["kind"] not in {"deploy", "retrain"}:
            raise PipelineError(f"{where}: a retrain step needs a deploy step before it")
        if kind in {"sample", "sensitivity"} and steps[need["model"]]["kind"] == "baseline":
            raise PipelineError(f"{where}: use a quantized model (add a quantize or noise step)")
        if SCHEMA[kind] is None and s["config"]:
            raise PipelineError(f"{where}.config: a {kind} step has no settings")
        early = s["config"].get("early_stopping", {})
        if early and not early.get("monitor"):
            raise PipelineError(f"steps[{i}].config.early_stopping: set monitor (val_loss or val_acc) or remove the block")
        inputs.append(need)
    return inputs


def ancestors(inputs, i):
    out = {i}
    for j in inputs[i].values():
        out |= ancestors(inputs, j)
    return out


def sweep_home(key, steps):
    """The step a swept key belongs to: seed and model to the first step, <step>.<setting> to its step."""
    if key in ("seed", "model"):
        return 0
    step, _, setting = key.partition(".")
    for i, s in enumerate(steps):
        if s["name"] == step and setting:
            return i
    raise PipelineError(f"sweep.{key}: expected seed, model or <step name>.<setting> of a step in steps")


def point_name(point, keys):
    return "_".join(f"{k}-{point[k]}" for k in keys) or "base"


def flatten(settings, prefix=""):
    """--set arguments of a (nested) settings mapping; values as JSON, which YAML reads back."""
    args = []
    for k, v in settings.items():
        if isinstance(v, dict):
            args += flatten(v, f"{prefix}{k}.")
        else:
            args += ["--set", f"{prefix}{k}={json.dumps(v)}"]
    return args


def set_dotted(settings, dotted, value):
    *path, last = dotted.split(".")
    for p in path:
        settings = settings.setdefault(p, {})
    settings[last] = value


STEPS = config["steps"]
try:
    INPUTS = plan_inputs(STEPS)
    SWEEP_KEYS = sorted(config["sweep"], key=lambda k: (sweep_home(k, STEPS), k))
except PipelineError as e:
    raise WorkflowError(f"config: {e}")
POINTS = [dict(zip(SWEEP_KEYS, values)) for values in itertools.product(*(config["sweep"][k] for k in SWEEP_KEYS))]
if not POINTS:
    POINTS = [{}]
# Per step: the swept keys its artifact depends on, and the settings of each of its point names.
STEP_KEYS = [[k for k in SWEEP_KEYS if sweep_home(k, STEPS) in ancestors(INPUTS, i)] for i in range(len(STEPS))]


def step_point(i, point):
    return point_name(point, STEP_KEYS[i])


def step_settings(i, point):
    settings = json.loads(json.dumps(STEPS[i]["config"]))
    for k, v in point.items():
        step, _, dotted = k.partition(".")
        if step == STEPS[i]["name"]:
            set_dotted(settings, dotted, v)
    return settings


POINT_OF = [{step_point(i, p): p for p in POINTS} for i in range(len(STEPS))]
for i, s in enumerate(STEPS):
    if SCHEMA[s["kind"]]:
        for where, settings in [("config", s["config"])] + [
            (f"config at sweep point {name}", step_settings(i, p)) for name, p in POINT_OF[i].items()
        ]:
            try:
                validate(settings, f"../schemas/{SCHEMA[s['kind']]}.schema.json", set_default=False)
            except WorkflowError as e:
                raise WorkflowError(f"steps[{i}] ({s['name']}).{where}: {e}")


def artifact(i, point):
    return f"{RESULTS}/{step_point(i, point)}/{STEPS[i]['name']}.h5"


def step_inputs(i, wildcards):
    point = POINT_OF[i][wildcards.point]
    files = {k: artifact(j, point) for k, j in INPUTS[i].items()}
    if STEPS[i]["kind"] in DATASET_KINDS:
        files["dataset"] = f"{RESULTS}/dataset.h5"
    if STEPS[i]["kind"] in {"match", "deploy"}:
        files["library"] = f"{RESULTS}/library.h5"
    return files


def step_command(i, wildcards, input, output, threads):
    s, point = STEPS[i], POINT_OF[i][wildcards.point]
    seed = point.get("seed", SEED)
    cmd = [axnn(PROGRAM[s["kind"]]), "-o", output[0], "--threads", str(threads)]
    kind = s["kind"]
    if kind in DATASET_KINDS:
        cmd += ["-d", input.dataset]
    if kind == "baseline":
        cmd += ["--arch", point.get("model", config["model"]["arch"])]
    if kind == "quantize":
        cmd += ["--from", input.model, "--mode", "quant"]
    if kind in {"noise", "sample", "retrain", "deploy", "sensitivity"}:
        cmd += ["-m", input.model]
    if kind == "noise":
        cmd += ["--modules", ",".join(s["modules"])]
    if kind == "match":
        cmd += ["-r", input.refs, "-l", input.library]
    if kind == "deploy":
        cmd += ["--matching", input.matching, "-l", input.library]
    if kind == "assign":
        cmd += ["--matching", input.matching] + (["-s", input.sensitivity] if "sensitivity" in input.keys() else [])
    if kind not in {"deploy", "assign"}:
        cmd += ["--seed", str(seed)]
    if SCHEMA[kind]:
        cmd += flatten(step_settings(i, point))
    return " ".join(shlex.quote(c) for c in cmd)


MODEL_STEPS = [i for i, s in enumerate(STEPS) if s["kind"] in MODEL_KINDS]


def report_inputs(wildcards):
    files = []
    for p in POINTS:
        files += [f"{RESULTS}/{step_point(i, p)}/{STEPS[i]['name']}.metrics.json" for i in MODEL_STEPS]
        files += [artifact(i, p) for i in range(len(STEPS))]
    return sorted(set(files))


def report_plan():
    """What the report script needs: per sweep point, each step's files and kind."""
    plan = []
    for p in POINTS:
        steps = []
        for i, s in enumerate(STEPS):
            entry = {"name": s["name"], "kind": s["kind"], "artifact": artifact(i, p),
                     "inputs": {k: artifact(j, p) for k, j in INPUTS[i].items()}}
            if s["kind"] in MODEL_KINDS:
                entry["metrics"] = f"{RESULTS}/{step_point(i, p)}/{s['name']}.metrics.json"
            steps.append(entry)
        plan.append({"point": point_name(p, SWEEP_KEYS), "values": p, "seed": p.get("seed", SEED), "steps": steps})
    return plan
