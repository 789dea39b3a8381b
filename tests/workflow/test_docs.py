"""Every YAML snippet in README.md and docs/ is valid against the schemas it claims to follow, so that a
newcomer who copies one gets no error: experiment configs (whole or in part: a `steps:` list, a `library:`
block) through the same checks as `snakemake` (schema, each step's settings, step order), a multiplier
family list against library.schema.json, a table sidecar against table-sidecar.schema.json. Paths in the
snippets are examples, so the library's files are not looked for."""
import glob
import json
import os
import re
import sys

import jsonschema
import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "workflows"))
from axnn_workflow import experiment as exp  # noqa: E402

DOCS = [os.path.join(ROOT, "README.md"), os.path.join(ROOT, "datasets", "README.md"),
        *sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))]
SIDECAR_KEYS = {"name", "power", "power_unit", "signed", "area", "delay", "description"}
MINIMAL = {"experiment": "docs", "steps": [{"name": "baseline", "kind": "baseline"}]}


def snippets():
    for path in DOCS:
        text = open(path, encoding="utf-8").read()
        for m in re.finditer(r"```ya?ml\n(.*?)```", text, re.S):
            yield f"{os.path.relpath(path, ROOT)}:{text[:m.start()].count(chr(10)) + 1}", m.group(1)


SNIPPETS = list(snippets())


def schema(name):
    with open(os.path.join(ROOT, "workflows", "schemas", f"{name}.schema.json")) as f:
        return json.load(f)


def test_the_docs_have_snippets():
    assert len(SNIPPETS) >= 6, [s[0] for s in SNIPPETS]


@pytest.mark.parametrize("where, text", SNIPPETS, ids=[s[0] for s in SNIPPETS])
def test_snippet_is_valid(where, text, monkeypatch):
    value = yaml.safe_load(text)
    assert isinstance(value, dict), f"{where}: not a YAML mapping"
    if "multipliers" in value:
        jsonschema.validate(value, schema("library"))
    elif set(value) <= SIDECAR_KEYS:
        jsonschema.validate(value, schema("table-sidecar"))
    else:
        monkeypatch.setattr(exp, "plan_library", lambda *a, **k: (None, []))
        exp.load_experiment({**MINIMAL, **value}, where, env={})


def schema_rows():
    """docs/configs.md's table: schema file -> its row's text."""
    text = open(os.path.join(ROOT, "docs", "configs.md"), encoding="utf-8").read()
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `([\w-]+\.schema\.json)` \|(.*)\|$", text, re.M)}


SCHEMAS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "workflows", "schemas", "*.schema.json")))


@pytest.mark.parametrize("name", SCHEMAS)
def test_configs_doc_lists_every_schema_and_its_keys(name):
    """Every generated schema has its row in docs/configs.md, and a step schema's row names every key
    (the trainer's keys once: quantize, retrain and noise rows say "the trainer's keys plus")."""
    rows = schema_rows()
    assert name in rows, f"docs/configs.md has no row for {name}"
    if name in ("experiment.schema.json", "library.schema.json", "library-sources.schema.json"):
        return  # documented in their own sections
    with open(os.path.join(ROOT, "workflows", "schemas", name)) as f:
        keys = set(json.load(f)["properties"])
    if "the trainer's keys plus" in rows[name]:
        with open(os.path.join(ROOT, "workflows", "schemas", "trainer.schema.json")) as f:
            keys -= set(json.load(f)["properties"])
    missing = sorted(k for k in keys if not re.search(rf"\b{re.escape(k)}\b", rows[name]))
    assert not missing, f"docs/configs.md, {name}: keys not mentioned: {missing}"


def test_step_kind_table_matches_the_registry():
    """docs/configs.md's step-kind table has one row per kind of the workflow's registry, with the
    program it runs and the schema its settings follow (workflows/axnn_workflow/steps.py)."""
    from axnn_workflow.steps import KINDS
    text = open(os.path.join(ROOT, "docs", "configs.md"), encoding="utf-8").read()
    rows = {m.group(1): (m.group(2), m.group(3).strip()) for m in
            re.finditer(r"^\| `([a-z]+)` \| `axnn-([a-z]+)[^`]*` \| ([^|]+) \|", text, re.M)}
    assert set(rows) == set(KINDS), f"kinds in the docs {sorted(rows)}, in the registry {sorted(KINDS)}"
    for name, kind in KINDS.items():
        assert rows[name] == (kind.program, kind.schema or "none"), (name, rows[name], kind.program, kind.schema)
