"""What the report shows, read from one experiment's results folder: per sweep point its stage
accuracies and deployed networks (each with its choice per layer), every artifact's provenance,
and every step's wall time from Snakemake's benchmark files.

A missing or damaged file never stops the report: it is listed in `Results.problems` (path and what
is wrong) and the rest is still gathered."""
import csv
import json
import os
import platform

import h5py

# Model steps whose accuracy is a stage of the summary, in pipeline order, with the CSV column name.
# A model step of another kind gets a column "<step name>_acc" of its own (see stage_columns).
STAGES = [("baseline", "baseline_acc"), ("quantize", "quant_acc"), ("noise", "noise_acc"),
          ("deploy", "deployed_acc"), ("retrain", "retrained_acc")]
STAGE_OF = dict(STAGES)
# The choice per layer, in the order the report's tables show it.
LAYER_FIELDS = ["layer", "multiplier", "ops_share", "sigma", "max_std", "predicted_std", "measured_std",
                "predicted/measured", "mean_error", "relative_power"]


def stage_columns_of(stages):
    """The summary column of each stage of one point: a kind's first step gets the kind's column, a
    second step of that kind (a fine-tuning quantize step after pruning) and other kinds "<step>_acc"."""
    taken, out = set(), []
    for s in stages:
        col = STAGE_OF.get(s["kind"])
        if col is None or col in taken:
            col = f"{s['step']}_acc"
        taken.add(col)
        out.append(col)
    return out


def energy_total(mac_fraction, energy):
    """E_total = sum_l MACs'_l P_l / (sum_l MACs_l P_exact) over the dense network: the MAC fraction
    kept times the pruned network's E_rel (whose ops shares are over its own MACs)."""
    return None if energy is None else mac_fraction * energy


class Problems:
    """Files the report could not read: path -> what is wrong (first reason kept)."""

    def __init__(self):
        self.items = {}

    def read(self, path, reader, default=None):
        """reader(path), or `default` with the file listed as missing or damaged."""
        if not os.path.exists(path):
            self.items.setdefault(path, "missing")
            return default
        try:
            return reader(path)
        except (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError) as e:
            self.items.setdefault(path, f"damaged or not what the step writes ({type(e).__name__}: {e})")
            return default


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def attr_json(obj, name, default=None):
    return json.loads(text(obj.attrs[name])) if name in obj.attrs else default


def read_metrics(path):
    with open(path) as f:
        acc = json.load(f)["accuracy"]
    if not isinstance(acc, (int, float)):
        raise ValueError(f"accuracy is {acc!r}, not a number")
    return float(acc)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def read_provenance(path):
    """created_by (program, version, commit, compiler, threads, ...), seed and inputs of one artifact."""
    with h5py.File(path, "r") as f:
        record = {"axnn_kind": text(f.attrs["axnn_kind"]), "created_by": attr_json(f, "created_by", {}),
                  "inputs": attr_json(f, "inputs", []), "config": attr_json(f, "config", {})}
        if "seed" in f.attrs:
            record["seed"] = int(f.attrs["seed"])
        if "history" in f.attrs:
            record["history"] = attr_json(f, "history")
        if "pruning" in f.attrs:  # a pruned model (axnn-prune), and every model made from it
            record["pruning"] = attr_json(f, "pruning")
        return record


def read_matching(path):
    """A matching's per-layer choice, E_rel, and how it was made (estimators, or the assignment record)."""
    with h5py.File(path, "r") as f:
        layers = []
        for name in attr_json(f, "layer_names"):
            g = f["layers"][name]
            layer = {"layer": name, "multiplier": text(g.attrs["multiplier"])}
            for k in ("sigma", "max_std", "predicted_std", "relative_power", "ops_share"):
                layer[k] = float(g.attrs[k])
            for k in ("measured_std", "mean_error"):
                layer[k] = float(g.attrs[k]) if k in g.attrs else None
            layer["predicted/measured"] = (layer["predicted_std"] / layer["measured_std"]
                                           if layer["measured_std"] else None)
            layers.append(layer)
        match = {"energy": float(f.attrs["relative_energy"]), "layers": layers,
                 "assignment": attr_json(f, "assignment"), "estimators": None}
        if match["assignment"] is None and "estimators" in f.attrs:
            match["estimators"] = {"estimator": text(f.attrs["estimator"]),
                                   "estimators": {k: {"relative_energy": v["relative_energy"], "violations": v["violations"]}
                                                  for k, v in attr_json(f, "estimators").items()}}
        return match


def strategy_of(assignment):
    if assignment is None:
        return "noise tolerance (AGN)"
    return f"{'search' if 'search' in assignment else 'budget'}, {assignment['criterion']}"


def read_benchmark(path):
    """Snakemake's benchmark TSV: wall seconds, CPU seconds and peak RSS (MB) of the rule's job."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        raise ValueError("no measurement row")
    r = rows[-1]
    return {"seconds": float(r["s"]), "cpu_seconds": float(r.get("cpu_time") or "nan"),
            "max_rss_mb": float(r.get("max_rss") or "nan")}


class Results:
    """Everything the report shows, gathered once. `plan` is Plan.report_plan(); `results` the folder."""

    def __init__(self, plan, results, experiment, config=None):
        self.experiment, self.results, self.config = experiment, results, config
        self.problems = Problems()
        self.points = []        # per sweep point: {"point", "values", "seed", "stages", "networks", "curves"}
        self.networks = {}      # deployed artifact -> network (shared by every point that reaches it)
        self.artifacts = {}     # artifact path -> {"step", "kind", "points", provenance...}
        self.times = []         # one per benchmark file: {"step", "kind", "where", "seconds", ...}
        for name, step in (("dataset.h5", "import_dataset"), ("library.h5", "build_library")):
            self._artifact({"name": step, "kind": step, "artifact": os.path.join(results, name)}, None)
        self.library = self.artifacts[os.path.join(results, "library.h5")]
        self.environment = self.problems.read(os.path.join(results, "environment.json"), read_json, default={})
        for p in plan:
            self.points.append(self._point(p))
        self._times(plan)

    # -- per point ---------------------------------------------------------------------------
    def _point(self, plan):
        point = {"point": plan["point"], "values": plan.get("values", {}), "seed": plan["seed"], "lambda": "",
                 "stages": [], "networks": [], "curves": [], "mac_fraction": 1.0, "pruned": False}
        by_artifact = {s["artifact"]: s for s in plan["steps"]}
        for step in plan["steps"]:
            self._artifact(step, plan["point"])
            if "metrics" in step:
                acc = self.problems.read(step["metrics"], read_metrics)
                prov = self.artifacts[step["artifact"]]
                fraction = float(prov["pruning"]["mac_fraction"]) if prov.get("pruning") else None
                point["stages"].append({"step": step["name"], "kind": step["kind"], "accuracy": acc,
                                        "mac_fraction": fraction})
                if fraction is not None:
                    point["mac_fraction"], point["pruned"] = fraction, True
                if step["kind"] == "noise" and point["lambda"] == "":
                    point["lambda"] = prov.get("config", {}).get("noise", {}).get("lambda", "")
                if prov.get("history") and step["kind"] != "deploy":
                    point["curves"].append((step["name"], prov["history"], step["artifact"]))
            if step["kind"] == "deploy":
                point["networks"].append(self._network(step, point))
            if step["kind"] == "retrain":
                source = by_artifact.get(step["inputs"].get("model"))
                for n in point["networks"]:
                    if source and n["deploy"] == source["name"]:
                        n["retrained"] = next(s["accuracy"] for s in point["stages"] if s["step"] == step["name"])
                        n["retrain"] = step["name"]
        return point

    def _artifact(self, step, point):
        path = step["artifact"]
        if path not in self.artifacts:
            record = self.problems.read(path, read_provenance, default={})
            self.artifacts[path] = {"step": step["name"], "kind": step["kind"], "points": [], **record}
        if point is not None:
            self.artifacts[path]["points"].append(point)

    def _network(self, step, point):
        path = step["artifact"]
        if path in self.networks:
            self.networks[path]["points"].append(point["point"])
            return self.networks[path]
        matching = step["inputs"].get("matching", "")
        match = self.problems.read(matching, read_matching, default={})
        record = self.artifacts[path].get("config", {}).get("bn_adaptation", {})
        network = {"deploy": step["name"], "artifact": path, "home": os.path.basename(os.path.dirname(path)),
                   "points": [point["point"]], "energy": match.get("energy"), "layers": match.get("layers", []),
                   "assignment": match.get("assignment"), "estimators": match.get("estimators"),
                   "strategy": strategy_of(match.get("assignment")) if match else "unknown (matching unreadable)",
                   "deployed": next((s["accuracy"] for s in point["stages"] if s["step"] == step["name"]), None),
                   "unadapted": record.get("test_accuracy_before") if record.get("layers", 0) else None,
                   "bn_adaptation": record, "retrained": None, "retrain": None}
        pruning = self.artifacts[path].get("pruning")
        network["mac_fraction"] = float(pruning["mac_fraction"]) if pruning else 1.0
        network["total_energy"] = energy_total(network["mac_fraction"], network["energy"])
        self.networks[path] = network
        return network

    # -- step times ---------------------------------------------------------------------------
    def _times(self, plan):
        seen = set()
        for name, kind in (("import_dataset", "dataset"), ("build_library", "library")):
            self._time(os.path.join(self.results, "benchmarks", f"{name}.tsv"), name, kind, "experiment", seen)
        for p in plan:
            for step in p["steps"]:
                where = os.path.dirname(step["artifact"])
                self._time(os.path.join(where, "benchmarks", f"{step['name']}.tsv"), step["name"], step["kind"],
                           os.path.basename(where), seen)

    def _time(self, path, step, kind, where, seen):
        if path in seen:
            return
        seen.add(path)
        t = self.problems.read(path, read_benchmark)
        if t:
            self.times.append({"step": step, "kind": kind, "where": where, "path": path, **t})

    # -- provenance ---------------------------------------------------------------------------
    def software(self):
        """The distinct (version, commit, compiler, ...) records of every artifact's maker, each with
        the programs that carry it: one row when a single build made everything."""
        skip = {"command_line", "date", "program", "threads", "world_size", "environment"}
        groups = {}
        for a in self.artifacts.values():
            made = a.get("created_by") or {}
            key = json.dumps({k: v for k, v in sorted(made.items()) if k not in skip})
            groups.setdefault(key, set()).add(made.get("program", "?"))
        return [{**json.loads(k), "programs": " ".join(sorted(v))} for k, v in groups.items()]

    def environments(self):
        """Every created_by.environment entry (libtorch, hdf5, mpi, table_kernels, device, cpu, ...) with
        each value it takes and the programs that recorded it: one value per key when one machine and
        one build made everything."""
        values = {}
        for a in self.artifacts.values():
            made = a.get("created_by") or {}
            for k, v in (made.get("environment") or {}).items():
                values.setdefault(k, {}).setdefault(str(v), set()).add(made.get("program", "?"))
        return [{"key": k, "value": v, "programs": " ".join(sorted(p))}
                for k in sorted(values) for v, p in sorted(values[k].items())]

    @staticmethod
    def report_software():
        """The versions of what made the report itself."""
        import matplotlib
        return {"python": platform.python_version(), "h5py": h5py.__version__, "hdf5 (h5py)": h5py.version.hdf5_version,
                "matplotlib": matplotlib.__version__}

    def stage_columns(self):
        """(column, kinds) of the summary's stage accuracies, in pipeline order."""
        cols = [c for _, c in STAGES]
        cols.insert(cols.index("deployed_acc"), "deployed_unadapted_acc")
        extra = []
        for p in self.points:
            for s, col in zip(p["stages"], stage_columns_of(p["stages"])):
                # deployed and retrained networks have their own columns (summary_rows)
                if s["kind"] not in ("deploy", "retrain") and col not in cols and col not in extra:
                    extra.append(col)
        return cols[:cols.index("deployed_unadapted_acc")] + extra + cols[cols.index("deployed_unadapted_acc"):]
