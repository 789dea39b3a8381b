# Config checks and the pipeline plan, from the plain-Python package workflows/axnn_workflow (step
# kinds, planner, experiment checks; unit-tested with pytest). Everything is checked before any job
# runs; an error names the config file and the key.
import functools
import os
import re
import shlex
import sys

from snakemake.exceptions import WorkflowError

sys.path.insert(0, os.path.join(workflow.basedir, "workflows"))
from axnn_workflow import PipelineError, load_experiment  # noqa: E402
from axnn_workflow.experiment import claim_results  # noqa: E402
from axnn_workflow.planner import flatten  # noqa: E402

CONFIG_SOURCE = ", ".join(str(f) for f in workflow.overwrite_configfiles or [DEFAULT_CONFIG]) + (
    " with --config" if workflow.config_settings.config else "")
try:
    PLAN = load_experiment(config, CONFIG_SOURCE)
except PipelineError as e:
    raise WorkflowError(f"config error: {e}") from None

CONFIG_FILES = [str(f) for f in workflow.overwrite_configfiles or [DEFAULT_CONFIG]]


onstart:
    # Only a real run claims the results folder (dry runs, --lint and --report do not).
    try:
        claim_results(PLAN.results, config["experiment"], CONFIG_FILES)
    except PipelineError as e:
        raise WorkflowError(f"config error: {e}") from None


# Where the axnn programs are: AXNN_BIN, else the CMake build tree of this checkout.
BIN = os.environ.get("AXNN_BIN", os.path.join(workflow.basedir, "build", "bin"))
RESULTS = PLAN.results
SEED = config["seed"]
STEPS = PLAN.steps


def axnn(program):
    """Path of an axnn program, e.g. axnn("mult")."""
    return os.path.join(BIN, f"axnn-{program}")


AXNN_MULT = axnn("mult")


@functools.cache
def axnn_version():
    """The axnn build's version line (version, git revision, compiler), or why there is none."""
    import subprocess

    try:
        return subprocess.run([axnn("inspect"), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return f"not built ({e.__class__.__name__})"


def step_inputs(i, wildcards):
    return PLAN.step_inputs(i, wildcards.point)


def step_signature(i, wildcards):
    return PLAN.signature(i, wildcards.point)


def step_command(i, wildcards, input, output):
    return PLAN.command(i, wildcards.point, dict(input.items()), output[0], BIN)


def job_group(i):
    """Cluster job group of step i (None: a job of its own); see Plan.job_group."""
    return PLAN.job_group(i) if config["group_jobs"] else None


def report_inputs(wildcards):
    return PLAN.report_inputs()
