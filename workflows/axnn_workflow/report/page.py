"""report.html: one self-contained page (inline CSS, base64 PNGs, no script, no network access).

Tables stay inside the page at any width: cells may wrap anywhere, and a table that still cannot
fit scrolls inside its own box instead of widening the page. What grows with the sweep (per-network
choices, search candidates, per-artifact provenance, command lines) sits in collapsed <details>."""
import html
import json

from . import tables

CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 1rem 2rem;color:#222}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #ccc;margin-top:2rem} .lead{color:#555;margin-top:0}
.box{overflow-x:auto;max-width:100%;margin:.5rem 0}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:2px 5px;vertical-align:top} td{overflow-wrap:anywhere}
th{background:#f0f0f0;text-align:left} td{text-align:right} td.t{text-align:left}
img{max-width:100%;height:auto}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f7f7;padding:.5rem;font-size:12px}
details{margin:.3rem 0} summary{cursor:pointer}
.problems{border:2px solid #b00;background:#fee;padding:.2rem 1rem;margin:1rem 0}
nav a{margin-right:1rem}
"""

TEXT_COLUMNS = {"experiment", "point", "network", "strategy", "estimator", "layer", "multiplier", "multipliers", "step",
                "kind", "where", "artifact", "program", "version", "git_revision", "date", "compiler", "programs",
                "path", "hash", "kept", "package", "version", "key", "value"}


def esc(v):
    return html.escape(str(v))


def header(name):
    """A column name that may break after _ . / but not inside a word."""
    return "".join(f"{c}<wbr>" if c in "_./" else c for c in esc(name))


def table(columns, rows, headers=None):
    head = "".join(f"<th>{header(h)}</th>" for h in (headers or columns))
    body = "".join("<tr>" + "".join(f"<td{' class=t' if c in TEXT_COLUMNS else ''}>{esc(r.get(c, ''))}</td>"
                                    for c in columns) + "</tr>" for r in rows)
    return f"<div class=box><table><tr>{head}</tr>{body}</table></div>"


def details(summary, inner, open_=False):
    return f"<details{' open' if open_ else ''}><summary>{summary}</summary>{inner}</details>"


def image(title, data):
    return f'<figure><img alt="{esc(title)}" src="data:image/png;base64,{data}"></figure>'


def problems_section(results):
    if not results.problems.items:
        return []
    items = "".join(f"<li><code>{esc(p)}</code>: {esc(w)}</li>" for p, w in results.problems.items.items())
    return [f"<div class=problems id=problems><p><b>{len(results.problems.items)} file(s) could not be read</b>; "
            f"what they hold is left blank below.</p><ul>{items}</ul></div>"]


# The summary's widest headers, shortened on the page (summary.csv keeps the full names).
SHORT_HEADERS = {"relative_energy": "E_rel", "total_energy": "E_total"}


def summary_section(results, columns, rows):
    sweep = sorted({k for p in results.points for k in p["values"]})
    stage = results.stage_columns()
    main = ["point"] + [f"sweep:{k}" for k in sweep] + ["seed"] + stage + ["relative_energy", "total_energy"]
    shown = [{**r, **{f"sweep:{k}": p["values"].get(k, "") for k in sweep}} for r, p in zip(rows, results.points)]
    return ["<h2 id=summary>Summary</h2>",
            "<p class=lead>One row per sweep point: test accuracy (%) after each stage, and E_rel = "
            "&sum;<sub>l</sub> ops share &middot; P<sub>l</sub> / P<sub>exact</sub> of its first deployed network "
            "(deployed_unadapted_acc: before BatchNorm adaptation), and E_total = MAC fraction &middot; "
            "E_rel, against the dense network with exact multipliers (the MAC fraction a pruned network keeps is in "
            "the next section). Every network is in the next section; "
            "summary.csv has all columns.</p>",
            table(main, shown, headers=[SHORT_HEADERS.get(c, c.replace("sweep:", "")) for c in main])]


def networks_section(results):
    out = ["<h2 id=networks>Deployed networks and the choice per layer</h2>",
           "<p class=lead>One row per deployed network (one shared by several sweep points appears once). "
           "Per layer: the multiplier, its share of the network's products, the learned &sigma; and the error "
           "tolerance (max_std), the error std predicted and measured on sampled operands, the mean error and the "
           "multiplier's power relative to the exact one.</p>",
           table(tables.NETWORK_COLUMNS, tables.network_rows(results))]
    for n in results.networks.values():
        inner = table(tables.LAYER_FIELDS, tables.layer_rows(n)) if n["layers"] else "<p>no readable matching</p>"
        if n["assignment"] and "search" in n["assignment"]:
            inner += f"<p>{esc(tables.search_title(n))}</p>" + table(tables.SEARCH_COLUMNS, tables.search_rows(n["assignment"]))
        inner += f"<p>sweep points: {esc(', '.join(n['points']))}</p>"
        title = (f"<b>{esc(n['home'])}/{esc(n['deploy'])}</b>: {esc(n['strategy'])}, E_rel "
                 f"{esc(tables.fmt(n['energy'], '.4f'))}"
                 + (f", MAC fraction {n['mac_fraction']:.4f}, E_total {esc(tables.fmt(n['total_energy'], '.4f'))}"
                    if n["mac_fraction"] < 1 else "")
                 + f", deployed {esc(tables.fmt(n['deployed']))} %"
                 + (f", retrained {esc(tables.fmt(n['retrained']))} %" if n["retrained"] is not None else ""))
        out.append(details(title, inner, open_=len(results.networks) <= 4))
    return out


def times_section(results, plot):
    rows = tables.time_rows(results)
    total = sum(t["seconds"] for t in results.times)
    return ["<h2 id=times>Step times</h2>",
            f"<p class=lead>Wall time of every job from its Snakemake benchmark file: {total:.1f} s in all over "
            f"{len(rows)} jobs (a step shared by several sweep points ran once). cpu_seconds: CPU time; "
            "max_rss_mb: peak resident memory.</p>",
            image("wall time per step kind", plot) if plot else "<p>no benchmark files</p>",
            details(f"every job ({len(rows)})", table(tables.TIME_COLUMNS, rows), open_=len(rows) <= 40)]


def provenance_section(results):
    out = ["<h2 id=provenance>How it was made</h2>",
           "<p class=lead>The software that wrote the artifacts (from each artifact's <code>created_by</code>), "
           "the multiplier library's sources with their hashes, every artifact's program, seed and thread "
           "count, and the experiment config as run.</p>",
           "<h3>Software</h3>"]
    software = results.software()
    cols = sorted({k for s in software for k in s} - {"programs"}) + ["programs"]
    out.append(table(cols, software))
    envs = results.environments()
    if envs:
        out += ["<p>Recorded by the artifacts (<code>created_by.environment</code>; a key with several values "
                "means the results were made in more than one environment):</p>", table(["key", "value", "programs"], envs)]
    env = results.environment or {}
    if env:
        key = ("torch", "snakemake", "h5py", "numpy", "matplotlib")
        packages = env.get("python_packages", {})
        lock = env.get("lock_file") or {}
        out.append(f"<p>Environment (<code>environment.json</code>): {esc(env.get('axnn', ''))}; Python "
                   f"{esc(env.get('python', ''))} with {len(packages)} packages, among them "
                   f"{esc(', '.join(f'{k} {packages[k]}' for k in key if k in packages))}"
                   + (f", installed from the lock file {esc(lock.get('path', ''))} (sha256 {esc(lock.get('sha256', '')[:16])}…)"
                      if lock else "") + f"; {esc(env.get('machine', {}).get('platform', ''))}.</p>")
        debian = env.get("debian_packages", {})
        if debian:
            out.append(details(f"Debian packages ({len(debian)})",
                               table(["package", "version"], [{"package": k, "version": v} for k, v in debian.items()])))
    made = results.report_software()
    out.append(f"<p>This report: {esc(', '.join(f'{k} {v}' for k, v in made.items()))}.</p>")
    lib = results.library or {}
    sources = (lib.get("config") or {}).get("sources", [])
    out += ["<h3>Multiplier library</h3>",
            f"<p>{len(sources)} source(s): <code>{esc(json.dumps(sources))}</code></p>",
            table(["path", "kind", "hash"], lib.get("inputs", []))]
    rows = tables.provenance_rows(results)
    seeds = sorted({str(r["seed"]) for r in rows if r["seed"] != ""})
    threads = sorted({str(r["threads"]) for r in rows if r["threads"] != ""})
    out += ["<h3>Artifacts</h3>",
            f"<p>{len(rows)} artifacts; seeds {esc(', '.join(seeds) or '-')}; threads per process "
            f"{esc(', '.join(threads) or '-')}.</p>",
            details(f"program, seed and threads of every artifact ({len(rows)})",
                    table(tables.PROVENANCE_COLUMNS, rows), open_=len(rows) <= 30),
            details("command lines", "<pre>" + esc("\n".join(f"{r['artifact']}: {r['command_line']}" for r in rows)) + "</pre>")]
    if results.config is not None:
        out += ["<h3>Experiment config as run</h3>", details("config (defaults filled in)",
                                                              "<pre>" + esc(json.dumps(results.config, indent=2)) + "</pre>")]
    return out


def render(results, columns, rows, images):
    """The whole page; `images` maps a figure's id to (title, base64 PNG or None)."""
    nav = "".join(f'<a href="#{i}">{t}</a>' for i, t in (("summary", "Summary"), ("networks", "Networks"),
                                                         ("plots", "Plots"), ("times", "Step times"),
                                                         ("provenance", "Provenance")))
    body = [f"<h1>{esc(results.experiment)}</h1>",
            f"<p class=lead>axnn experiment report: {len(results.points)} sweep point(s), "
            f"{len(results.networks)} deployed network(s).</p><nav>{nav}</nav>"]
    body += problems_section(results)
    body += summary_section(results, columns, rows)
    body += networks_section(results)
    body.append("<h2 id=plots>Plots</h2>")
    for key in ("pareto", "layers", "curves"):
        title, data = images[key]
        body += [f"<h3>{esc(title)}</h3>", image(title, data)]
    body += times_section(results, images["times"][1])
    body += provenance_section(results)
    return ("<!DOCTYPE html><html lang=en><head><meta charset='utf-8'>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{esc(results.experiment)}: axnn report</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
