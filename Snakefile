# axnn workflow: wires the rule files together. Run from the repository root, e.g.
#   .venv/bin/snakemake --profile workflows/profiles/local --configfile workflows/configs/lenet5-fmnist.yaml
# Results land in results/<experiment>/<sweep point>/<step>.h5, logs beside them.
from snakemake.utils import min_version

min_version("9.0")

# The default experiment, used only when no --configfile is given (a config of one's own is never
# merged into it).
DEFAULT_CONFIG = "workflows/configs/lenet5-fmnist.yaml"
if not workflow.overwrite_configfiles:

    configfile: DEFAULT_CONFIG


# Snakemake's own report (snakemake --report report.zip): this description, then every output marked
# with report(...) (the summary, axnn's report.html and the plots), with the workflow's provenance.
report: "workflows/report/workflow.rst"


include: "workflows/rules/common.smk"
include: "workflows/rules/data.smk"
include: "workflows/rules/multipliers.smk"
include: "workflows/rules/pipeline.smk"


# Quick bookkeeping runs where Snakemake runs, never as a cluster job.
localrules:
    all,
    list_library,
    environment,
    report,


rule all:
    input:
        f"{RESULTS}/dataset.h5",
        f"{RESULTS}/library.h5",
        f"{RESULTS}/library.txt",
        f"{RESULTS}/environment.json",
        # Every intermediate artifact is a target too: deleting one re-runs it and what depends on it.
        report_inputs if STEPS else [],
        [f"{RESULTS}/summary.csv", f"{RESULTS}/report.html"] if STEPS else [],
