"""The step kinds of an axnn pipeline: one entry each, read by the planner, the rules and the tests.

An entry says which program a kind runs, which schema its settings follow, which artifacts of
earlier steps it reads, whether it makes a model, and how its command line is built. Adding a kind
means adding one entry here (and its program).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping


class PipelineError(Exception):
    """A step list, sweep or library that cannot run; the message names the config key."""


@dataclass(frozen=True)
class Call:
    """What a command-line builder gets: the step, its resolved inputs and its sweep point."""

    step: Mapping
    files: Mapping[str, str]  # input name -> artifact path (model, refs, matching, sensitivity, dataset, library)
    point: Mapping  # the sweep point's values
    arch: str  # the model architecture at this point


@dataclass(frozen=True)
class StepKind:
    name: str
    program: str  # runs build/bin/axnn-<program>
    schema: str | None  # its settings follow workflows/schemas/<schema>.schema.json; None: no settings
    makes_model: bool = False
    trains: bool = False  # a training loop: its own cluster job; the short steps after it join that job
    reads_model: bool = False  # the `from` step's model, else the latest model before it
    reads_dataset: bool = False
    reads_library: bool = False
    seeded: bool = True  # takes --seed
    # Artifacts of earlier steps it reads: input name -> (kinds that provide it, what to say when none does).
    needs: Mapping[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    args: Callable[[Call], list[str]] = lambda call: []
    # Extra rules about its place in the pipeline: (steps, index, inputs up to and including this
    # step's) -> error text or None.
    check: Callable[[list, int, list], str | None] = lambda steps, i, inputs: None
    # A model input implied by its other inputs rather than by `from` (deploy: the model the
    # matching's operands were sampled from): (steps, inputs so far, this step's needs) -> index.
    implied_model: Callable[[list, list, dict], int] | None = None


def _model_kind(steps, inputs, i):
    return steps[inputs[i]["model"]]["kind"]


def _source_kind(steps, inputs, j):
    """The kind of model step j, looking through prune steps to the model they pruned."""
    while steps[j]["kind"] == "prune":
        j = inputs[j]["model"]
    return steps[j]["kind"]


def _check_quantized(steps, i, inputs):
    if _source_kind(steps, inputs, inputs[i]["model"]) == "baseline":
        return "use a quantized model (add a quantize or noise step)"
    return None


def _check_prunable(steps, i, inputs):
    if _source_kind(steps, inputs, inputs[i]["model"]) in {"noise", "deploy", "retrain"}:
        return f"a {steps[i]['kind']} step reads a baseline or quantized model: put it before the noise step"
    return None


def _check_retrain(steps, i, inputs):
    if _model_kind(steps, inputs, i) not in {"deploy", "retrain"}:
        return "a retrain step needs a deploy step before it"
    return None


def _sampled_model(steps, inputs, need):
    match = need["matching"]
    if steps[match]["kind"] in ("assign", "search"):
        match = inputs[match]["matching"]
    return inputs[inputs[match]["refs"]]["model"]


def _check_baseline(steps, i, inputs):
    return "only the first step may be a baseline" if i > 0 else None


KINDS: dict[str, StepKind] = {
    k.name: k
    for k in [
        StepKind("baseline", "train", "trainer", makes_model=True, trains=True, reads_dataset=True,
                 args=lambda c: ["--arch", c.arch], check=_check_baseline),
        StepKind("quantize", "train", "quantize", makes_model=True, trains=True, reads_model=True, reads_dataset=True,
                 args=lambda c: ["--from", c.files["model"], "--mode", "quant"]),
        StepKind("noise", "noise", "noise", makes_model=True, trains=True, reads_model=True, reads_dataset=True,
                 args=lambda c: ["-m", c.files["model"], "--modules", ",".join(c.step["modules"])]),
        StepKind("sample", "sample", "sample", reads_model=True, reads_dataset=True,
                 args=lambda c: ["-m", c.files["model"]], check=_check_quantized),
        StepKind("match", "match", "match", reads_library=True,
                 needs={"refs": (("sample",), "a match step needs a sample step before it")},
                 args=lambda c: ["-r", c.files["refs"], "-l", c.files["library"]]),
        StepKind("deploy", "deploy", "deploy", makes_model=True, reads_library=True, reads_dataset=True,
                 needs={"matching": (("match", "assign", "search"),
                                     "a deploy step needs a match, assign or search step before it")},
                 implied_model=_sampled_model,
                 args=lambda c: ["-m", c.files["model"], "--matching", c.files["matching"], "-l", c.files["library"]]),
        StepKind("retrain", "retrain", "retrain", makes_model=True, trains=True, reads_model=True, reads_dataset=True,
                 args=lambda c: ["-m", c.files["model"]], check=_check_retrain),
        StepKind("sensitivity", "sensitivity", "sensitivity", reads_model=True, reads_dataset=True,
                 args=lambda c: ["-m", c.files["model"]], check=_check_quantized),
        StepKind("assign", "assign", "assign", seeded=False,
                 needs={"matching": (("match",), "an assign step needs a match step before it (its candidates)")},
                 args=lambda c: ["--matching", c.files["matching"]]
                 + (["-s", c.files["sensitivity"]] if "sensitivity" in c.files else [])),
        StepKind("search", "search", "search", reads_dataset=True, reads_library=True,
                 needs={"matching": (("match",), "a search step needs a match step before it (its candidates)")},
                 implied_model=_sampled_model,
                 args=lambda c: ["--matching", c.files["matching"], "-m", c.files["model"], "-l", c.files["library"]]
                 + (["-s", c.files["sensitivity"]] if "sensitivity" in c.files else [])),
        StepKind("rank", "rank", "rank", trains=True, reads_model=True, reads_dataset=True,
                 args=lambda c: ["-m", c.files["model"]], check=_check_prunable),
        StepKind("prune", "prune", "prune", makes_model=True, reads_model=True, seeded=False,
                 needs={"ranking": (("rank",), "a prune step needs a rank step before it (its ranking)")},
                 args=lambda c: ["-m", c.files["model"], "-r", c.files["ranking"]], check=_check_prunable),
    ]
}


def kind_of(step, where) -> StepKind:
    try:
        return KINDS[step["kind"]]
    except KeyError:
        raise PipelineError(f"{where}.kind: '{step['kind']}' is not a step kind; expected one of {', '.join(KINDS)}")


def extra_needs(step) -> dict[str, tuple[tuple[str, ...], str]]:
    """Inputs that depend on the step's settings: an assign or search step with the hessian criterion reads a sensitivity."""
    if step["kind"] in ("assign", "search") and step["config"].get("criterion", "hessian") == "hessian":
        return {"sensitivity": (("sensitivity",), "criterion hessian needs a sensitivity step before it")}
    return {}
