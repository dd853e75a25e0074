"""The UI end to end in Chromium: build, save and run a pipeline; compare; lineage; promote,
deploy and call the model; SPARQL. The tests run in order and share one platform."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.documents import iris_document

pytestmark = pytest.mark.browser

EXPERIMENT = "iris_e2e"
MODEL = "iris-e2e"
RUN_TIMEOUT_MS = 120_000

Shot = Callable[[Any, str], None]


def _drop(page: Any, step_type: str, x: int, y: int) -> None:
    page.locator(f'[data-step-type="{step_type}"]').drag_to(
        page.get_by_test_id("canvas"), target_position={"x": x, "y": y}
    )


def _node(page: Any, step_id: str) -> Any:
    return page.locator(".react-flow__node").filter(has=page.locator(f'[data-step="{step_id}"]'))


def _connect(page: Any, source: str, target: str) -> None:
    """Drag from the output handle of ``source`` to the input handle of ``target``."""
    start = _node(page, source).locator(".react-flow__handle.source").bounding_box()
    end = _node(page, target).locator(".react-flow__handle.target").bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


def _form(page: Any, step_id: str) -> Any:
    _node(page, step_id).click()
    return page.locator(f'form[aria-label="Parameters of {step_id}"]')


def test_build_save_and_run_a_pipeline_by_drag_and_drop(
    page: Any, server_url: str, screenshot: Shot, shared: dict[str, Any]
) -> None:
    page.goto("/builder")
    page.get_by_text("Drag a step here").wait_for()
    _drop(page, "DataExtraction", 90, 60)
    _drop(page, "DataProcessing", 300, 60)
    _drop(page, "ModelBuilding", 510, 60)
    _drop(page, "DataExploration", 90, 260)
    _drop(page, "ModelValidation", 510, 260)
    assert page.locator(".react-flow__node").count() == 5

    _connect(page, "extract", "process")
    _connect(page, "extract", "explore")
    _connect(page, "process", "build")
    _connect(page, "build", "validate")
    _connect(page, "process", "validate")
    assert page.locator(".react-flow__edge").count() == 5

    _connect(page, "validate", "extract")  # would close validate → extract → … → validate
    page.get_by_role("alert").filter(has_text="would make a cycle").wait_for()
    assert page.locator(".react-flow__edge").count() == 5

    page.get_by_label("Experiment id").fill(EXPERIMENT)
    page.get_by_label("Label").fill("Iris from the e2e test")
    form = _form(page, "extract")
    form.get_by_label("source", exact=True).fill("sklearn:iris")
    form = _form(page, "process")
    form.get_by_label("scaling").select_option("standard")
    form.get_by_label("test size").fill("0.3")
    form = _form(page, "build")
    form.get_by_label("estimator").select_option("LogisticRegression")
    form.get_by_label("model name").fill(MODEL)
    form.get_by_role("button", name="Add hyperparameters").click()
    form.get_by_label("Hyperparameters 1 name").fill("max_iter")
    form.get_by_label(re.compile(r"Hyperparameters 1 value")).fill("500")
    form = _form(page, "validate")
    form.get_by_role("button", name="Add threshold").click()
    form.get_by_label("threshold 1 metric").select_option("accuracy")
    form.get_by_label("threshold 1 minimum").fill("0.5")

    # The target column is still missing: the server's SHACL report is counted on the extract
    # node and listed in the side panel.
    page.get_by_role("button", name="Validate", exact=True).click()
    _node(page, "extract").get_by_text("1 problem").wait_for()
    problems = page.get_by_role("region", name="Problems")
    problems.get_by_text("targetColumn").first.wait_for()
    screenshot(page, "builder-violation")
    form = _form(page, "extract")
    form.get_by_label("target column").fill("target")
    page.get_by_role("button", name="Validate", exact=True).click()
    page.get_by_role("status").filter(has_text="Valid: 5 steps").wait_for()
    assert page.locator(".step-node.has-errors").count() == 0

    page.get_by_role("button", name="Save as new version").click()
    page.get_by_role("status").filter(has_text="Saved as version 1").wait_for()
    screenshot(page, "builder")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{16}$"))
    run_id = page.url.rsplit("/", 1)[-1]

    page.locator("h1 ~ .badge", has_text="succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
    dag = page.get_by_test_id("run-dag")
    expect(dag.locator('[data-status="succeeded"]')).to_have_count(5)
    page.get_by_role("button", name="build", exact=True).click()
    page.get_by_label("step log").wait_for()
    assert (
        page.get_by_role("link", name="model", exact=True)
        .get_attribute("href", timeout=5000)
        .startswith("/api/artifacts/")
    )
    screenshot(page, "run-view")

    page.reload()  # a client-side route is a real URL
    page.get_by_label("step log").wait_for()
    shared["run"] = run_id


def test_compare_two_runs(
    page: Any, server_url: str, screenshot: Shot, shared: dict[str, Any], finished_run: Any
) -> None:
    assert "run" in shared, "needs the run of the first test"
    # A second version with a different C, run through the API.
    version = requests.get(f"{server_url}/api/experiments/{EXPERIMENT}", timeout=10).json()
    assert len(version["versions"]) == 1
    document = iris_document(
        EXPERIMENT, model=MODEL, hyper={"C": 0.05, "max_iter": 500}, min_accuracy=0.3
    )
    saved = requests.post(f"{server_url}/api/experiments", json=document, timeout=30)
    assert saved.status_code == 201, saved.text
    started = requests.post(
        f"{server_url}/api/runs", json={"experiment": EXPERIMENT, "version": 2}, timeout=30
    ).json()
    assert (
        finished_run(server_url, started["run_id"], RUN_TIMEOUT_MS / 1000)["status"] == "succeeded"
    )
    shared["second_run"] = started["run_id"]

    page.goto("/compare")
    page.get_by_label("Experiment").select_option(EXPERIMENT)
    page.get_by_role("button", name="Add condition").click()
    page.get_by_label("field of condition 1").fill("status")
    page.get_by_label("operator of condition 1").select_option("=")
    page.get_by_label("value of condition 1").fill("succeeded")
    page.get_by_role("button", name="Apply filter").click()
    for run_id in (shared["run"], shared["second_run"]):
        page.get_by_label(f"select run {run_id}").check()
    page.get_by_role("button", name="Compare selected").click()
    table = page.get_by_role("table", name="Comparison")
    table.wait_for()
    assert table.locator("td.best").count() >= 1
    assert table.get_by_role("cell", name="build.C", exact=True).count() == 1
    page.get_by_label("Only params that differ").uncheck()
    assert table.get_by_role("cell", name="build.solver", exact=True).count() == 1
    assert page.get_by_role("img", name="parallel coordinates").locator("canvas").count() == 1
    screenshot(page, "compare")


def test_lineage_of_the_model(page: Any, screenshot: Shot) -> None:
    page.goto(f"/lineage?model={MODEL}")
    graph = page.get_by_test_id("lineage-graph")
    graph.locator(".react-flow__node").nth(4).wait_for()
    graph.locator(".react-flow__node", has_text="sklearn:iris").click()
    page.get_by_role("heading", name="source: sklearn:iris").wait_for()
    graph.locator(".react-flow__node.kind-model").click()
    screenshot(page, "lineage")
    page.get_by_role("link", name=f"Open model {MODEL} in the registry").click()
    page.wait_for_url(re.compile(f"/models/{MODEL}$"))


def test_promote_deploy_and_call_the_model(
    page: Any, server_url: str, screenshot: Shot, shared: dict[str, Any]
) -> None:
    model = requests.get(f"{server_url}/api/models/{MODEL}", timeout=10).json()
    ranked = sorted(model["versions"], key=lambda v: (v["primary_value"], -v["version"]))
    worse, best = ranked[0]["version"], ranked[-1]["version"]
    assert worse != best
    page.goto(f"/models/{MODEL}")
    versions = page.get_by_role("table", name="Model versions")
    versions.get_by_role("button", name=f"Promote v{best} to champion").click()
    page.get_by_role("status").filter(has_text=f"champion → v{best}").wait_for()

    # The gate refuses a version that does not beat the champion, and says why.
    row = versions.get_by_role("row").filter(has_text=f"Promote v{worse} to champion")
    row.get_by_role("button", name="Promote if better").click()
    page.get_by_role("dialog").get_by_role("button", name="Demote").click()  # it asks first
    refusal = page.get_by_role("alert").filter(has_text="does not beat")
    refusal.wait_for()
    assert "409" not in refusal.inner_text()

    versions.get_by_role("button", name=f"Deploy v{best}").click()
    endpoint = page.locator(".deployment-url").first
    endpoint.wait_for(timeout=60_000)
    url = endpoint.inner_text()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/predict", url), url
    schema = requests.get(
        f"{server_url}/api/models/{MODEL}/versions/{best}/schema", timeout=10
    ).json()
    row_in = {column["name"]: 5.0 for column in schema["columns"]}
    for _ in range(5):
        answer = requests.post(url, json={"dataframe_records": [row_in]}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["predictions"]) == 1
        time.sleep(0.3)
    charts = page.get_by_role("img", name="request rate")
    charts.locator("canvas").first.wait_for()
    page.wait_for_timeout(4500)  # two more polls, so the rate line has points
    screenshot(page, "models")
    page.get_by_role("button", name=re.compile(r"^Stop ")).click()
    page.get_by_role("status").filter(has_text="stopped").wait_for()
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json={"dataframe_records": [row_in]}, timeout=5)


def test_sparql_console(page: Any, screenshot: Shot) -> None:
    page.goto("/query")
    page.get_by_label("Query", exact=True).select_option("experiments")
    editor = page.get_by_label(re.compile(r"^Query \(read-only"))
    assert "ol:ExperimentVersion" in editor.inner_text(), "picking a saved query loads its text"
    page.get_by_role("button", name="Run saved query").click()
    results = page.locator("table.results")
    results.get_by_role("cell", name=EXPERIMENT, exact=True).wait_for()
    page.get_by_role("button", name="Run query", exact=True).click()
    results.get_by_role("cell", name=EXPERIMENT, exact=True).wait_for()

    editor.fill("SELEC nonsense")
    page.get_by_role("button", name="Run query", exact=True).click()
    page.get_by_role("alert").filter(has_text="syntax error").wait_for()

    editor.fill(
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT ?id WHERE { ?e dcterms:identifier ?id } ORDER BY ?id"
    )
    page.get_by_role("button", name="Run query", exact=True).click()
    results.get_by_role("cell", name=EXPERIMENT, exact=True).first.wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_bytes().decode("utf-8")
    assert text.startswith("id\r\n") and EXPERIMENT in text
    screenshot(page, "sparql")


def test_every_page_renders(page: Any, screenshot: Shot, shared: dict[str, Any]) -> None:
    page.goto("/")
    page.get_by_role("link", name=shared["run"]).first.wait_for()
    screenshot(page, "dashboard")

    page.goto(f"/experiments/{EXPERIMENT}")
    page.get_by_label("Turtle of version 2").wait_for()
    assert "ModelBuilding" in page.get_by_label("Turtle of version 2").inner_text()
    screenshot(page, "experiments")

    page.goto(f"/explore?run={shared['run']}")
    page.get_by_role("img", name="correlation heatmap").locator("canvas").first.wait_for()
    page.get_by_role("button", name="petal length (cm)").click()
    page.get_by_role("heading", name="Histogram of petal length (cm)").wait_for()
    screenshot(page, "explore")

    page.goto("/builder")
    page.get_by_text("Drag a step here").wait_for()
    screenshot(page, "builder-empty")

    page.goto("/no/such/page")
    page.get_by_text("No page here").wait_for()
    for width, height in ((1280, 800), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/compare")
        page.get_by_role("table", name="Runs").wait_for()
        screenshot(page, f"compare-{width}x{height}")
