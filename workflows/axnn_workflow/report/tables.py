"""The report's tables as rows of strings: the summary (one row per sweep point, also summary.csv),
the deployed networks, the choice per layer, the search candidates, step times and provenance.
summary.md is written from the same rows."""
import csv
import os

from .gather import LAYER_FIELDS, stage_columns_of


def fmt(v, spec=".2f"):
    if v is None:
        return ""
    return f"{v:{spec}}" if isinstance(v, float) else str(v)


def summary_rows(results):
    """One row per sweep point. The first deployed network of the point fills the main columns; the
    others add "<deploy step>.<column>" columns. Returns (columns, rows)."""
    stage_cols = results.stage_columns()
    rows = []
    for p in results.points:
        row = {"experiment": results.experiment, "point": p["point"], "seed": p["seed"], "lambda": p["lambda"]}
        for s, col in zip(p["stages"], stage_columns_of(p["stages"])):
            if s["kind"] not in ("deploy", "retrain") and col not in row:
                row[col] = fmt(s["accuracy"])
        # No deployed network: every product exact, E_total is the MAC fraction alone.
        row["mac_fraction"] = row["total_energy"] = fmt(p["mac_fraction"], ".4f")
        if p["networks"]:
            first = p["networks"][0]
            row.update({"relative_energy": fmt(first["energy"], ".4f"), "mac_fraction": fmt(first["mac_fraction"], ".4f"),
                        "total_energy": fmt(first["total_energy"], ".4f"),
                        "deployed_acc": fmt(first["deployed"]),
                        "deployed_unadapted_acc": fmt(first["unadapted"]), "retrained_acc": fmt(first["retrained"]),
                        "multipliers": " ".join(f"{l['layer']}:{l['multiplier']}" for l in first["layers"])})
            if first["estimators"]:  # the tolerance matching's estimator, and what each estimator would give
                row["estimator"] = first["estimators"]["estimator"]
                for name, e in sorted(first["estimators"]["estimators"].items()):
                    row[f"{name}.relative_energy"] = f"{e['relative_energy']:.4f}"
                    row[f"{name}.violations"] = e["violations"]
            for n in p["networks"][1:]:
                d = n["deploy"]
                row[f"{d}.relative_energy"] = fmt(n["energy"], ".4f")
                row[f"{d}.mac_fraction"] = fmt(n["mac_fraction"], ".4f")
                row[f"{d}.total_energy"] = fmt(n["total_energy"], ".4f")
                row[f"{d}.deployed_acc"] = fmt(n["deployed"])
                if n["unadapted"] is not None:
                    row[f"{d}.deployed_unadapted_acc"] = fmt(n["unadapted"])
                if n["retrained"] is not None:
                    row[f"{d}.retrained_acc"] = fmt(n["retrained"])
                if n["assignment"]:
                    row[f"{d}.budget"] = n["assignment"]["budget"]
        rows.append(row)
    main = (["experiment", "point", "lambda", "seed"] + stage_cols
            + ["relative_energy", "mac_fraction", "total_energy", "multipliers"])
    return main + sorted({k for r in rows for k in r} - set(main)), rows


def network_rows(results):
    """One row per deployed network (a network shared by several sweep points appears once)."""
    rows = []
    for n in results.networks.values():
        est = n["estimators"]
        rows.append({"network": f"{n['home']}/{n['deploy']}", "strategy": n["strategy"],
                     "budget": fmt(n["assignment"]["budget"]) if n["assignment"] else "",
                     "relative_energy": fmt(n["energy"], ".4f"), "mac_fraction": fmt(n["mac_fraction"], ".4f"),
                     "total_energy": fmt(n["total_energy"], ".4f"), "deployed_unadapted_acc": fmt(n["unadapted"]),
                     "deployed_acc": fmt(n["deployed"]), "retrained_acc": fmt(n["retrained"]),
                     "estimator": est["estimator"] if est else "",
                     "violations": est["estimators"][est["estimator"]]["violations"] if est else "",
                     "points": len(n["points"])})
    return rows


NETWORK_COLUMNS = ["network", "strategy", "budget", "relative_energy", "mac_fraction", "total_energy",
                   "deployed_unadapted_acc", "deployed_acc",
                   "retrained_acc", "estimator", "violations", "points"]


def layer_rows(network):
    return [{k: ("-" if l.get(k) is None else fmt(l[k], ".4g")) for k in LAYER_FIELDS} for l in network["layers"]]


SEARCH_COLUMNS = ["candidate", "relative_energy", "predicted_cost", "val_loss", "val_loss_increase", "val_accuracy",
                  "kept", "multipliers"]


def search_rows(assignment):
    """The search's candidates: predicted cost next to the evaluated validation loss and accuracy."""
    s = assignment["search"]
    return [{"candidate": i + 1, "relative_energy": f"{e['relative_energy']:.4f}",
             "predicted_cost": f"{e['predicted_cost']:.4g}", "val_loss": f"{e['val_loss']:.4f}",
             "val_loss_increase": f"{e['val_loss_increase']:+.4f}", "val_accuracy": f"{e['val_accuracy']:.2f}",
             "kept": "yes" if i == s["selected"] else "", "multipliers": " ".join(e["multipliers"])}
            for i, e in enumerate(s["evaluated"])]


def search_title(network):
    a = network["assignment"]
    s, ref = a["search"], a["search"]["reference"]
    return (f"search candidates of {network['deploy']} (criterion {a['criterion']}, E_rel <= {a['budget']}, kept by "
            f"{s['select_by']}; reference val loss {ref['val_loss']:.4f}, accuracy {ref['val_accuracy']:.2f})")


TIME_COLUMNS = ["step", "kind", "where", "seconds", "cpu_seconds", "max_rss_mb"]


def time_rows(results):
    return [{**t, "seconds": fmt(t["seconds"]), "cpu_seconds": fmt(t["cpu_seconds"]),
             "max_rss_mb": fmt(t["max_rss_mb"], ".0f")} for t in results.times]


def time_by_kind(results):
    """(kind, total wall seconds, jobs), slowest first."""
    totals = {}
    for t in results.times:
        s, n = totals.get(t["kind"], (0.0, 0))
        totals[t["kind"]] = (s + t["seconds"], n + 1)
    return sorted(((k, s, n) for k, (s, n) in totals.items()), key=lambda x: -x[1])


PROVENANCE_COLUMNS = ["artifact", "program", "seed", "threads", "world_size", "version", "git_revision", "date"]


def provenance_rows(results):
    rows = []
    for path, a in results.artifacts.items():
        made = a.get("created_by") or {}
        rows.append({"artifact": os.path.relpath(path, results.results), **{k: made.get(k, "") for k in PROVENANCE_COLUMNS[1:]},
                     "seed": a.get("seed", ""), "command_line": made.get("command_line", "")})
    return rows


def write_csv(path, columns, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def markdown_table(columns, rows):
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def summary_markdown(results, columns, rows):
    md = [f"# {results.experiment}: summary", "", "Accuracies: test split, percent (deployed_unadapted_acc: "
          "before BatchNorm adaptation, deployed_acc: after it). relative_energy: E_rel = "
          "sum_l ops share * P_l / P_exact. mac_fraction: the multiply-accumulates a pruned network keeps of the dense "
          "one's (1: not pruned); total_energy: E_total = mac_fraction * E_rel, the multiplication energy against the "
          "dense network with exact multipliers. <estimator>.relative_energy / .violations: the E_rel each error "
          "estimator's choice would give, and how many layers it puts over their tolerance (error std measured on "
          "the sampled operands > max_std).", "", markdown_table([c for c in columns if c != "multipliers"], rows), ""]
    if results.problems.items:
        md += ["## Files that could not be read", ""] + [f"- {p}: {w}" for p, w in results.problems.items.items()] + [""]
    for p in results.points:
        if p["networks"] and p["networks"][0]["layers"]:
            md += [f"## {p['point']}: multiplier per layer", "", markdown_table(LAYER_FIELDS, layer_rows(p["networks"][0])), ""]
    for p in results.points:
        for n in p["networks"]:
            if n["assignment"] and "search" in n["assignment"]:
                md += [f"## {p['point']}: {search_title(n)}", "", markdown_table(SEARCH_COLUMNS, search_rows(n["assignment"])), ""]
    return "\n".join(md)
