# axnn workflow: wires the rule files together. Run from the repository root, e.g.
#   .venv/bin/snakemake --profile workflows/profiles/local --configfile workflows/configs/lenet5-fmnist.yaml
# Results land in results/<experiment>/<sweep point>/<step>.h5, logs beside them.
from snakemake.utils import min_version

min_version("9.0")


configfile: "workflows/configs/lenet5-fmnist.yaml"


include: "workflows/rules/common.smk"
include: "workflows/rules/data.smk"
include: "workflows/rules/multipliers.smk"
include: "workflows/rules/pipeline.smk"


rule all:
    input:
        f"{RESULTS}/dataset.h5",
        f"{RESULTS}/library.h5",
        f"{RESULTS}/library.txt",
        # Every intermediate artifact is a target too: deleting one re-runs it and what depends on it.
        report_inputs if config["steps"] else [],
        [f"{RESULTS}/summary.csv", f"{RESULTS}/report.html"] if config["steps"] else [],
