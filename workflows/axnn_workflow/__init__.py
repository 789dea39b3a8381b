"""axnn's workflow planning, in plain Python: step kinds (steps), the pipeline plan (planner), and the
checks of an experiment config before any job runs (experiment). The Snakemake rules only wire it."""
from .experiment import load_experiment, plan_library
from .planner import Plan
from .steps import KINDS, PipelineError, StepKind
