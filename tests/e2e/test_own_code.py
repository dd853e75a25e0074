"""Bring your own code in the UI: a code step built on the canvas with its folder as a zip,
saved, run; the run view offers the run as standalone code."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests

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


def test_a_code_step_built_on_the_canvas_runs_with_its_zip(
    page: Any, server_url: str, tmp_path: Path, screenshot: Any
) -> None:
    page.goto("/builder")
    page.get_by_text("Drag a step here").wait_for()
    _drop(page, "DataExtraction", 90, 60)
    _drop(page, "CodeStep", 300, 60)
    _drop(page, "DataProcessing", 510, 60)
    _drop(page, "ModelBuilding", 300, 260)
    _drop(page, "ModelValidation", 510, 260)
    for source, target in [
        ("extract", "code"),
        ("code", "process"),
        ("process", "build"),
        ("build", "validate"),
        ("process", "validate"),
    ]:
        _connect(page, source, target)
    assert page.locator(".react-flow__edge").count() == 5
    page.get_by_label("Experiment id").fill("iris_code_ui")
    form = _form(page, "extract")
    form.get_by_label("source", exact=True).fill("sklearn:iris")
    form.get_by_label("target column").fill("target")
    form = _form(page, "code")
    form.get_by_label("function").fill("features:add_ratio")
    form.get_by_label("output kind").select_option("dataset")
    form = _form(page, "build")
    form.get_by_label("estimator").select_option("LogisticRegression")
    form.get_by_label("model name").fill("iris-code-ui")

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
