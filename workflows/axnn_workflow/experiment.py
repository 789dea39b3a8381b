"""An experiment config, checked before any job runs: the schema (generated from the programs' config
model), every step's settings against its program's schema, the pipeline plan, and the library's
sources. Every error names the config file and the key; none is a traceback.
"""
from __future__ import annotations

import copy
import glob
import json
import os
import re

import jsonschema

from .planner import Plan
from .steps import KINDS, PipelineError

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas")
SOURCE_KINDS = ("builtin", "evoapprox", "artifact", "table")


def load_schema(name):
    with open(os.path.join(SCHEMA_DIR, f"{name}.schema.json")) as f:
        return json.load(f)


def key_path(parts):
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _describe(error):
    """One line for a jsonschema error: the full key path and what is wrong with it."""
    path = list(error.absolute_path)
    v = error.validator
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return key_path(path + [extra[0]]), f"unknown key (expected one of: {', '.join(allowed)})"
    if v == "type":
        return key_path(path), f"expected {error.validator_value}, got {json.dumps(error.instance)}"
    if v == "enum":
        return key_path(path), f"{json.dumps(error.instance)} is not one of {', '.join(map(str, error.validator_value))}"
    if v == "minimum":
        return key_path(path), f"{error.instance} is below the minimum {error.validator_value:g}"
    if v == "maximum":
        return key_path(path), f"{error.instance} is above the maximum {error.validator_value:g}"
    if v == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return key_path(path + [missing[0] if missing else "?"]), "required key is missing"
    return key_path(path), error.message


def validate(value, schema, where):
    """Raises PipelineError '<where>: <key path>: <what>' for the first problem, deepest keys first."""
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value),
                    key=lambda e: (-len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        key, what = _describe(errors[0])
        raise PipelineError(f"{where}{': ' + key if key else ''}: {what}")


def fill_defaults(schema, value):
    """Fills the schema's defaults into `value` (objects, array items and map values), in place."""
    if isinstance(value, dict):
        for k, sub in schema.get("properties", {}).items():
            if k not in value and "default" in sub:
                value[k] = copy.deepcopy(sub["default"])
            if k in value:
                fill_defaults(sub, value[k])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for k in value:
                if k not in schema.get("properties", {}):
                    fill_defaults(extra, value[k])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            fill_defaults(schema["items"], item)
    return value


def _power_unit(kind, source, path):
    """The unit a source's powers come in (after its convert_power), or None when unknown here."""
    converted = source.get("convert_power", {}).get("unit")
    if converted:
        return converted
    if kind == "builtin":
        return "relative"
    if kind == "evoapprox":
        return "mW"
    if kind == "table":
        return source.get("power_unit", "relative")
    try:
        import h5py  # the library artifact says its unit; without h5py the program checks it
        with h5py.File(path, "r") as f:
            unit = f.attrs.get("power_unit")
            return unit.decode() if isinstance(unit, bytes) else unit
    except (ImportError, OSError):
        return None


def plan_library(library, evoapproxlib="", where="library"):
    """The library block with every source path resolved, and the files it reads (rule inputs, so that
    changing a source rebuilds the library and everything after it)."""
    library = copy.deepcopy(library)
    files = []
    sources = library.get("sources", [])
    if not sources:
        raise PipelineError(f"{where}.sources: give at least one source")
    units = []  # (unit, where) of every source whose unit is known
    for i, s in enumerate(sources):
        at = f"{where}.sources[{i}]"
        given = [k for k in SOURCE_KINDS if k in s]
        if len(given) != 1:
            raise PipelineError(f"{at}: give exactly one of {', '.join(SOURCE_KINDS)} (got {', '.join(given) or 'none'})")
        kind = given[0]
        path = s[kind]
        if kind == "builtin" and path == "default":
            units.append((_power_unit(kind, s, path), at))
            continue
        if kind == "evoapprox" and evoapproxlib and not os.path.isabs(path):
            path = s[kind] = os.path.join(evoapproxlib, path)
        if not path or not os.path.exists(path):
            hint = " (set evoapproxlib: or $AXNN_EVOAPPROXLIB to your EvoApproxLib checkout)" if kind == "evoapprox" else ""
            raise PipelineError(f"{at}.{kind}: '{path}' does not exist{hint}")
        if kind == "evoapprox":
            models = [path] if os.path.isfile(path) else sorted(glob.glob(os.path.join(glob.escape(path), "**", "*.c"), recursive=True))
            if not models:
                raise PipelineError(f"{at}.evoapprox: no EvoApproxLib C models (*.c) in '{path}'")
            files += models
            units.append((_power_unit(kind, s, path), at))
            continue
        if not os.path.isfile(path):
            raise PipelineError(f"{at}.{kind}: '{path}' is not a file")
        if kind == "table":
            if os.path.splitext(path)[1] not in (".npy", ".csv"):
                raise PipelineError(f"{at}.table: '{path}' is not a .npy or .csv table")
            if "power" not in s:
                raise PipelineError(f"{at}.power: a table source needs its power")
        files.append(path)
        unit = _power_unit(kind, s, path)
        if unit:
            units.append((unit, at))
    for unit, at in units:
        if unit != units[0][0]:
            raise PipelineError(f"{at}: powers in {unit}, but {units[0][1]} gives powers in {units[0][0]}; "
                                f"add convert_power: {{factor: F, unit: {units[0][0]}}} to one of them")
    for key in ("names", "exclude"):
        try:
            re.compile(library.get("filter", {}).get(key, ""))
        except re.error as e:
            raise PipelineError(f"{where}.filter.{key}: not a valid regular expression ({e})")
    return library, files


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")


_GPU_MODEL = re.compile(r"[A-Za-z0-9_.]*")


def _check_placement(step, where):
    """Cluster settings that only make sense for some steps, or that reach sbatch."""
    if not _GPU_MODEL.fullmatch(step["gpu_model"]):
        raise PipelineError(f"{where}.gpu_model: '{step['gpu_model']}' may hold only letters, digits, _ and .")
    if step["tasks"] > 1 and not KINDS[step["kind"]].trains:
        raise PipelineError(f"{where}.tasks: only training steps (baseline, quantize, noise, retrain) run as "
                            "several processes")
    if step["nodes"] > step["tasks"]:
        raise PipelineError(f"{where}.nodes: {step['nodes']} nodes for {step['tasks']} task(s); give tasks >= nodes")


def _check_results_folder(config):
    """results_root and results_root/<experiment> are folders, or do not exist yet."""
    root = config["results_root"]
    for where, path in (("results_root", root), ("experiment", os.path.join(root, config["experiment"]))):
        if os.path.lexists(path) and not os.path.isdir(path):
            raise PipelineError(f"{where}: '{path}' exists and is not a folder; the results go into a folder there")


CLAIM = "experiment.json"


def claim_results(results, experiment, config_files):
    """Records which config file(s) made a results folder (results/<experiment>/experiment.json) on the
    first real run, and refuses a run of another config file into the same folder: two configs with
    the same experiment name would otherwise silently rebuild each other's results. Editing the same
    file is fine (Snakemake re-runs what changed). Raises PipelineError naming both configs."""
    files = sorted(os.path.realpath(f) for f in config_files)
    record = os.path.join(results, CLAIM)
    if os.path.exists(record):
        try:
            with open(record) as f:
                owner = json.load(f)["config_files"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise PipelineError(f"{record}: unreadable ({e}); delete it to let this config claim the folder") from None
        if sorted(owner) != files:
            raise PipelineError(
                f"experiment '{experiment}': {results} holds the results of {', '.join(owner) or '(no config file)'}, "
                f"not of {', '.join(files) or '(no config file)'}; give this config another experiment name or "
                f"results_root, or delete {record} to let it take the folder over")
        return
    os.makedirs(results, exist_ok=True)
    with open(record + ".partial", "w") as f:
        json.dump({"experiment": experiment, "config_files": files}, f, indent=2)
    os.replace(record + ".partial", record)


def load_experiment(config, source, env=os.environ):
    """Validates an experiment config in place (defaults filled) and returns its Plan.

    `source` names the config file(s) in messages. Raises PipelineError."""
    try:
        validate(config, load_schema("experiment"), source)
        fill_defaults(load_schema("experiment"), config)
        if not _NAME.fullmatch(config["experiment"]):
            raise PipelineError(f"experiment: '{config['experiment']}' may hold only letters, digits and _ . + - "
                                "(it names the results folder)")
        for i, s in enumerate(config["steps"]):
            if s["kind"] not in KINDS:
                raise PipelineError(f"steps[{i}].kind: '{s['kind']}' is not a step kind; expected one of "
                                    f"{', '.join(KINDS)}")
            _check_placement(s, f"steps[{i}] ({s['name']})")
        _check_results_folder(config)
        plan = Plan(config, os.path.join(config["results_root"], config["experiment"]))
        for i, s in enumerate(config["steps"]):
            schema = KINDS[s["kind"]].schema
            if schema:
                for where, settings in plan.settings_to_validate(i):
                    validate(settings, load_schema(schema), f"steps[{i}] ({s['name']}).{where}")
        root = config["evoapproxlib"] or env.get("AXNN_EVOAPPROXLIB", "")
        plan.library, plan.library_files = plan_library(config["library"], root)
        return plan
    except PipelineError as e:
        msg = str(e)
        raise PipelineError(msg if msg.startswith(source) else f"{source}: {msg}") from None
