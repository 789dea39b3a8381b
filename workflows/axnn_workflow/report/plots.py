"""The report's figures (matplotlib, Agg): accuracy against energy with the Pareto front per strategy,
per-layer sigma and chosen multiplier power, training curves, and wall time per step kind. Each is
written as a PNG and returned base64-encoded for the self-contained HTML page.

Large sweeps stay legible: labels, layer bars and curves are capped (MAX_*), and each figure says
how many it left out."""
import base64
import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MAX_LABELS = 30      # point labels on the accuracy-energy plot
MAX_NETWORKS = 8     # deployed networks in the per-layer bars
MAX_CURVES = 20      # training curves


def save(fig, path):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    with open(path + ".partial", "wb") as f:
        f.write(buf.getvalue())
    return base64.b64encode(buf.getvalue()).decode()


def pareto(points):
    """Indices of the points no other point beats in both energy (lower) and accuracy (higher)."""
    front = []
    for i, (e, a) in enumerate(points):
        if not any((e2 <= e and a2 >= a) and (e2, a2) != (e, a) for e2, a2 in points):
            front.append(i)
    return sorted(front, key=lambda i: points[i][0])


def plot_pareto(results, path):
    """Accuracy against E_total: approximated only (circles), pruned and approximated (squares), pruned only
    (triangles: the point's last model before any deployment, every product exact)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    nets = [n for n in results.networks.values() if n["total_energy"] is not None and n["deployed"] is not None]
    label = len(nets) <= MAX_LABELS
    for k, strategy in enumerate(sorted({n["strategy"] for n in nets})):
        mine = [n for n in nets if n["strategy"] == strategy]
        pts = [(n["total_energy"], n["retrained"] if n["retrained"] is not None else n["deployed"], n["home"],
                n["mac_fraction"] < 1) for n in mine]
        for pruned, marker, what in ((False, "o", "approximated"), (True, "s", "pruned + approximated")):
            sel = [p for p in pts if p[3] == pruned]
            if sel:
                ax.scatter([p[0] for p in sel], [p[1] for p in sel], color=f"C{k}", marker=marker,
                           label=f"{strategy}: {what}, retrained")
        ax.scatter([n["total_energy"] for n in mine], [n["deployed"] for n in mine], color=f"C{k}", marker="x",
                   label=f"{strategy}: deployed")
        front = pareto([(p[0], p[1]) for p in pts])
        ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "--", color=f"C{k}", lw=0.8)
        for p in pts if label else []:
            ax.annotate(p[2], (p[0], p[1]), fontsize=6, xytext=(3, 3), textcoords="offset points")
    pruned_only = pruned_points(results)
    if pruned_only:
        ax.scatter([p[0] for p in pruned_only], [p[1] for p in pruned_only], color="black", marker="^",
                   label="pruned only (exact products)")
    # Each point's first quantized model: the dense one (a later quantize step fine-tunes a pruned model).
    quant = [next((s["accuracy"] for s in p["stages"] if s["kind"] == "quantize"), None) for p in results.points]
    quant = [q for q in quant if q is not None]
    if quant:
        ax.axhline(sum(quant) / len(quant), color="green", lw=0.8, label="quantized, dense, exact products (E_total 1)")
    ax.set_xlabel("multiplication energy E_total = MAC fraction x E_rel (dense, exact: 1)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("accuracy vs. energy (dashed: Pareto front per strategy)"
                 + ("" if label else f"\n{len(nets)} networks, unlabelled"), fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6)
    ax.grid(alpha=0.3)
    return save(fig, path)


def pruned_points(results):
    """(MAC fraction, accuracy) of each pruned model with exact products (a prune step's model, or a quantize
    step's that fine-tuned it): the last such stage of every point, once per model."""
    seen, out = set(), []
    for p in results.points:
        exact = [s for s in p["stages"] if s.get("mac_fraction") is not None and s["kind"] in ("prune", "quantize")]
        if not exact or exact[-1]["accuracy"] is None:
            continue
        s = exact[-1]
        if (s["mac_fraction"], s["step"]) not in seen:
            seen.add((s["mac_fraction"], s["step"]))
            out.append((s["mac_fraction"], s["accuracy"]))
    return out


def plot_layers(results, path):
    nets = [n for n in results.networks.values() if n["layers"]][:MAX_NETWORKS]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    n = max(len(nets), 1)
    for k, net in enumerate(nets):
        xs = [i + (k - (n - 1) / 2) * 0.8 / n for i in range(len(net["layers"]))]
        label = f"{net['home']}/{net['deploy']}"
        ax1.bar(xs, [l["sigma"] for l in net["layers"]], width=0.8 / n, label=label)
        ax2.bar(xs, [l["relative_power"] for l in net["layers"]], width=0.8 / n, label=label)
        for x, l in zip(xs, net["layers"]):
            ax2.annotate(l["multiplier"], (x, l["relative_power"]), rotation=90, fontsize=6, ha="center", va="bottom")
    names = [l["layer"] for l in nets[0]["layers"]] if nets else []
    left_out = len([x for x in results.networks.values() if x["layers"]]) - len(nets)
    for ax, title in ((ax1, "|sigma_l| per layer (sigma_init where never noise-trained)"),
                      (ax2, "chosen multiplier power (P / P_exact)")):
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, fontsize=7)
        ax.set_title(title + (f"\nfirst {len(nets)} networks, {left_out} more in the tables" if left_out else ""),
                     fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    ax2.set_ylim(0, 1.25)
    if nets:
        ax1.legend(fontsize=6)
    return save(fig, path)


def plot_curves(results, path):
    """Each step's epochs after the steps before it; a step shared by several sweep points is drawn once."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    drawn, total = set(), set()
    for point in results.points:
        offset = 0
        for step, history, artifact in point["curves"]:
            epochs = [offset + h["epoch"] for h in history]
            offset = epochs[-1] if epochs else offset
            total.add(artifact)
            if artifact in drawn or len(drawn) >= MAX_CURVES:
                continue
            k = len(drawn)
            drawn.add(artifact)
            style = dict(marker=".", color=f"C{k % 10}", ls="-" if k < 10 else "--",
                         label=f"{os.path.basename(os.path.dirname(artifact))}: {step}")
            ax1.plot(epochs, [h["loss"] for h in history], **style)
            ax2.plot(epochs, [h.get("val_accuracy", h["accuracy"]) for h in history], **style)
    more = f" (first {len(drawn)} of {len(total)} steps)" if len(total) > len(drawn) else ""
    ax1.set_title("training loss per epoch" + more + "\n(steps in sequence; noise steps include the noise term)", fontsize=10)
    ax2.set_title("validation accuracy per epoch (%)", fontsize=10)
    for ax in (ax1, ax2):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    if drawn:
        ax2.legend(fontsize=6)
    return save(fig, path)


def plot_times(by_kind, path):
    """Total wall time per step kind (horizontal bars, slowest on top), each with its job count."""
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * max(len(by_kind), 2) + 1))
    kinds = [k for k, _, _ in by_kind][::-1]
    secs = [s for _, s, _ in by_kind][::-1]
    ax.barh(kinds, secs, color="C0")
    for y, (s, n) in enumerate(zip(secs, [n for _, _, n in by_kind][::-1])):
        ax.annotate(f"{s:.1f} s, {n} job{'s' if n != 1 else ''}", (s, y), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=7)
    ax.set_xlabel("wall time, all jobs of the kind (s)")
    ax.set_title("where the time went (Snakemake benchmark files)", fontsize=10)
    ax.set_xlim(0, max(secs + [1.0]) * 1.3)
    ax.grid(alpha=0.3, axis="x")
    return save(fig, path)
