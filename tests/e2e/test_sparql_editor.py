"""The SPARQL page's editor in Chromium: highlighting and ontology term completion, named
queries edited and run with picked parameters, IRIs opening a resource view, paging and
sorting, and the user's own queries kept in the browser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import expect

from tests.documents import iris_document

pytestmark = pytest.mark.browser

EDITOR = "Query (read-only SPARQL 1.1; all graphs are the default graph)"
EXPERIMENT = "sparql_ed"
MODEL = "sparql-ed-model"
RUN_TIMEOUT = 120


@pytest.fixture(scope="module")
def run_id(server_url: str, finished_run: Callable[..., dict[str, Any]]) -> str:
    """One finished run of a small pipeline that registers MODEL."""
    stored = requests.post(
        f"{server_url}/api/experiments",
        json=iris_document(EXPERIMENT, estimator="GaussianNB", model=MODEL),
        timeout=30,
    )
    assert stored.status_code == 201, stored.text
    started = requests.post(f"{server_url}/api/runs", json={"experiment": EXPERIMENT}, timeout=30)
    assert started.status_code == 202, started.text
    run = str(started.json()["run_id"])
    assert finished_run(server_url, run, RUN_TIMEOUT)["status"] == "succeeded"
    return run


def _editor(page: Any) -> Any:
    editor = page.get_by_label(EDITOR, exact=True)
    editor.wait_for()
    return editor


def _replace_text(page: Any, text: str) -> None:
    """Put ``text`` in the editor as typed-in text, without completion or bracket closing."""
    _editor(page).click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def _accept(page: Any, term: str) -> None:
    """Pick ``term`` from the open completion list, with the keyboard."""
    options = page.locator(".cm-tooltip-autocomplete li")
    option = options.filter(has=page.get_by_text(term, exact=True))
    option.wait_for()
    for _ in range(options.count()):
        if option.get_attribute("aria-selected") == "true":
            break
        page.keyboard.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    page.wait_for_timeout(150)  # CodeMirror ignores Enter in a list's first 75 ms
    page.keyboard.press("Enter")


def _headers(page: Any) -> list[str]:
    return [
        h.strip(" ▲▼")
        for h in page.get_by_role("table", name="Query results").locator("th").all_inner_texts()
    ]


def test_the_editor_highlights_and_completes_ontology_terms(
    page: Any, run_id: str, screenshot: Callable[[Any, str], None]
) -> None:
    page.goto("/query")
    editor = _editor(page)
    assert editor.get_attribute("contenteditable") == "true"
    # The SPARQL mode wraps keywords and variables in highlighted spans; plain text is unwrapped.
    keyword = editor.locator("span", has_text="SELECT").first
    expect(keyword).to_be_visible()
    plain = editor.evaluate("e => getComputedStyle(e).color")
    assert keyword.evaluate("e => getComputedStyle(e).color") != plain

    _replace_text(page, "SELECT ?run ?status WHERE { ?run ")
    page.keyboard.type("mls:hasOu")
    _accept(page, "mls:hasOutput")
    text = editor.inner_text()
    assert "PREFIX mls: <http://www.w3.org/ns/mls#>" in text, "completion adds the missing PREFIX"
    assert "?run mls:hasOutput" in text

    page.keyboard.type(" ?out ; ol:stat")
    page.locator(".cm-tooltip-autocomplete").wait_for()
    screenshot(page, "sparql_completion")
    _accept(page, "ol:status")
    page.keyboard.insert_text(" ?status }")
    text = editor.inner_text()
    assert "PREFIX ol: <https://w3id.org/ontolab/ns#>" in text and "ol:status ?status" in text
    page.keyboard.press("Control+Enter")
    results = page.get_by_role("table", name="Query results")
    results.get_by_role("cell", name="succeeded").first.wait_for()
    assert _headers(page) == ["run", "status"]


def test_an_edited_named_query_runs_with_picked_parameters(page: Any, run_id: str) -> None:
    page.goto("/query")
    page.get_by_label("Query", exact=True).select_option("run_metrics")
    assert "@param run iri" in _editor(page).inner_text(), "picking a named query loads its text"
    page.get_by_label("run (iri)").select_option(label=f"{EXPERIMENT} #1 · succeeded")
    page.get_by_role("button", name="Run saved query").click()
    expect(page.get_by_role("table", name="Query results")).to_be_visible()
    assert _headers(page) == ["step_id", "metric", "value", "model"]

    original = next(
        q["text"]
        for q in page.request.get("/api/queries").json()["queries"]
        if q["name"] == "run_metrics"
    )
    edited = original.replace("SELECT ?step_id ?metric ?value ?model", "SELECT ?metric ?value")
    assert edited != original
    _replace_text(page, edited)
    page.get_by_role("button", name="Run saved query").click()
    expect(page.get_by_role("table", name="Query results").locator("th")).to_have_count(2)
    assert _headers(page) == ["metric", "value"], "the edited text ran, not the stored one"

    page.get_by_role("button", name="Undo my edits").click()
    assert "SELECT ?step_id ?metric ?value ?model" in _editor(page).inner_text()

    page.get_by_label("Query", exact=True).select_option("model_by_name")
    page.get_by_label("name (string)").select_option(MODEL)
    page.get_by_role("button", name="Run saved query").click()
    results = page.get_by_role("table", name="Query results")
    results.get_by_role("cell", name=run_id, exact=True).wait_for()


def test_a_bad_parameter_is_refused_before_any_query(page: Any) -> None:
    page.goto("/query")
    page.get_by_label("Query", exact=True).select_option("leaderboard")
    page.get_by_label("experiment (string)").select_option(EXPERIMENT)
    page.get_by_role("button", name="Run saved query").click()
    page.get_by_role("alert").filter(has_text="metric (iri) has no value").wait_for()
    page.get_by_label("metric (iri)").fill("https://w3id.org/ontolab/metric#accuracy")
    page.get_by_label("limit (integer)").fill("ten")
    page.get_by_role("button", name="Run saved query").click()
    page.get_by_role("alert").filter(has_text='limit (integer): "ten" is not an integer').wait_for()


def test_iris_open_a_resource_view_with_triples_in_and_out(
    page: Any, run_id: str, screenshot: Callable[[Any, str], None]
) -> None:
    page.goto("/query")
    _replace_text(
        page,
        "PREFIX ol: <https://w3id.org/ontolab/ns#>\n"
        f'SELECT ?run WHERE {{ ?run a ol:Run ; ol:runId "{run_id}" }}',
    )
    page.get_by_role("button", name="Run query", exact=True).click()
    run_iri = f"https://w3id.org/ontolab/id/run/{run_id}"
    page.get_by_role("table", name="Query results").get_by_role("button", name=run_iri).click()
    view = page.get_by_role("region", name="Resource view")
    out = view.get_by_role("table", name="Triples out")
    out.get_by_role("row").filter(has=page.get_by_role("button", name="ol:runId")).filter(
        has_text=run_id
    ).wait_for()
    assert view.get_by_role("table", name="Triples in").get_by_role("row").count() > 1
    assert page.url.endswith("?resource=" + quote(run_iri, safe=""))
    screenshot(page, "sparql_resource")

    out.get_by_role("button", name="ol:Run", exact=True).first.click()
    expect(view.get_by_role("heading", level=2)).to_contain_text("ol:Run")
    out = view.get_by_role("table", name="Triples out")
    out.get_by_role("row").filter(has=page.get_by_role("button", name="rdfs:subClassOf")).filter(
        has=page.get_by_role("button", name="mls:Run")
    ).wait_for()
    page.go_back()
    expect(view.get_by_role("heading", level=2)).to_contain_text(run_iri)


def test_results_are_paged_and_sorted(page: Any) -> None:
    page.goto("/query")
    numbers = " ".join(str(n) for n in range(1, 31))
    _replace_text(page, f"SELECT ?n WHERE {{ VALUES ?n {{ {numbers} }} }}")
    page.get_by_role("button", name="Run query", exact=True).click()
    results = page.get_by_role("table", name="Query results")
    expect(results.locator("tbody tr")).to_have_count(25)
    page.get_by_text("Page 1 of 2").wait_for()
    page.get_by_role("button", name="Next page").click()
    expect(results.locator("tbody tr")).to_have_count(5)

    results.get_by_role("button", name="n").click()  # ascending, back on page 1
    expect(results.locator("tbody tr").first).to_have_text("1")
    results.get_by_role("button", name="n ▲").click()  # descending, as numbers: 30 before 9
    expect(results.locator("tbody tr").first).to_have_text("30")
    expect(results.locator("th")).to_have_attribute("aria-sort", "descending")
    page.get_by_label("Rows per page").select_option("100")
    expect(results.locator("tbody tr")).to_have_count(30)
    assert results.locator("tbody tr").nth(20).inner_text() == "10"


def test_own_queries_are_kept_in_the_browser(page: Any) -> None:
    page.goto("/query")
    text = "SELECT ?g WHERE { GRAPH ?g { } } LIMIT 3"
    _replace_text(page, text)
    page.get_by_label("Name", exact=True).fill("three graphs")
    page.get_by_role("button", name="Save as my query").click()
    page.reload()
    mine = page.get_by_role("list", name="My queries")
    mine.get_by_role("button", name="three graphs", exact=True).click()
    assert _editor(page).inner_text().strip() == text
    stored = page.evaluate("localStorage.getItem('ontolab.sparql.my-queries')")
    assert "three graphs" in stored
    mine.get_by_role("button", name="Delete three graphs").click()
    page.reload()
    _editor(page)
    expect(page.get_by_role("list", name="My queries").get_by_role("listitem")).to_have_count(0)
