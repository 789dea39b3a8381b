"""The experiment report: summary.csv and summary.md (one row per sweep point) and a self-contained
report.html with embedded plots (accuracy vs. relative energy with the Pareto front, per-layer
sigma_l and chosen multiplier power, training curves).

Run by the workflow's `report` rule (Snakemake `script:`); reads the artifacts with h5py."""
import base64
import csv
import html
import io
import json
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STAGES = [("baseline", "baseline_acc"), ("quantize", "quant_acc"), ("noise", "noise_acc"),
          ("deploy", "deployed_acc"), ("retrain", "retrained_acc")]
# deployed_unadapted_acc: the deployed network before BatchNorm adaptation (deploy step; empty without it).
STAGE_COLUMNS = [c for _, c in STAGES]
STAGE_COLUMNS.insert(STAGE_COLUMNS.index("deployed_acc"), "deployed_unadapted_acc")
COLUMNS = ["experiment", "point", "lambda", "seed"] + STAGE_COLUMNS + ["relative_energy", "multipliers"]


def attr_json(f, name):
    v = f.attrs[name]
    return json.loads(v.decode() if isinstance(v, bytes) else v)


def attr_str(obj, name):
    v = obj.attrs[name]
    return v.decode() if isinstance(v, bytes) else str(v)


def read_matching(path):
    with h5py.File(path, "r") as f:
        layers = []
        for name in attr_json(f, "layer_names"):
            g = f["layers"][name]
            layers.append({"layer": name, "multiplier": attr_str(g, "multiplier"),
                           **{k: float(g.attrs[k]) for k in ("sigma", "max_std", "predicted_std", "relative_power", "ops_share")},
                           "measured_std": float(g.attrs["measured_std"]) if "measured_std" in g.attrs else None,
                           "mean_error": float(g.attrs["mean_error"]) if "mean_error" in g.attrs else None})
            l = layers[-1]
            l["predicted/measured"] = (l["predicted_std"] / l["measured_std"] if l["measured_std"] else None)
        assignment = attr_json(f, "assignment") if "assignment" in f.attrs else None
        if assignment is None and "estimators" in f.attrs:  # which estimator chose, and every estimator's result
            assignment = {"estimator": attr_str(f, "estimator"), "estimators": attr_json(f, "estimators")}
            assignment["estimators"] = {k: {"relative_energy": v["relative_energy"], "violations": v["violations"]}
                                        for k, v in assignment["estimators"].items()}
            return float(f.attrs["relative_energy"]), layers, None, assignment
        return float(f.attrs["relative_energy"]), layers, assignment, None


def accuracy(step):
    with open(step["metrics"]) as f:
        return json.load(f)["accuracy"]


def unadapted_accuracy(step):
    """The deployed network's test accuracy before BatchNorm adaptation, when the deploy step adapted."""
    with h5py.File(step["artifact"], "r") as f:
        record = attr_json(f, "config").get("bn_adaptation", {})
    return record.get("test_accuracy_before") if record.get("layers", 0) else None


def read_point(plan, experiment):
    """One summary row, the per-layer choice, the training curves, and every deployed network of one
    sweep point as (strategy, E_rel, deployed accuracy, retrained accuracy)."""
    row = {"experiment": experiment, "point": plan["point"], "seed": plan["seed"], "lambda": ""}
    layers, curves, chains = [], [], []
    by_artifact = {s["artifact"]: s for s in plan["steps"]}
    for step in plan["steps"]:
        kind = step["kind"]
        if "metrics" in step:
            with h5py.File(step["artifact"], "r") as f:
                history = attr_json(f, "history")
                if kind == "noise" and row["lambda"] == "":
                    row["lambda"] = attr_json(f, "config")["noise"]["lambda"]
            if history and kind != "deploy":
                curves.append((step["name"], history, step["artifact"]))
        if kind == "deploy":
            energy, chosen, assignment, estimators = read_matching(step["inputs"]["matching"])
            strategy = ("noise tolerance (AGN)" if assignment is None else
                        f"{'search' if 'search' in assignment else 'budget'}, {assignment['criterion']}")
            chains.append({"strategy": strategy, "deploy": step["name"], "artifact": step["artifact"], "energy": energy, "layers": chosen,
                           "deployed": accuracy(step), "unadapted": unadapted_accuracy(step), "retrained": None,
                           "assignment": assignment,
                           "estimators": estimators})
        if kind == "retrain":
            source = by_artifact.get(step["inputs"]["model"])
            for c in chains:
                if source and c["deploy"] == source["name"]:
                    c["retrained"] = accuracy(step)
    for k, col in STAGES:
        done = [s for s in plan["steps"] if s["kind"] == k and "metrics" in s]
        if done and k not in ("deploy", "retrain"):
            row[col] = f"{accuracy(done[0]):.2f}"
    if chains:
        first = chains[0]
        layers = first["layers"]
        row["relative_energy"] = f"{first['energy']:.4f}"
        row["deployed_acc"] = f"{first['deployed']:.2f}"
        row["deployed_unadapted_acc"] = f"{first['unadapted']:.2f}" if first["unadapted"] is not None else ""
        row["retrained_acc"] = f"{first['retrained']:.2f}" if first["retrained"] is not None else ""
        row["multipliers"] = " ".join(f"{l['layer']}:{l['multiplier']}" for l in layers)
        if first["estimators"]:  # the tolerance matching: its estimator, and what each estimator would give
            row["estimator"] = first["estimators"]["estimator"]
            for name, e in sorted(first["estimators"]["estimators"].items()):
                row[f"{name}.relative_energy"] = f"{e['relative_energy']:.4f}"
                row[f"{name}.violations"] = e["violations"]
        for c in chains[1:]:
            row[f"{c['deploy']}.relative_energy"] = f"{c['energy']:.4f}"
            row[f"{c['deploy']}.deployed_acc"] = f"{c['deployed']:.2f}"
            if c["unadapted"] is not None:
                row[f"{c['deploy']}.deployed_unadapted_acc"] = f"{c['unadapted']:.2f}"
            if c["retrained"] is not None:
                row[f"{c['deploy']}.retrained_acc"] = f"{c['retrained']:.2f}"
            if c["assignment"]:
                row[f"{c['deploy']}.budget"] = c["assignment"]["budget"]
    return row, layers, curves, chains


def pareto(points):
    """Indices of the points no other point beats in both energy (lower) and accuracy (higher)."""
    front = []
    for i, (e, a) in enumerate(points):
        if not any((e2 <= e and a2 >= a) and (e2, a2) != (e, a) for e2, a2 in points):
            front.append(i)
    return sorted(front, key=lambda i: points[i][0])


def figure_png(fig, path):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return base64.b64encode(buf.getvalue()).decode()


def plot_pareto(rows, chains_by_point, path):
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    strategies = sorted({c["strategy"] for _, chains in chains_by_point for c in chains})
    # A deployed network shared by several sweep points (an independent branch) is drawn once,
    # labelled with its own point.
    unique = {c["artifact"]: c for _, chains in chains_by_point for c in chains}.values()
    for k, strategy in enumerate(strategies):
        color = f"C{k}"
        mine = [c for c in unique if c["strategy"] == strategy]
        pts = [(c["energy"], c["retrained"] if c["retrained"] is not None else c["deployed"],
                os.path.basename(os.path.dirname(c["artifact"]))) for c in mine]
        before = [(c["energy"], c["deployed"]) for c in mine]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], color=color, marker="o", label=f"{strategy}: retrained")
        ax.scatter([p[0] for p in before], [p[1] for p in before], color=color, marker="x", label=f"{strategy}: deployed")
        front = pareto([(p[0], p[1]) for p in pts])
        ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "--", color=color, lw=0.8)
        for p in pts:
            ax.annotate(p[2], (p[0], p[1]), fontsize=6, xytext=(3, 3), textcoords="offset points")
    base = [float(r["quant_acc"]) for r in rows if r.get("quant_acc")]
    if base:
        ax.axhline(sum(base) / len(base), color="green", lw=0.8, label="quantized, exact products")
    ax.set_xlabel("relative multiplication energy E_rel")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("accuracy vs. energy (dashed: Pareto front per strategy)")
    ax.legend(fontsize=6)
    ax.grid(alpha=0.3)
    return figure_png(fig, path)


def plot_layers(per_point, path):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    n = max(len(per_point), 1)
    for k, (point, layers) in enumerate(per_point):
        xs = [i + (k - (n - 1) / 2) * 0.8 / n for i in range(len(layers))]
        ax1.bar(xs, [l["sigma"] for l in layers], width=0.8 / n, label=point)
        ax2.bar(xs, [l["relative_power"] for l in layers], width=0.8 / n, label=point)
        for x, l in zip(xs, layers):
            ax2.annotate(l["multiplier"], (x, l["relative_power"]), rotation=90, fontsize=6, ha="center", va="bottom")
    names = per_point[0][1] if per_point else []
    for ax, title in ((ax1, "learned |sigma_l| per layer"), (ax2, "chosen multiplier power (P / P_exact)")):
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([l["layer"] for l in names], rotation=30, fontsize=7)
        ax.set_title(title)
        ax.grid(alpha=0.3, axis="y")
    ax2.set_ylim(0, 1.25)
    ax1.legend(fontsize=7)
    return figure_png(fig, path)


def plot_curves(curves_by_point, path):
    """Each step's epochs after the steps before it; a step shared by several sweep points is drawn once."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    drawn, k = set(), 0
    for point, curves in curves_by_point:
        offset = 0
        for step, history, artifact in curves:
            epochs = [offset + h["epoch"] for h in history]
            offset = epochs[-1] if epochs else offset
            if artifact in drawn:
                continue
            drawn.add(artifact)
            label = f"{os.path.basename(os.path.dirname(artifact))}: {step}"
            style = dict(marker=".", color=f"C{k % 10}", ls="-" if k < 10 else "--", label=label)
            k += 1
            ax1.plot(epochs, [h["loss"] for h in history], **style)
            ax2.plot(epochs, [h.get("val_accuracy", h["accuracy"]) for h in history], **style)
    ax1.set_title("training loss per epoch (steps in sequence; noise steps include the noise term)")
    ax2.set_title("validation accuracy per epoch (%)")
    for ax in (ax1, ax2):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    ax2.legend(fontsize=6)
    return figure_png(fig, path)


def markdown_table(columns, rows):
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


SEARCH_COLUMNS = ["candidate", "relative_energy", "predicted_cost", "val_loss", "val_loss_increase", "val_accuracy",
                  "kept", "multipliers"]


def search_section(point, deploy, assignment):
    """The search's candidates: predicted cost next to the evaluated validation loss and accuracy."""
    s = assignment["search"]
    rows = []
    for i, e in enumerate(s["evaluated"]):
        rows.append({"candidate": i + 1, "relative_energy": f"{e['relative_energy']:.4f}",
                     "predicted_cost": f"{e['predicted_cost']:.4g}", "val_loss": f"{e['val_loss']:.4f}",
                     "val_loss_increase": f"{e['val_loss_increase']:+.4f}", "val_accuracy": f"{e['val_accuracy']:.2f}",
                     "kept": "yes" if i == s["selected"] else "", "multipliers": " ".join(e["multipliers"])})
    ref = s["reference"]
    return [f"## {point}: search candidates of {deploy} (criterion {assignment['criterion']}, E_rel <= "
            f"{assignment['budget']}, kept by {s['select_by']}; reference val loss {ref['val_loss']:.4f}, "
            f"accuracy {ref['val_accuracy']:.2f})", "", markdown_table(SEARCH_COLUMNS, rows), ""]


def main(plan, experiment, out_csv, out_md, out_html, plots_dir):
    os.makedirs(plots_dir, exist_ok=True)
    rows, per_point, curves, chains = [], [], [], []
    for p in plan:
        row, layers, c, ch = read_point(p, experiment)
        rows.append(row)
        per_point.append((p["point"], layers))
        curves.append((p["point"], c))
        chains.append((p["point"], ch))
    columns = COLUMNS + sorted({k for r in rows for k in r} - set(COLUMNS))
    with open(out_csv + ".partial", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    layer_cols = ["layer", "ops_share", "sigma", "max_std", "multiplier", "predicted_std", "measured_std",
                  "predicted/measured", "mean_error", "relative_power"]
    md = [f"# {experiment}: summary", "", "Accuracies: test split, percent (deployed_unadapted_acc: "
          "before BatchNorm adaptation, deployed_acc: after it). relative_energy: E_rel = "
          "sum_l ops share * P_l / P_exact. <estimator>.relative_energy / .violations: the E_rel each error "
          "estimator's choice would give, and how many layers it puts over their tolerance (error std measured on "
          "the sampled operands > max_std).", "", markdown_table([c for c in columns if c != "multipliers"], rows), ""]
    for point, layers in per_point:
        if layers:
            fmt = [{k: (f"{v:.4g}" if isinstance(v, float) else ("-" if v is None else v)) for k, v in l.items()} for l in layers]
            md += [f"## {point}: multiplier per layer", "", markdown_table(layer_cols, fmt), ""]
    for point, ch in chains:
        for c in ch:
            if c["assignment"] and "search" in c["assignment"]:
                md += search_section(point, c["deploy"], c["assignment"])

    with open(out_md + ".partial", "w") as f:
        f.write("\n".join(md))
    images = [("Accuracy vs. relative energy", plot_pareto(rows, chains, os.path.join(plots_dir, "pareto.png"))),
              ("Per-layer tolerance and choice", plot_layers(per_point, os.path.join(plots_dir, "layers.png"))),
              ("Training curves", plot_curves(curves, os.path.join(plots_dir, "curves.png")))]
    body = [f"<h1>{html.escape(experiment)}</h1>", "<h2>Summary</h2>", "<table border=1 cellpadding=3>",
            "<tr>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"]
    body += ["<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>" for r in rows]
    body.append("</table>")
    for title, data in images:
        body += [f"<h2>{title}</h2>", f'<img src="data:image/png;base64,{data}">']
    with open(out_html + ".partial", "w") as f:
        f.write("<!DOCTYPE html><html><head><meta charset='utf-8'><title>axnn report</title></head><body>"
                + "\n".join(body) + "</body></html>\n")
    for path in (out_csv, out_md, out_html):
        os.replace(path + ".partial", path)


if __name__ == "__main__":
    if "snakemake" in globals():
        sm = snakemake  # noqa: F821
        sys.stderr = open(sm.log[0], "w")
        main(sm.params.plan, sm.params.experiment, sm.output.csv, sm.output.md, sm.output.html, sm.output.plots)
    else:
        print("usage: run through the workflow's report rule", file=sys.stderr)
        sys.exit(2)
