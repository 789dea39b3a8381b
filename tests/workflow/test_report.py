"""The experiment report on the tiny workflow's real results (run by run_workflow_test.sh, which sets
AXNN_TINY_RESULTS to its results folder; skipped without it):
  - what the report gathers matches the artifacts, metrics and benchmark files it reads;
  - a missing or a damaged file is named in the report, and the rest is still shown;
  - rendered in headless Chromium (skipped without it): loads without script errors, every plot
    decodes, no table is wider than the page at 1280 px, and the page never scrolls sideways at 600 px;
  - a sweep of 300 points (the tiny results linked 75 times) still gives a report that renders; its
    size and render time are printed."""
import csv
import hashlib
import json
import os
import shutil
import sys
import time

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "workflows"))
sys.path.insert(0, HERE)
import browser  # noqa: E402
from axnn_workflow import load_experiment  # noqa: E402
from axnn_workflow.report import FIGURES, write_report  # noqa: E402
from axnn_workflow.report.gather import Results  # noqa: E402

TINY = os.environ.get("AXNN_TINY_RESULTS")
pytestmark = pytest.mark.skipif(not TINY, reason="needs the tiny workflow's results (AXNN_TINY_RESULTS)")
needs_chromium = pytest.mark.skipif(browser.chromium() is None, reason="no Chromium")


def tiny_plan(results_root):
    with open(os.path.join(HERE, "tiny.yaml")) as f:
        config = yaml.safe_load(f)
    config["results_root"] = results_root
    return load_experiment(config, "tiny.yaml"), config


def outputs(folder):
    return {"csv": f"{folder}/summary.csv", "md": f"{folder}/summary.md", "html": f"{folder}/report.html",
            **{k: f"{folder}/plots/{k}.png" for k in FIGURES}}


@pytest.fixture(scope="module")
def tiny():
    plan, config = tiny_plan(os.path.dirname(TINY))
    return plan.report_plan(), config


def test_gathers_what_the_artifacts_hold(tiny):
    plan, config = tiny
    r = Results(plan, TINY, "tiny", config)
    assert not r.problems.items
    assert [p["point"] for p in r.points] == [p["point"] for p in plan] and len(r.points) == 4
    # Every stage accuracy is the one its metrics file holds.
    for p, pp in zip(r.points, plan):
        metrics = {s["name"]: s["metrics"] for s in pp["steps"] if "metrics" in s}
        for s in p["stages"]:
            assert s["accuracy"] == json.load(open(metrics[s["step"]]))["accuracy"]
    # Stage columns: the pruned branch adds prune_acc and finetune_acc (a second quantize step); deployed and
    # retrained networks have columns of their own, never "<step>_acc" ones.
    cols = r.stage_columns()
    assert "prune_acc" in cols and "finetune_acc" in cols, cols
    assert not any(c.startswith(("deploy_", "retrain_")) for c in cols), cols
    # The pruned model with exact products in the plot is the fine-tuned one, at its MAC fraction.
    from axnn_workflow.report.plots import pruned_points
    finetune = [s for s in r.points[0]["stages"] if s["step"] == "finetune"][0]
    assert 0 < finetune["mac_fraction"] <= 0.6 and pruned_points(r) == [(finetune["mac_fraction"], finetune["accuracy"])]
    # Six deployed networks (two noise branches, two budgets, one shared search, one shared pruned), each
    # with its choice per layer from its matching, in the model's layer order.
    assert len(r.networks) == 6
    library = open(os.path.join(TINY, "library.txt")).read()
    for n in r.networks.values():
        assert [l["layer"] for l in n["layers"]] == ["conv1", "conv2", "fc1", "fc2", "fc3"], n["layers"]
        assert all(l["multiplier"] in library or l["multiplier"] == "exact" for l in n["layers"])
        assert abs(sum(l["ops_share"] for l in n["layers"]) - 1) < 1e-6
        assert n["energy"] == pytest.approx(sum(l["ops_share"] * l["relative_power"] for l in n["layers"]), abs=1e-9)
    shared = next(n for n in r.networks.values() if n["deploy"] == "deploy_s")
    assert len(shared["points"]) == 4 and shared["strategy"] == "search, hessian"
    # One time per job: 2 experiment-wide rules + 21 steps in "base" + the branch steps, each once.
    benchmarks = [os.path.join(d, f) for d, _, fs in os.walk(TINY) for f in fs if d.endswith("benchmarks")]
    assert sorted(t["path"] for t in r.times) == sorted(benchmarks) and len(r.times) == 31
    assert all(t["seconds"] >= 0 for t in r.times)
    # Provenance: one build made everything; the library's source is hashed as the file is.
    software = r.software()
    assert len(software) == 1 and software[0]["version"] and software[0]["git_revision"], software
    envs = {e["key"]: e["value"] for e in r.environments()}
    assert {"libtorch", "hdf5", "table_kernels", "cpu"} <= set(envs), envs
    digest = hashlib.sha256(open(os.path.join(ROOT, "tests/workflow/tiny-library.yaml"), "rb").read()).hexdigest()
    assert r.library["inputs"][0]["hash"] == f"sha256:{digest}"
    assert {r.artifacts[a]["seed"] for a in r.artifacts if r.artifacts[a]["kind"] == "deploy"} == {3}


def test_report_matches_the_workflows(tiny, tmp_path):
    """Written again from the same results, the summary is the workflow's own, and the page holds every
    network's layer table, the step times and the library source's hash."""
    plan, config = tiny
    write_report(plan, "tiny", outputs(tmp_path), config, results_folder=TINY)
    assert open(tmp_path / "summary.csv").read() == open(os.path.join(TINY, "summary.csv")).read()
    page = open(tmp_path / "report.html").read()
    for needle in ("Deployed networks", "noise.lambda-0.5/deploy", "base/deploy_s", "search candidates of deploy_s",
                   "Step times", "import_dataset", "sha256:", "Experiment config as run", "otrunc2"):
        assert needle in page, needle
    assert "<script" not in page and "http://" not in page and "https://" not in page


def linked_copy(tmp_path, copies):
    """`copies` results folders whose point folders link to the tiny results (no artifact copied)."""
    roots = []
    for c in range(copies):
        root = tmp_path / f"c{c}"
        (root / "tiny").mkdir(parents=True)
        for entry in os.listdir(TINY):
            if os.path.isdir(os.path.join(TINY, entry)) and entry not in ("plots", "logs"):
                os.symlink(os.path.join(TINY, entry), root / "tiny" / entry)
            elif entry.endswith((".h5", ".json")):
                os.symlink(os.path.join(TINY, entry), root / "tiny" / entry)
        roots.append(str(root))
    return roots


def test_damaged_and_missing_files_are_named(tmp_path):
    shutil.copytree(TINY, tmp_path / "tiny", ignore=shutil.ignore_patterns("plots", "report.html", "summary.*"))
    damaged = tmp_path / "tiny/noise.lambda-0.5/deploy.h5"
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) // 3])
    missing = tmp_path / "tiny/base/quant.metrics.json"
    missing.unlink()
    bad_json = tmp_path / "tiny/assign.budget-0.9/retrain_b.metrics.json"
    bad_json.write_text('{"accuracy": "high"}')
    plan, config = tiny_plan(str(tmp_path))
    r = write_report(plan.report_plan(), "tiny", outputs(tmp_path / "tiny"), config)
    assert r.problems.items[str(missing)] == "missing"
    assert r.problems.items[str(damaged)].startswith("damaged")
    assert "not a number" in r.problems.items[str(bad_json)]
    page = (tmp_path / "tiny/report.html").read_text()
    assert "3 file(s) could not be read" in page and str(damaged) in page and str(missing) in page
    assert "{esc(" not in page and "{tables." not in page  # every template was filled
    assert "noise.lambda-0.2/deploy" in page and "base/deploy_s" in page  # the rest is still there
    rows = list(csv.DictReader(open(tmp_path / "tiny/summary.csv")))
    assert len(rows) == 4 and all(r["quant_acc"] == "" for r in rows) and all(r["baseline_acc"] for r in rows)


@needs_chromium
def test_renders_in_chromium(tiny, tmp_path):
    page = os.path.join(TINY, "report.html")
    result, seconds = browser.render(page, str(tmp_path), width=1280)
    assert result["errors"] == [], result["errors"]
    assert len(result["images"]) == len(FIGURES) and all(i["ok"] and i["width"] > 100 for i in result["images"])
    assert len(result["tables"]) >= 10
    wide, overflow = browser.too_wide(result)
    assert not wide and overflow == 0, (wide, overflow)
    narrow, _ = browser.render(page, str(tmp_path), width=600)
    assert narrow["errors"] == [] and browser.too_wide(narrow)[1] == 0, "the page scrolls sideways at 600 px"
    print(f"\ntiny report: {os.path.getsize(page) / 1e3:.0f} kB, rendered in {seconds:.2f} s")


@needs_chromium
def test_a_sweep_of_300_points_renders(tiny, tmp_path):
    plan, config = tiny
    big = []
    for c, root in enumerate(linked_copy(tmp_path, 75)):
        for p in tiny_plan(root)[0].report_plan():
            big.append({**p, "point": f"{p['point']}.copy{c}"})
    out = tmp_path / "c0" / "tiny"
    start = time.monotonic()
    r = write_report(big, "tiny", outputs(out), config)
    made = time.monotonic() - start
    assert not r.problems.items and len(r.points) == 300 and len(r.networks) == 450
    page = out / "report.html"
    result, seconds = browser.render(str(page), str(tmp_path), width=1280, timeout=300)
    assert result["errors"] == [] and all(i["ok"] for i in result["images"])
    wide, overflow = browser.too_wide(result)
    assert not wide and overflow == 0, (wide[:3], overflow)
    size = page.stat().st_size
    assert size < 10e6, f"{size / 1e6:.1f} MB"
    print(f"\n300-point report: {size / 1e6:.2f} MB, written in {made:.1f} s, rendered in {seconds:.1f} s "
          f"({len(result['tables'])} tables)")


def test_an_experiment_without_deployed_networks(tiny, tmp_path):
    """A step list that ends before any deploy step (e.g. baseline and quantize only) still reports."""
    plan = [{**p, "steps": [s for s in p["steps"] if s["kind"] in ("baseline", "quantize")]} for p in tiny[0]]
    r = write_report(plan, "tiny", outputs(tmp_path), tiny[1], results_folder=TINY)
    assert not r.problems.items and not r.networks
    assert "0 deployed network(s)" in (tmp_path / "report.html").read_text()
    row = next(csv.DictReader(open(tmp_path / "summary.csv")))
    assert row["quant_acc"] and row["relative_energy"] == ""


def test_a_failure_is_one_line_and_leaves_nothing(tiny, tmp_path, capsys):
    """The rule's entry point turns an unexpected error (here: plots/ is a file) into one line, exit 1."""
    import importlib.util
    import types
    spec = importlib.util.spec_from_file_location("report_rule", os.path.join(ROOT, "workflows/scripts/report.py"))
    rule = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rule)
    (tmp_path / "plots").write_text("not a folder")
    sm = types.SimpleNamespace(output=types.SimpleNamespace(**outputs(tmp_path)),
                               params=types.SimpleNamespace(plan=tiny[0], experiment="tiny", config=tiny[1]))
    with pytest.raises(SystemExit) as e:
        rule.main(sm)
    err = capsys.readouterr().err
    assert e.value.code == 1 and err.startswith("report: error:") and "Traceback" not in err, err
    assert sorted(os.listdir(tmp_path)) == ["plots"], os.listdir(tmp_path)
