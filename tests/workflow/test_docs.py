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
