"""The experiment report over every sweep point: summary.csv and summary.md (one row per point),
the figures under plots/, and report.html, one self-contained page with the summary, the choice per
layer of every deployed network, the plots, the step times and the provenance.

gather reads the results (a missing or damaged file is listed, never fatal), tables turns them into
rows, plots draws the figures and page writes the HTML. Every output is written to a temporary name
and renamed when complete."""
import os

from . import page, plots, tables
from .gather import Results

FIGURES = {"pareto": "Accuracy vs. relative energy", "layers": "Per-layer tolerance and choice",
           "curves": "Training curves", "times": "Wall time per step kind"}


def write_report(plan, experiment, outputs, config=None, results_folder=None):
    """Writes outputs["csv"], ["md"], ["html"] and the PNGs outputs[figure] for figure in FIGURES, for
    the results in `results_folder` (default: the folder of outputs["csv"]). Returns the gathered
    Results (its problems name every file that could not be read)."""
    folder = results_folder or os.path.dirname(os.path.abspath(outputs["csv"]))
    results = Results(plan, folder, experiment, config)
    columns, rows = tables.summary_rows(results)
    tables.write_csv(outputs["csv"] + ".partial", columns, rows)
    with open(outputs["md"] + ".partial", "w") as f:
        f.write(tables.summary_markdown(results, columns, rows))
    for key in FIGURES:
        os.makedirs(os.path.dirname(os.path.abspath(outputs[key])), exist_ok=True)
    by_kind = tables.time_by_kind(results)
    images = {"pareto": plots.plot_pareto(results, outputs["pareto"]),
              "layers": plots.plot_layers(results, outputs["layers"]),
              "curves": plots.plot_curves(results, outputs["curves"]),
              "times": plots.plot_times(by_kind, outputs["times"])}
    with open(outputs["html"] + ".partial", "w") as f:
        f.write(page.render(results, columns, rows, {k: (FIGURES[k], v) for k, v in images.items()}))
    for key in ["csv", "md", "html", *FIGURES]:
        os.replace(outputs[key] + ".partial", outputs[key])
    return results
