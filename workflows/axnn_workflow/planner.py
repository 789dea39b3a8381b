"""The pipeline plan of an experiment config: which artifacts every step reads, the sweep points, and
each step's command line. Plain Python (no Snakemake), so it is unit-tested directly.

Every step becomes a rule; a sweep point is the {point} wildcard, and an artifact's point names only
the swept keys it depends on, so changing lambda never retrains the baseline.
"""
from __future__ import annotations

import copy
import itertools
import json
import os
import re
import shlex

from .steps import KINDS, Call, PipelineError, extra_needs, kind_of


def _last_before(steps, i, kinds):
    for j in range(i - 1, -1, -1):
        if steps[j]["kind"] in kinds:
            return j
    return None


def _model_input(steps, i, where):
    """The step whose model step i reads: its `from`, else the latest model step before it."""
    if not steps[i]["from"]:
        j = _last_before(steps, i, {k for k, v in KINDS.items() if v.makes_model})
        if j is None:
            raise PipelineError(f"{where}: needs a step before it that makes a model")
        return j
    for j in range(i):
        if steps[j]["name"] == steps[i]["from"]:
            if not KINDS[steps[j]["kind"]].makes_model:
                raise PipelineError(f"{where}.from: '{steps[i]['from']}' does not make a model")
            return j
    raise PipelineError(f"{where}.from: no earlier step is called '{steps[i]['from']}'")


def _check_names(steps):
    names = [s["name"] for s in steps]
    for i, n in enumerate(names):
        if not re.fullmatch(r"[A-Za-z0-9_-]+", n):
            raise PipelineError(f"steps[{i}].name: '{n}' may hold only letters, digits, '_' and '-'")
        if names.index(n) != i:
            raise PipelineError(f"steps[{i}].name: '{n}' is used twice")


def plan_inputs(steps):
    """For every step, {input name: index of the step whose artifact it reads}; rejects impossible orders."""
    _check_names(steps)
    if steps and steps[0]["kind"] != "baseline":
        raise PipelineError(f"steps[0] ({steps[0]['name']}): the pipeline starts with a baseline step")
    inputs = []
    for i, s in enumerate(steps):
        where = f"steps[{i}] ({s['name']})"
        kind = kind_of(s, f"steps[{i}]")
        need = {}
        if kind.reads_model:
            need["model"] = _model_input(steps, i, where)
        elif s["from"]:
            raise PipelineError(f"{where}.from: a {kind.name} step reads no model")
        for name, (providers, missing) in {**kind.needs, **extra_needs(s)}.items():
            need[name] = _last_before(steps, i, set(providers))
            if need[name] is None:
                raise PipelineError(f"{where}: {missing}")
        if kind.implied_model:
            need["model"] = kind.implied_model(steps, inputs, need)
        if kind.schema is None and s["config"]:
            raise PipelineError(f"{where}.config: a {kind.name} step has no settings")
        if s["config"].get("early_stopping") and not s["config"]["early_stopping"].get("monitor"):
            raise PipelineError(f"{where}.config.early_stopping: set monitor (val_loss or val_acc) or remove the block")
        inputs.append(need)
        problem = kind.check(steps, i, inputs)
        if problem:
            raise PipelineError(f"{where}: {problem}")
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


_POINT_VALUE = re.compile(r"[A-Za-z0-9_.+-]+")


class Plan:
    """The plan of a validated experiment config (see experiment.load_experiment)."""

    def __init__(self, config, results):
        self.config = config
        self.results = results
        self.steps = config["steps"]
        self.inputs = plan_inputs(self.steps)
        sweep = config.get("sweep") or {}
        for key, values in sweep.items():
            if not values:
                raise PipelineError(f"sweep.{key}: empty list of values (remove the key to not sweep it)")
            for v in values:
                if not _POINT_VALUE.fullmatch(str(v)):
                    raise PipelineError(f"sweep.{key}: value {v!r} may hold only letters, digits and _ . + -")
        self.sweep_keys = sorted(sweep, key=lambda k: (sweep_home(k, self.steps), k))
        self.points = [dict(zip(self.sweep_keys, v)) for v in itertools.product(*(sweep[k] for k in self.sweep_keys))]
        n = len(self.steps)
        # Per step: the swept keys its artifact depends on, and the sweep point of each point name.
        self.step_keys = [[k for k in self.sweep_keys if sweep_home(k, self.steps) in ancestors(self.inputs, i)]
                          for i in range(n)]
        self.point_of = [{self.step_point(i, p): p for p in self.points} for i in range(n)]
        self.model_steps = [i for i, s in enumerate(self.steps) if KINDS[s["kind"]].makes_model]

    def kind(self, i):
        return KINDS[self.steps[i]["kind"]]

    def job_group(self, i):
        """The cluster job group of step i: the training step it follows (the group of its latest input), or
        its own name for a training step. Snakemake runs the connected jobs of one group and one sweep
        point as one cluster job, so a sweep point costs one job per training step, not one per step."""
        if self.kind(i).trains or not self.inputs[i]:
            return self.steps[i]["name"]
        return self.job_group(max(self.inputs[i].values()))

    def resources(self, i):
        """The step's cluster resources: threads become cpus_per_task (per task), gpu and gpu_model
        become --gpus; tasks > 1 makes it an MPI job (sbatch --ntasks; the program starts its ranks with
        srun, see docs/cluster.md). `serial`: the SLURM profile allows one at a time within a group job,
        so that a group job asks for its largest step, not for the sum of steps that could overlap."""
        s = self.steps[i]
        res = {"mem_mb": s["mem_mb"], "runtime": s["runtime"], "gpu": s["gpu"], "nodes": s["nodes"],
               "cpus_per_task": s["threads"], "serial": 1}
        if s["gpu_model"]:
            res["gpu_model"] = s["gpu_model"]
        if s["tasks"] > 1:
            res.update(tasks=s["tasks"], mpi="srun")
            if s["gpu"]:  # else the executor asks --ntasks-per-gpu=tasks
                res["tasks_per_gpu"] = max(1, -(-s["tasks"] // s["gpu"]))
        return res

    def job_threads(self, i):
        """Cores the step's job keeps busy: threads per task times tasks (the local scheduler's count)."""
        return self.steps[i]["threads"] * self.steps[i]["tasks"]

    def step_point(self, i, point):
        return point_name(point, self.step_keys[i])

    def step_settings(self, i, point):
        settings = copy.deepcopy(self.steps[i]["config"])
        for k, v in point.items():
            step, _, dotted = k.partition(".")
            if step == self.steps[i]["name"]:
                set_dotted(settings, dotted, v)
        return settings

    def settings_to_validate(self, i):
        """(where, settings) of the step's config and of every sweep point's."""
        out = [("config", self.steps[i]["config"])]
        out += [(f"config at sweep point {name}", self.step_settings(i, p)) for name, p in self.point_of[i].items()]
        return out

    def artifact(self, i, point):
        return f"{self.results}/{self.step_point(i, point)}/{self.steps[i]['name']}.h5"

    def metrics(self, i, point):
        return f"{self.results}/{self.step_point(i, point)}/{self.steps[i]['name']}.metrics.json"

    def step_inputs(self, i, point_name_):
        point = self.point_of[i][point_name_]
        files = {k: self.artifact(j, point) for k, j in self.inputs[i].items()}
        if self.kind(i).reads_dataset:
            files["dataset"] = f"{self.results}/dataset.h5"
        if self.kind(i).reads_library:
            files["library"] = f"{self.results}/library.h5"
        return files

    def signature(self, i, point_name_):
        """Everything but paths that decides the step's artifact at a point: settings, seed, model,
        layers, inputs' steps. A rule parameter, so that changing any of it re-runs the step."""
        s, point = self.steps[i], self.point_of[i][point_name_]
        return json.dumps({"kind": s["kind"], "settings": self.step_settings(i, point), "modules": s["modules"],
                           "threads": s["threads"], "tasks": s["tasks"],
                           "seed": point.get("seed", self.config["seed"]), "from": s["from"],
                           "arch": point.get("model", self.config["model"]["arch"]),
                           "inputs": {k: self.steps[j]["name"] for k, j in self.inputs[i].items()}}, sort_keys=True)

    def command(self, i, point_name_, files, output, bin_dir):
        """The step's shell command, every value quoted. It runs with the step's configured `threads`,
        never the fewer Snakemake may grant on a smaller machine: training results depend on the thread
        count, and the same config must give the same artifacts on a laptop and on a cluster."""
        s, point = self.steps[i], self.point_of[i][point_name_]
        kind = self.kind(i)
        arch = point.get("model", self.config["model"]["arch"])
        cmd = [os.path.join(bin_dir, f"axnn-{kind.program}"), "-o", output, "--threads", str(s["threads"])]
        if s["tasks"] > 1:
            cmd += ["--nproc", str(s["tasks"])]
        if kind.reads_dataset:
            cmd += ["-d", files["dataset"]]
        cmd += kind.args(Call(step=s, files=files, point=point, arch=arch))
        if kind.seeded:
            cmd += ["--seed", str(point.get("seed", self.config["seed"]))]
        if kind.schema:
            cmd += flatten(self.step_settings(i, point))
        return " ".join(shlex.quote(str(c)) for c in cmd)

    def report_inputs(self):
        files = []
        for p in self.points:
            files += [self.metrics(i, p) for i in self.model_steps]
            files += [self.artifact(i, p) for i in range(len(self.steps))]
        return sorted(set(files))

    def report_plan(self):
        """What the report script needs: per sweep point, each step's files and kind."""
        plan = []
        for p in self.points:
            steps = []
            for i, s in enumerate(self.steps):
                entry = {"name": s["name"], "kind": s["kind"], "artifact": self.artifact(i, p),
                         "inputs": {k: self.artifact(j, p) for k, j in self.inputs[i].items()}}
                if i in self.model_steps:
                    entry["metrics"] = self.metrics(i, p)
                steps.append(entry)
            plan.append({"point": point_name(p, self.sweep_keys), "values": p,
                         "seed": p.get("seed", self.config["seed"]), "steps": steps})
        return plan
