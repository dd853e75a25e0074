"""Bring your own code in the UI: a code step built on the canvas with its folder as a zip,
saved, run; the run view offers the run as standalone code; a later version reuses the stored
bundle picked in the builder (no upload); Compare shows an AutoML run's trials."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import wait_for_run
from tests.e2e.test_ui import RUN_TIMEOUT_MS, _connect, _drop, _form, _node

pytestmark = pytest.mark.browser

FEATURES = """def add_ratio(dataset, params):
    frame = dataset.copy()
    frame["petal_ratio"] = frame["petal length (cm)"] / frame["petal width (cm)"]
    return frame
"""


def _code_zip(tmp_path: Path) -> Path:
    path = tmp_path / "code.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("features.py", FEATURES)
    return path


def _iris_on_the_canvas(
    page: Any,
    experiment: str,
    middle: dict[str, tuple[int, int]],
    edges: list[tuple[str, str]],
) -> None:
    """The builder with iris extracted, the ``middle`` steps dropped where given, and a
    validate step consuming the build's model and the process step's splits."""
    page.goto("/builder")
    page.get_by_text("Drag a step here").wait_for()
    _drop(page, "DataExtraction", 90, 60)
    for step_type, (x, y) in middle.items():
        _drop(page, step_type, x, y)
    _drop(page, "ModelValidation", 510, 260)
    edges = [*edges, ("build", "validate"), ("process", "validate")]
    for source, target in edges:
        _connect(page, source, target)
    assert page.locator(".react-flow__edge").count() == len(edges)
    page.get_by_label("Experiment id").fill(experiment)
    form = _form(page, "extract")
    form.get_by_label("source", exact=True).fill("sklearn:iris")
    form.get_by_label("target column").fill("target")


def _iris_with_a_code_step(page: Any) -> None:
    """iris_code_ui on the canvas: a code step (features:add_ratio, giving a dataset) between
    extract and process, and a logistic regression built as iris-code-ui."""
    _iris_on_the_canvas(
        page,
        "iris_code_ui",
        {"CodeStep": (300, 60), "DataProcessing": (510, 60), "ModelBuilding": (300, 260)},
        [("extract", "code"), ("code", "process"), ("process", "build")],
    )
    form = _form(page, "code")
    form.get_by_label("function").fill("features:add_ratio")
    form.get_by_label("output kind").select_option("dataset")
    form = _form(page, "build")
    form.get_by_label("estimator").select_option("LogisticRegression")
    form.get_by_label("model name").fill("iris-code-ui")


def test_a_code_step_built_on_the_canvas_runs_with_its_zip(
    page: Any, server_url: str, tmp_path: Path, screenshot: Any
) -> None:
    _iris_with_a_code_step(page)

    # Without its code the version could never run: refused, nothing stored.
    page.get_by_role("button", name="Save as new version").click()
    page.get_by_text("no code came with it").wait_for()
    assert requests.get(f"{server_url}/api/experiments/iris_code_ui", timeout=30).status_code == 404

    page.get_by_label("Code (.zip)").set_input_files(str(_code_zip(tmp_path)))
    page.get_by_role("button", name="Save as new version").click()
    page.get_by_role("status").filter(has_text="Saved as version 1").wait_for()
    turtle = requests.get(f"{server_url}/api/experiments/iris_code_ui/versions/1", timeout=30)
    assert "ol:codeBundle" in turtle.text or "codeBundle" in turtle.text
    screenshot(page, "builder-code-step")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{16}$"))
    run_id = page.url.rsplit("/", 1)[-1]
    page.locator("h1 ~ .badge", has_text="succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
    assert _node(page, "code").locator('[data-status="succeeded"]').count() == 1

    export = page.get_by_role("link", name="Export code")
    assert export.get_attribute("href") == f"/api/runs/{run_id}/export"
    answer = requests.get(f"{server_url}/api/runs/{run_id}/export", timeout=120)
    assert answer.status_code == 200, answer.text[:500]
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert any(n.endswith("pipeline.py") for n in names) and any("features.py" in n for n in names)


def test_the_builder_reuses_a_stored_code_bundle_without_uploading_it(
    page: Any, server_url: str, screenshot: Any
) -> None:
    listed = requests.get(f"{server_url}/api/experiments/iris_code_ui/code-bundles", timeout=30)
    assert listed.status_code == 200, "needs the version the first test saved"
    (bundle,) = listed.json()["code_bundles"]
    assert bundle["files"] == ["features.py"]
    _iris_with_a_code_step(page)
    page.locator("#exp-label").fill("iris with v1's code")

    picker = page.get_by_label("Stored code bundle")
    picker.select_option(bundle["sha256"])
    assert "v1" in picker.locator("option:checked").inner_text()
    assert page.get_by_label("Code (.zip)").is_disabled(), "a picked bundle is not uploaded"
    page.get_by_role("button", name="Save as new version").click()
    page.get_by_role("status").filter(has_text="Saved as version 2").wait_for()
    turtle = requests.get(f"{server_url}/api/experiments/iris_code_ui/versions/2", timeout=30)
    assert bundle["sha256"] in turtle.text
    again = requests.get(f"{server_url}/api/experiments/iris_code_ui/code-bundles", timeout=30)
    assert again.json()["code_bundles"][0]["versions"] == [1, 2]
    screenshot(page, "builder-pick-code-bundle")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{16}$"))
    page.locator("h1 ~ .badge", has_text="succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
    assert _node(page, "code").locator('[data-status="succeeded"]').count() == 1


def test_an_automl_step_from_the_palette_shows_its_trials(
    page: Any, server_url: str, screenshot: Any
) -> None:
    _iris_on_the_canvas(
        page,
        "iris_automl_ui",
        {"DataProcessing": (300, 60), "AutoML": (300, 260)},
        [("extract", "process"), ("process", "build")],
    )
    form = _form(page, "build")
    assert form.get_by_label("estimator", exact=True).count() == 0, "AutoML chooses its estimator"
    form.get_by_label("trial budget").fill("4")
    form.get_by_label("candidate estimator").select_option(
        ["LogisticRegression", "KNeighborsClassifier"]
    )
    page.get_by_role("button", name="Save as new version").click()
    page.get_by_role("status").filter(has_text="Saved as version 1").wait_for()
    turtle = requests.get(f"{server_url}/api/experiments/iris_automl_ui/versions/1", timeout=30)
    assert "KNeighborsClassifier" in turtle.text and "LogisticRegression" in turtle.text
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{16}$"))
    run_id = page.url.rsplit("/", 1)[-1]
    page.locator("h1 ~ .badge", has_text="succeeded").wait_for(timeout=RUN_TIMEOUT_MS)

    trials = requests.get(f"{server_url}/api/runs/{run_id}/trials", timeout=30).json()["trials"]
    assert len(trials) == 4
    table = page.get_by_role("table", name="Trials")
    table.wait_for()
    assert table.locator("tbody tr").count() == 4
    best = [t for t in trials if t["best"]]
    assert len(best) == 1
    row = page.get_by_test_id(f"trial-build-{best[0]['number']}")
    assert "best" in row.inner_text()
    page.get_by_role("img", name="Score over trials").wait_for()
    screenshot(page, "run-view-automl-trials")


def _latest_run(server_url: str, experiment: str) -> dict[str, Any]:
    listed = requests.get(
        f"{server_url}/api/runs", params={"experiment": experiment}, timeout=30
    ).json()
    assert listed["runs"], f"needs a run of {experiment} from an earlier test"
    run: dict[str, Any] = listed["runs"][0]
    return run


def test_compare_shows_the_trials_of_an_automl_run(
    page: Any, server_url: str, screenshot: Any
) -> None:
    automl = _latest_run(server_url, "iris_automl_ui")["run_id"]
    code = _latest_run(server_url, "iris_code_ui")["run_id"]
    # A second search of the same experiment, not from the cache, to set beside the first.
    started = requests.post(
        f"{server_url}/api/runs",
        json={"experiment": "iris_automl_ui", "use_cache": False},
        timeout=30,
    )
    assert started.status_code == 202, started.text
    again = started.json()["run_id"]
    assert wait_for_run(server_url, again, RUN_TIMEOUT_MS / 1000)["status"] == "succeeded"
    trials = requests.get(f"{server_url}/api/runs/{automl}/trials", timeout=30).json()["trials"]
    (best,) = [t for t in trials if t["best"]]

    page.goto("/compare")
    for run_id in (automl, again, code):
        page.get_by_label(f"select run {run_id}").check()
    page.get_by_role("button", name="Compare selected").click()
    table = page.get_by_role("table", name="Best trials")
    table.wait_for()
    for run_id in (automl, again):
        assert table.get_by_test_id(f"best-trial-{run_id}-build").count() == 1
    assert table.locator("thead th").count() == 3, "the code run has no AutoML step: no column"
    assert f"{best['number']} (best)" in table.inner_text()
    assert best["estimator"] in table.inner_text()
    assert table.locator("td.best").count() >= 1, "the highest best-trial score is marked"
    page.get_by_text(f"All {len(trials)} trials of {automl}").click()
    every = page.get_by_role("table", name=f"Trials of {automl}")
    every.wait_for()
    assert every.locator("tbody tr").count() == len(trials)
    screenshot(page, "compare-automl-trials")
