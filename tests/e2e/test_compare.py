"""The Compare page in Chromium, on real runs: its state in the URL, the column chooser, tags
and notes, honest axes and a legend, a metric over time, per-step curves, defaults collapsed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from playwright.sync_api import expect

from tests.documents import iris_document

pytestmark = pytest.mark.browser

EXPERIMENT = "cmp_e2e"
TRACKED = "cmp_tracked"
RUN_TIMEOUT = 120
CONDITIONS = [("status", "=", "succeeded"), ("metrics.accuracy", ">", "0.5")]
Shot = Callable[[Any, str], None]


def _native_run(server_url: str, finished_run: Any, c: float) -> str:
    document = iris_document(EXPERIMENT, hyper={"C": c, "max_iter": 500})
    saved = requests.post(f"{server_url}/api/experiments", json=document, timeout=30)
    assert saved.status_code in (200, 201), saved.text
    version = saved.json()["version"]
    started = requests.post(
        f"{server_url}/api/runs", json={"experiment": EXPERIMENT, "version": version}, timeout=30
    )
    assert started.status_code == 202, started.text
    run_id = str(started.json()["run_id"])
    assert finished_run(server_url, run_id, RUN_TIMEOUT)["status"] == "succeeded"
    return run_id


def _tracked_run(server_url: str, losses: list[float]) -> str:
    started = requests.post(
        f"{server_url}/api/tracking/runs", json={"experiment": TRACKED}, timeout=30
    )
    assert started.status_code == 201, started.text
    run_id = str(started.json()["run_id"])
    points = [{"key": "loss", "value": v, "step": i} for i, v in enumerate(losses)]
    url = f"{server_url}/api/tracking/runs/{run_id}"
    assert requests.post(f"{url}/batch", json={"metrics": points}, timeout=30).ok
    assert requests.post(f"{url}/end", json={}, timeout=30).ok
    return run_id


@pytest.fixture(scope="module")
def runs(server_url: str, finished_run: Any) -> dict[str, list[str]]:
    """Two executed iris runs (C 1.0 and 0.05) and two runs tracked from code with a loss curve."""
    return {
        "native": [_native_run(server_url, finished_run, c) for c in (1.0, 0.05)],
        "tracked": [
            _tracked_run(server_url, [1.0, 0.6, 0.4]),
            _tracked_run(server_url, [1.2, 0.9]),
        ],
    }


def _query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _compare_native(page: Any, runs: dict[str, list[str]]) -> Any:
    first, second = runs["native"]
    page.goto(f"/compare?experiment={EXPERIMENT}&compare={first},{second}")
    table = page.get_by_role("table", name="Comparison")
    table.wait_for()
    return table


def test_filter_sort_and_selection_survive_reload_and_sharing(
    page: Any, runs: dict[str, list[str]], screenshot: Shot
) -> None:
    first, second = runs["native"]
    page.goto("/compare")
    page.get_by_label("Experiment").select_option(EXPERIMENT)
    for n, (field, op, value) in enumerate(CONDITIONS, start=1):
        page.get_by_role("button", name="Add condition").click()
        page.get_by_label(f"field of condition {n}").fill(field)
        page.get_by_label(f"operator of condition {n}").select_option(op)
        page.get_by_label(f"value of condition {n}").fill(value)
    page.get_by_role("button", name="Apply filter").click()
    page.get_by_role("button", name=re.compile("^Run")).click()
    for run_id in (first, second):
        page.get_by_label(f"select run {run_id}").check()
    page.get_by_role("button", name="Compare selected").click()
    page.get_by_role("table", name="Comparison").wait_for()
    query = _query(page)
    assert query["experiment"] == [EXPERIMENT]
    assert query["filter"] == ["status = succeeded and metrics.accuracy > 0.5"]
    assert query["sort"] == ["-run_id"] or query["sort"] == ["run_id"]
    assert query["selected"] == [f"{first},{second}"] and query["compare"] == [f"{first},{second}"]

    shared_link = page.url
    page.reload()
    page.get_by_role("table", name="Comparison").wait_for()
    expect(page.get_by_label("Experiment")).to_have_value(EXPERIMENT)
    expect(page.get_by_label("value of condition 1")).to_have_value("succeeded")
    expect(page.get_by_label("field of condition 2")).to_have_value("metrics.accuracy")
    expect(page.get_by_label(f"select run {first}")).to_be_checked()
    header = page.get_by_role("columnheader", name=re.compile("^Run"))
    assert header.get_attribute("aria-sort") in ("ascending", "descending")

    other = page.context.new_page()  # a shared link opens the same view
    other.goto(shared_link)
    expect(other.get_by_role("table", name="Comparison")).to_be_visible()
    expect(other.get_by_label(f"select run {second}")).to_be_checked()
    other.close()
    screenshot(page, "compare-url-state")


def test_the_column_chooser_is_remembered(page: Any, runs: dict[str, list[str]]) -> None:
    page.goto(f"/compare?experiment={EXPERIMENT}")
    table = page.get_by_role("table", name="Runs")
    table.wait_for()
    assert table.get_by_role("columnheader", name="C", exact=True).count() == 0
    page.get_by_text("Columns", exact=True).click()
    page.get_by_label("column param C", exact=True).check()
    page.get_by_label("column tags").uncheck()
    expect(table.get_by_role("columnheader", name="C", exact=True)).to_have_count(1)
    cells = table.locator("tbody tr td:last-child")
    assert sorted(cells.all_inner_texts()) == ["0.0500", "1"] or sorted(
        cells.all_inner_texts()
    ) == ["0.0500", "1.0000"]
    page.reload()
    expect(
        page.get_by_role("table", name="Runs").get_by_role("columnheader", name="C", exact=True)
    ).to_have_count(1)
    assert page.get_by_role("columnheader", name="Tags").count() == 0


def test_tags_and_a_note_per_run(
    page: Any, server_url: str, runs: dict[str, list[str]], screenshot: Shot
) -> None:
    first = runs["native"][0]
    table = _compare_native(page, runs)
    page.get_by_role("button", name=f"edit tags and note of {first}").click()
    form = page.get_by_role("form", name=f"tags and note of {first}")
    form.get_by_label("Tags").fill("baseline, team=vision")
    form.get_by_label("Note").fill("the one to beat")
    form.get_by_role("button", name="Save").click()
    expect(table.get_by_text("team: vision")).to_be_visible()
    expect(table.get_by_text("the one to beat")).to_be_visible()
    stored = requests.get(f"{server_url}/api/runs/{first}/annotations", timeout=10).json()
    assert stored["tags"] == {"baseline": "", "team": "vision"}
    assert stored["note"] == "the one to beat"
    runs_table = page.get_by_role("table", name="Runs")
    expect(runs_table.get_by_text("team: vision")).to_be_visible()

    page.get_by_role("button", name=f"edit tags and note of {first}").click()
    form.get_by_label("Tags").fill("huge=" + "x" * 1001)
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("alert")).to_contain_text("at most 1000 characters")
    again = requests.get(f"{server_url}/api/runs/{first}/annotations", timeout=10).json()
    assert again["tags"] == stored["tags"], "a refused save changes nothing"
    screenshot(page, "compare-tags")


def test_bar_axes_start_at_zero_and_runs_have_a_colour_and_legend(
    page: Any, runs: dict[str, list[str]], screenshot: Shot
) -> None:
    _compare_native(page, runs)
    accuracy = page.get_by_role("img", name=re.compile(r"^bar chart of validate\.accuracy,"))
    expect(accuracy).to_have_attribute("aria-label", re.compile("axis from 0 to 1$"))
    assert accuracy.locator("canvas").count() == 1
    legend = page.get_by_role("list", name="legend of parallel coordinates")
    items = legend.get_by_role("listitem")
    expect(items).to_have_count(2)
    assert items.all_inner_texts() == runs["native"]
    colours = legend.locator("[data-colour]").evaluate_all("els => els.map(e => e.dataset.colour)")
    assert len(set(colours)) == 2, colours
    assert page.get_by_role("img", name="parallel coordinates").locator("canvas").count() == 1
    screenshot(page, "compare-charts")


def test_a_metric_over_an_experiments_runs_in_time(page: Any, runs: dict[str, list[str]]) -> None:
    page.goto(f"/compare?experiment={EXPERIMENT}")
    section = page.get_by_role("region", name="Over time")
    chart = section.get_by_role("img", name=re.compile(r"over time in cmp_e2e"))
    expect(chart).to_have_attribute(
        "aria-label", re.compile(r"^accuracy over time in cmp_e2e, 2 runs$")
    )
    section.get_by_label("Metric").select_option("f1")
    expect(section.get_by_role("img", name=re.compile("^f1 over time"))).to_be_visible()


def test_curves_of_metrics_logged_per_step(
    page: Any, runs: dict[str, list[str]], screenshot: Shot
) -> None:
    first, second = runs["tracked"]
    page.goto(f"/compare?compare={first},{second}")
    table = page.get_by_role("table", name="Comparison")
    expect(table.locator("td.best")).to_have_text("0.4000"), "a loss is best when lowest"
    curve = page.get_by_role("img", name="curve of loss per step")
    expect(curve).to_be_visible()
    assert curve.locator("canvas").count() == 1
    screenshot(page, "compare-curves")
    # The executed runs have one value per metric: no curves there.
    _compare_native(page, runs)
    page.get_by_role("list", name="legend of parallel coordinates").wait_for()
    assert page.get_by_role("heading", name="Metrics per step").count() == 0


def test_estimator_defaults_collapse_in_the_parameter_diff(
    page: Any, runs: dict[str, list[str]]
) -> None:
    table = _compare_native(page, runs)
    names = table.locator("tbody td:first-child")
    expect(table.get_by_role("cell", name=re.compile(r"^build\.C"))).to_have_count(1)
    max_iter = table.get_by_role("row").filter(has_text="build.max_iter")
    expect(max_iter.get_by_role("cell")).to_have_text(["build.max_iter", "100", "500", "500"])
    assert table.get_by_role("cell", name=re.compile(r"^build\.solver")).count() == 0
    page.get_by_role("button", name=re.compile("more params.*show all")).click()
    expect(table.get_by_role("cell", name=re.compile(r"^build\.solver"))).to_have_count(1)
    assert names.count() > 6
