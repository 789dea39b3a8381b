# Config validation and shared helpers. The schema is generated from the programs' own config model
# (axnn-schema), so the workflow and the programs agree on every key.
import os

from snakemake.utils import validate

validate(config, "../schemas/experiment.schema.json")

# Where the axnn programs are: AXNN_BIN, else the CMake build tree of this checkout.
BIN = os.environ.get("AXNN_BIN", os.path.join(workflow.basedir, "build", "bin"))
RESULTS = os.path.join(config["results_root"], config["experiment"])
SEED = config["seed"]


def axnn(program):
    """Path of an axnn program, e.g. axnn("mult")."""
    return os.path.join(BIN, f"axnn-{program}")


AXNN_MULT = axnn("mult")
