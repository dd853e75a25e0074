"""Reach in Chromium: every route of the app's route table has its own tab title, a skip link
is the first thing Tab reaches and moves focus to the main landmark, and the main pages fit a
1024×768 window without a horizontal page scroll (tables scroll inside their own box).

Before (issue 23, item 7): every tab read "Ontolab", there was no skip link, and the
Experiments page scrolled sideways at 1024 px. The first load's size is checked in
test_registry_ui.py (test_the_first_page_is_small_and_compressed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.documents import iris_document

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 120
EXPERIMENT = "reach_e2e_an_experiment_with_a_rather_long_identifier_that_must_wrap"
MODEL = f"{EXPERIMENT}-model"
DATASET = "reach-data"
Shot = Callable[[Any, str], None]
MAIN = Path(__file__).parents[2] / "ui" / "src" / "main.tsx"


def _route_table() -> list[str]:
    """The paths of the app's route table (ROUTES in ui/src/main.tsx)."""
    text = MAIN.read_text()
    table = text[text.index("const ROUTES") : text.index("];", text.index("const ROUTES"))]
    paths = re.findall(r'path: "([^"]+)"', table)
    assert len(paths) > 10, paths
    return paths


@pytest.fixture(scope="module")
def real(server_url: str, finished_run: Any) -> dict[str, str]:
    """Real ids for the routes that need one: a finished run, its experiment and model, a
    dataset."""
    document = iris_document(EXPERIMENT, model=MODEL, hyper={"C": 0.5}, min_accuracy=0.5)
    stored = requests.post(f"{server_url}/api/experiments", json=document, timeout=30)
    assert stored.status_code == 201, stored.text
    started = requests.post(f"{server_url}/api/runs", json={"experiment": EXPERIMENT}, timeout=30)
    assert started.status_code == 202, started.text
    run_id = str(started.json()["run_id"])
    assert finished_run(server_url, run_id, RUN_TIMEOUT)["status"] == "succeeded"
    csv = "a,b,label\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(30))
    uploaded = requests.post(
        f"{server_url}/api/datasets?name={DATASET}",
        data=csv.encode(),
        headers={"Content-Type": "text/csv"},
        timeout=30,
    )
    assert uploaded.status_code == 201, uploaded.text
    return {"run": run_id, "experiment": EXPERIMENT, "model": MODEL, "dataset": DATASET}


def _urls(real: dict[str, str]) -> dict[str, str]:
    """A URL to visit for each route of the table. The monitoring route takes a deployment id
    that need not exist: its title comes from the URL, and deploying would start a server."""
    return {
        "/": "/",
        "/experiments": "/experiments",
        "/experiments/:id": f"/experiments/{real['experiment']}",
        "/builder": "/builder",
        "/runs/:id": f"/runs/{real['run']}",
        "/explore": "/explore",
        "/compare": "/compare",
        "/lineage": "/lineage",
        "/models": "/models",
        "/models/:name": f"/models/{real['model']}",
        "/query": "/query",
        "/account": "/account",
        "/deployments/:id/monitoring": "/deployments/0123456789abcdef/monitoring",
        "/datasets": "/datasets",
        "/datasets/:name": f"/datasets/{real['dataset']}",
        "*": "/no-such-page",
    }


def test_every_route_has_its_own_title(page: Any, real: dict[str, str]) -> None:
    urls = _urls(real)
    routes = _route_table()
    assert sorted(routes) == sorted(urls), "a route of the table has no URL in this test"
    titles: dict[str, str] = {}
    for route in routes:
        page.goto(urls[route])
        expect(page.get_by_role("main")).not_to_be_empty()
        expect(page.get_by_role("main")).not_to_contain_text("Loading the page")
        expect(page).not_to_have_title("Ontolab")
        expect(page).to_have_title(re.compile(r" · Ontolab$"))
        titles[route] = page.title()
    print("titles:", titles)
    assert len(set(titles.values())) == len(titles), titles
    assert titles["/runs/:id"] == f"Run {real['run'][:8]}… · Ontolab"
    assert titles["/models/:name"] == f"Model {MODEL} · Ontolab"
    assert titles["/experiments/:id"] == f"Experiment {EXPERIMENT} · Ontolab"


def test_the_skip_link_comes_first_and_moves_focus_to_main(page: Any, screenshot: Shot) -> None:
    page.goto("/experiments")
    expect(page.get_by_role("heading", name="Experiments", exact=True)).to_be_visible()
    skip = page.get_by_role("link", name="Skip to main content")
    box = skip.bounding_box()
    assert box is None or box["y"] + box["height"] <= 0, "the skip link shows before focus"
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link is off screen"
    screenshot(page, "skip_link")
    page.keyboard.press("Enter")
    main = page.get_by_role("main")
    expect(main).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "main"
    # Tab goes on from inside main, not back to the bar.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


FITS = [
    "/",
    "/experiments",
    "/experiments/{experiment}",
    "/runs/{run}",
    "/models",
    "/models/{model}",
    "/datasets",
    "/datasets/{dataset}",
    "/compare",
    "/query",
    "/lineage",
    "/explore",
    "/builder",
    "/account",
]


# The innermost elements whose right edge passes the window's (for the failure message).
STICKING_OUT = """[...document.querySelectorAll('main *')]
  .filter((e) => e.getBoundingClientRect().right > 1024 && e.children.length === 0)
  .slice(0, 5)
  .map((e) => `${e.tagName.toLowerCase()}.${e.className}`
    + ` ${Math.round(e.getBoundingClientRect().right)}`)"""


def test_the_main_pages_fit_a_1024_window(
    page: Any, real: dict[str, str], screenshot: Shot
) -> None:
    page.set_viewport_size({"width": 1024, "height": 768})
    widths: dict[str, int] = {}
    culprits: dict[str, list[str]] = {}
    for template in FITS:
        page.goto(template.format(**real))
        expect(page.locator("main h1").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        widths[template] = int(page.evaluate("document.documentElement.scrollWidth"))
        if template == "/experiments/{experiment}":
            screenshot(page, "experiments_1024")
        if widths[template] > 1024:
            culprits[template] = page.evaluate(STICKING_OUT)
    print("page widths at 1024 px:", widths)
    wide = {path: width for path, width in widths.items() if width > 1024}
    assert not wide, f"pages scroll sideways at 1024 px: {wide}; {culprits}"
