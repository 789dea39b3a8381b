"""The workflow's `report` rule (Snakemake `script:`): summary.csv, summary.md, plots/*.png and the
self-contained report.html of every sweep point; the work is in workflows/axnn_workflow/report.

Files it cannot read are named in the report and in the rule's log; any other failure is one line
in the log (exit 1), not a traceback (AXNN_DEBUG=1 shows it)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from axnn_workflow.report import FIGURES, write_report  # noqa: E402


def main(sm):
    outputs = {k: getattr(sm.output, k) for k in ["csv", "md", "html", *FIGURES]}
    try:
        results = write_report(sm.params.plan, sm.params.experiment, outputs, sm.params.config)
    except Exception as e:  # noqa: BLE001 - the rule's log gets one clear line, the partial files are removed
        for path in outputs.values():
            if os.path.exists(path + ".partial"):
                os.remove(path + ".partial")
        if os.environ.get("AXNN_DEBUG"):
            raise
        print(f"report: error: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    for path, what in results.problems.items.items():
        print(f"report: warning: {path}: {what}", file=sys.stderr)


if __name__ == "__main__":
    if "snakemake" not in globals():
        print("usage: run through the workflow's report rule", file=sys.stderr)
        sys.exit(2)
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
    main(snakemake)  # noqa: F821
