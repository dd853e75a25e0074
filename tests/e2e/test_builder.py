"""The pipeline builder's round trip in Chromium: a stored version opened from Experiments,
saved unchanged and changed; a draft that survives reload and Back; the question before
leaving; checks before any round trip (bounds, patterns, step ids); a task change; problems in
the side panel; auto-layout; the keyboard. Everything goes through the ``page`` fixture (its
session, if any): the setup too submits from inside the page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.documents import iris_document

pytestmark = pytest.mark.browser

Shot = Callable[[Any, str], None]

_SUBMIT = """async (doc) => {
  const me = await (await fetch('/api/auth/me')).json();
  const headers = {'Content-Type': 'application/json', 'Accept': 'application/json'};
  if (me.csrf_token) headers['X-CSRF-Token'] = me.csrf_token;
  const r = await fetch('/api/experiments', {method: 'POST', headers, body: JSON.stringify(doc)});
  return [r.status, await r.json()];
}"""


def _submit(page: Any, document: dict[str, Any]) -> dict[str, Any]:
    """Store a pipeline document from inside the page, as the signed-in user (if any)."""
    page.goto("/")
    status, body = page.evaluate(_SUBMIT, document)
    assert status in (200, 201), body
    return dict(body)


def _experiment(page: Any, identifier: str) -> dict[str, Any]:
    return _submit(page, iris_document(identifier, label="Iris to open", hyper={"max_iter": 500}))


def _node(page: Any, step_id: str) -> Any:
    return page.locator(".react-flow__node").filter(has=page.locator(f'[data-step="{step_id}"]'))


def _size(page: Any, step_id: str) -> list[int]:
    """A node's own size in CSS pixels (not scaled by the canvas's zoom)."""
    box = page.locator(f'[data-step="{step_id}"]')
    return list(box.evaluate("e => [e.offsetWidth, e.offsetHeight]"))


def _form(page: Any, step_id: str) -> Any:
    _node(page, step_id).click()
    return page.locator(f'form[aria-label="Parameters of {step_id}"]')


def _open(page: Any, identifier: str, version: int = 1) -> None:
    page.goto(f"/builder?experiment={identifier}&version={version}")
    expect(page.locator(".react-flow__node")).to_have_count(4)


def _saved_state(page: Any) -> Any:
    return page.get_by_test_id("saved-state")


def test_open_from_experiments_save_unchanged_then_changed(page: Any, screenshot: Shot) -> None:
    document = iris_document("open_me", label="Iris to open", hyper={"max_iter": 500})
    _submit(page, {**document, "provisioner": "local"})
    page.goto("/experiments/open_me")
    page.get_by_role("link", name="Open version 1 in builder").click()
    page.wait_for_url(re.compile(r"/builder\?experiment=open_me&version=1$"))
    expect(page.locator(".react-flow__node")).to_have_count(4)
    expect(page.locator(".react-flow__edge")).to_have_count(4)  # extract→process→build, →validate
    expect(page.get_by_label("Experiment id")).to_have_value("open_me")
    expect(page.get_by_label("Label")).to_have_value("Iris to open")
    expect(page.get_by_label("Runs on")).to_have_value("local")  # its ol:provisioner
    form = _form(page, "build")
    expect(form.get_by_label("estimator")).to_have_value("LogisticRegression")
    expect(form.get_by_label("Hyperparameters 1 name")).to_have_value("max_iter")
    expect(form.get_by_label(re.compile(r"Hyperparameters 1 value"))).to_have_value("500")
    expect(_saved_state(page)).to_have_text("v1 of open_me")
    screenshot(page, "builder-loaded")

    page.get_by_role("button", name="Save as new version").click()
    page.get_by_role("status").filter(has_text="Unchanged: this is version 1 of open_me").wait_for()

    page.get_by_label("Label").fill("Iris, opened and changed")
    expect(_saved_state(page)).to_have_text("v1 of open_me · unsaved changes")
    page.get_by_role("button", name="Save as new version").click()
    page.get_by_role("status").filter(has_text="Saved as version 2 of open_me").wait_for()
    page.wait_for_url(re.compile(r"/builder\?experiment=open_me&version=2$"))
    expect(_saved_state(page)).to_have_text("v2 of open_me")

    page.reload()  # version 2 as stored: the changed label, the same provisioner
    expect(page.get_by_label("Label")).to_have_value("Iris, opened and changed")
    expect(page.get_by_label("Runs on")).to_have_value("local")
    page.goto("/builder?experiment=open_me")  # no version: the newest
    expect(_saved_state(page)).to_have_text("v2 of open_me")


def test_a_draft_survives_reload_and_back_and_leaving_asks_first(page: Any) -> None:
    _experiment(page, "drafty")
    _open(page, "drafty")
    form = _form(page, "process")
    form.get_by_label("test size").fill("0.4")
    page.get_by_label("Label").fill("Unsaved label")

    page.reload()
    expect(page.get_by_role("note")).to_contain_text("Restored the unsaved draft")
    expect(page.get_by_label("Label")).to_have_value("Unsaved label")
    expect(_form(page, "process").get_by_label("test size")).to_have_value("0.4")

    # Following a link asks first; saying no stays on the canvas.
    questions: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compare").click()
    assert questions and "unsaved changes" in questions[0]
    assert "/builder" in page.url
    expect(page.get_by_label("Label")).to_have_value("Unsaved label")

    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compare").click()
    page.wait_for_url(re.compile(r"/compare"))
    page.go_back()
    page.wait_for_url(re.compile(r"/builder\?experiment=drafty&version=1$"))
    expect(page.get_by_label("Label")).to_have_value("Unsaved label")

    # Discarding goes back to the stored version and forgets the draft.
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Discard changes").click()
    expect(page.get_by_label("Label")).to_have_value("Iris to open")
    expect(_saved_state(page)).to_have_text("v1 of drafty")
    page.reload()
    expect(page.get_by_label("Label")).to_have_value("Iris to open")
    expect(page.get_by_role("note")).to_have_count(0)


def test_forms_check_bounds_patterns_and_ids_before_sending(page: Any, screenshot: Shot) -> None:
    _experiment(page, "checked")
    _open(page, "checked")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)

    form = _form(page, "process")
    form.get_by_label("test size").fill("1.5")
    expect(form.get_by_role("alert")).to_contain_text("test size must be > 0, < 1")
    form = _form(page, "build")
    form.get_by_label("model name").fill("Not A Name")
    expect(form.get_by_role("alert")).to_contain_text("model name")
    expect(_node(page, "process")).to_contain_text("1 problem")

    # A duplicate step id is refused: the step keeps its own.
    form.get_by_label("Step id").fill("extract")
    expect(form.get_by_role("alert").filter(has_text="already has the id")).to_have_count(1)
    expect(_node(page, "build")).to_have_count(1)
    expect(page.locator('[data-step="extract"]')).to_have_count(1)

    page.get_by_role("button", name="Validate", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="nothing was sent")).to_have_count(1)
    screenshot(page, "builder-checks")
    assert not sent, f"the builder sent {sent} with problems on the canvas"


def test_changing_the_task_clears_what_does_not_fit(page: Any) -> None:
    _experiment(page, "retasked")
    _open(page, "retasked")
    page.get_by_label("Task").select_option("regression")
    notice = page.get_by_role("alert").filter(has_text="Task is now regression")
    expect(notice).to_contain_text("estimator LogisticRegression of build")
    expect(notice).to_contain_text("the accuracy threshold of validate")
    expect(_form(page, "build").get_by_label("estimator")).to_have_value("")
    expect(_form(page, "validate").get_by_label("threshold 1 metric")).to_have_count(0)


def test_server_problems_show_their_detail_in_the_side_panel_without_growing_nodes(
    page: Any, screenshot: Shot
) -> None:
    document = iris_document("broken", label="Broken")
    _submit(page, document)
    _open(page, "broken")
    before = _size(page, "extract")
    form = _form(page, "extract")
    form.get_by_label("target column").fill("")
    form.get_by_label("source", exact=True).fill("")
    page.get_by_role("button", name="Validate", exact=True).click()
    # The server's detail, whole; each problem in the side panel; a count on the node.
    expect(page.get_by_role("alert").filter(has_text="Not valid")).to_contain_text("rule(s)")
    _node(page, "extract").get_by_text(re.compile(r"\d problems?")).wait_for()
    page.get_by_role("button", name="Auto-layout").click()
    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})  # no step selected
    problems = page.get_by_role("region", name="Problems")
    expect(problems.get_by_role("button", name="extract")).not_to_have_count(0)
    assert _size(page, "extract") == before
    for left, right in (("extract", "process"), ("process", "build")):
        a, b = _node(page, left).bounding_box(), _node(page, right).bounding_box()
        assert a["x"] + a["width"] <= b["x"], f"{left} overlaps {right}"
    screenshot(page, "builder-problems")
    problems.get_by_role("button", name="extract").first.click()
    expect(page.locator('form[aria-label="Parameters of extract"]')).to_have_count(1)

    # A server error that is no SHACL report shows its detail too.
    page.goto("/builder?experiment=nowhere&version=3")
    expect(page.get_by_role("alert").filter(has_text="Could not load the version")).to_contain_text(
        "nowhere"
    )


def test_auto_layout_arranges_in_layers_and_nodes_open_from_the_keyboard(page: Any) -> None:
    page.goto("/builder")
    page.get_by_text("Drag a step here").wait_for()
    for step_type in ("ModelBuilding", "DataProcessing", "DataExtraction"):
        page.locator(f'[data-step-type="{step_type}"]').press("Enter")  # added, not dragged
    _form(page, "process").get_by_label("Add input from").select_option(label="extract")
    _form(page, "build").get_by_label("Add input from").select_option(label="process")
    page.get_by_role("button", name="Auto-layout").click()
    xs = [_node(page, s).bounding_box()["x"] for s in ("extract", "process", "build")]
    assert xs == sorted(xs) and len(set(xs)) == 3, xs

    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})
    _node(page, "process").focus()
    page.keyboard.press("Enter")
    form = page.locator('form[aria-label="Parameters of process"]')
    expect(form).to_have_count(1)
    focused = page.evaluate("document.activeElement.closest('form')?.getAttribute('aria-label')")
    assert focused == "Parameters of process"


def test_closing_the_tab_with_unsaved_changes_asks_first(page: Any) -> None:
    _experiment(page, "closing")
    _open(page, "closing")
    page.get_by_label("Label").click()
    page.keyboard.type(" edited")
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()  # stay
    expect(page.get_by_label("Label")).to_have_value("Iris to open edited")
