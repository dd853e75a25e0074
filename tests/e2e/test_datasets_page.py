"""The Datasets page in Chromium: a real file dropped on the page is uploaded with a progress
bar, listed with its versions and checksums, previewed and profiled; a refused file says why;
the builder offers the version as a source and its columns as the target."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from sklearn.datasets import load_wine

pytestmark = pytest.mark.browser

Shot = Callable[[Any, str], None]
NAME = "wine_e2e"
# A few MB, sent through Chromium's network throttling (THROTTLE bytes/s): several progress
# events, as on a slow link (on loopback the whole body goes out at once).
THROTTLE = 1_000_000
WINE = load_wine(as_frame=True).frame
CSV = "".join([WINE.to_csv(index=False)] + [WINE.to_csv(index=False, header=False)] * 60)
SHORT = WINE.head(50).to_csv(index=False)

# Every percentage the progress bar shows, kept by the page itself (the bar is brief).
WATCH_PROGRESS = """() => {
  window.__percents = [];
  new MutationObserver(() => {
    const bar = document.querySelector('progress[aria-label="Upload progress"]');
    if (bar) window.__percents.push(Number(bar.dataset.percent));
  }).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def _drop(page: Any, text: str, file_name: str, media_type: str = "text/csv") -> None:
    """Drop a file made in the page on the drop zone, as a user dragging it from a folder."""
    transfer = page.evaluate_handle(
        """([text, name, type]) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([text], name, {type}));
          return transfer;
        }""",
        [text, file_name, media_type],
    )
    page.get_by_test_id("dropzone").dispatch_event("drop", {"dataTransfer": transfer})


def test_upload_by_drag_and_drop_then_versions_preview_and_profile(
    page: Any, server_url: str, screenshot: Shot
) -> None:
    page.goto("/datasets")
    page.get_by_text("No dataset uploaded yet").wait_for()
    page.evaluate(WATCH_PROGRESS)
    page.get_by_label("Name").fill(NAME)
    devtools = page.context.new_cdp_session(page)
    devtools.send("Network.enable")
    devtools.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": THROTTLE},
    )
    _drop(page, CSV, "wine.csv")
    stored = page.get_by_role("status").filter(has_text=f"Stored {NAME} version 1")
    expect(stored).to_contain_text(f"dataset:{NAME}@1", timeout=60_000)
    expect(stored).to_contain_text(f"{len(WINE) * 61} rows, {WINE.shape[1]} columns")
    percents = page.evaluate("window.__percents")
    devtools.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    print("upload progress seen:", sorted(set(percents)))
    assert percents and max(percents) == 100, percents
    assert any(0 < p < 100 for p in percents), f"no progress between 0 and 100: {percents}"
    assert percents == sorted(percents), f"progress went backwards: {percents}"
    expect(page).to_have_url(re.compile(rf"/datasets/{NAME}\?version=1$"))

    versions = page.get_by_role("table", name="Versions").locator("tbody tr")
    expect(versions).to_have_count(1)
    listed = requests.get(f"{server_url}/api/datasets/{NAME}", timeout=30).json()["versions"][0]
    expect(versions.first).to_contain_text(listed["sha256"])
    assert re.fullmatch(r"[0-9a-f]{64}", listed["sha256"])

    preview = page.get_by_role("table", name="Dataset preview")
    expect(preview.locator("thead th")).to_have_count(WINE.shape[1])
    expect(preview.locator("tbody tr")).to_have_count(20)
    expect(preview.locator("tbody tr").first.locator("td").first).to_have_text(
        f"{WINE.iloc[0, 0]:.4f}"
    )
    columns = page.get_by_role("table", name="Columns").locator("tbody tr")
    expect(columns).to_have_count(WINE.shape[1])
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "datasets")

    _drop(page, SHORT, "wine.csv")  # a second version under the typed name
    page.get_by_role("status").filter(has_text=f"Stored {NAME} version 2").wait_for()
    expect(versions).to_have_count(2)
    expect(page.get_by_role("table", name="Dataset preview").locator("tbody tr")).to_have_count(20)
    page.get_by_role("button", name="v1", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?version=1$"))
    expect(page.get_by_role("heading", name=f"{NAME} v1")).to_be_visible()


def _listed(server_url: str) -> list[dict[str, Any]]:
    return list(requests.get(f"{server_url}/api/datasets", timeout=30).json()["datasets"])


def test_a_refused_file_says_why_and_stores_nothing(page: Any, server_url: str) -> None:
    page.goto("/datasets")
    before = _listed(server_url)
    page.get_by_label("Name").fill("bad name!")
    _drop(page, "a,b\n1,2\n", "tiny.csv")
    refused = page.get_by_role("alert").filter(has_text="The upload was refused")
    expect(refused).to_contain_text("bad name!")
    assert _listed(server_url) == before


def test_the_builder_offers_the_dataset_and_its_columns(page: Any) -> None:
    page.goto("/builder")
    page.get_by_text("Drag a step here").wait_for()
    page.locator('[data-step-type="DataExtraction"]').drag_to(
        page.get_by_test_id("canvas"), target_position={"x": 90, "y": 60}
    )
    page.locator(".react-flow__node").first.click()
    form = page.locator('form[aria-label="Parameters of extract"]')
    expect(page.locator(f'#source-list option[value="dataset:{NAME}@1"]')).to_have_count(1)
    expect(page.locator(f'#source-list option[value="dataset:{NAME}@2"]')).to_have_count(1)
    expect(page.locator('#source-list option[value="sklearn:iris"]')).to_have_count(1)
    target = form.get_by_label("target column")
    expect(target).to_have_js_property("tagName", "INPUT")  # free text for a bundled source
    form.get_by_label("source", exact=True).fill(f"dataset:{NAME}@1")
    expect(target).to_have_js_property("tagName", "SELECT")
    options = target.locator("option")
    expect(options).to_have_count(WINE.shape[1] + 1)  # the prompt, then each column
    target.select_option("target")
    expect(target).to_have_value("target")
