"""The monitoring page of a deployment in Chromium: a breast_cancer model deployed from the
Models page is sent training-like traffic, then drifted traffic (every feature scaled by 1.6)
with its true labels as feedback; the page shows the drift share, the drifted features first
and highlighted, the live accuracy, the windows over time and the request log. Then the
operations around it: a drift trigger on the experiment fires on a drifted window the page
evaluates and starts a run, whose version challenges the champion (informed by the firing); the
page shows the firing (what fired, the observed share, the run it started), the aliases, the
last gate decision with its reason and the alias history, and its rollback button (confirmed in
a dialog) moves the champion back and the deployment following it; a refused rollback shows the
server's detail.

Before (issue 21): there was no monitoring page; /deployments/ID/monitoring was "No page here".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from sklearn.datasets import load_breast_cancer

pytestmark = pytest.mark.browser

MODEL = "breast-cancer-classifier"
RUN_TIMEOUT = 180
TIMEOUT = 30
LOGGED_WITHIN = 20.0  # seconds the log writer may take on a busy machine (not a speed check)
BATCH = 20

Shot = Callable[[Any, str], None]


def _send(url: str, rows: list[dict[str, float]]) -> str:
    answer = requests.post(url, json={"dataframe_records": rows}, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["request_id"])


def _wait_logged(page: Any, deployment_id: str, request_id: str) -> None:
    path = f"/api/deployments/{deployment_id}/predictions?limit=1000"
    deadline = time.monotonic() + LOGGED_WITHIN
    while time.monotonic() < deadline:
        logged = _ok(_api(page, "GET", path))["predictions"]
        if request_id in {p["request_id"] for p in logged}:
            return
        time.sleep(0.1)
    raise AssertionError(f"request {request_id} was not logged within {LOGGED_WITHIN:g} s")


def _deploy_and_open_monitoring(page: Any) -> tuple[str, str]:
    """Deploy v1 from the Models page and follow its link: (deployment id, predict URL)."""
    page.goto(f"/models/{MODEL}")
    versions = page.get_by_role("table", name="Model versions")
    versions.get_by_role("button", name="Deploy v1").click()
    endpoint = page.locator(".deployment-url").first
    endpoint.wait_for(timeout=60_000)
    predict = endpoint.inner_text()
    page.get_by_role("link", name=re.compile(r"^Monitoring of ")).click()
    page.wait_for_url(re.compile(r"/deployments/[0-9a-f]+/monitoring$"))
    page.get_by_role("link", name=MODEL).wait_for()
    return page.url.split("/")[-2], predict


def _assert_drifted_first(page: Any, drift: dict[str, Any]) -> None:
    """The feature table: the drifted features first, highlighted, with their badge."""
    drifted, features = len(drift["drifted_features"]), len(drift["features"])
    table = page.get_by_role("table", name="Feature drift")
    radius = table.get_by_role("row").filter(has_text=re.compile(r"^mean radius"))
    expect(radius).to_have_class(re.compile(r"\bdrifted\b"))
    expect(radius).to_contain_text("drifted")
    highlighted = table.locator("tbody tr.drifted")
    assert highlighted.count() == drifted
    body_rows = table.locator("tbody tr")
    expect(body_rows.first).to_have_class(re.compile(r"\bdrifted\b"))
    expect(body_rows.nth(drifted - 1)).to_have_class(re.compile(r"\bdrifted\b"))
    if drifted < features:
        expect(body_rows.nth(drifted)).not_to_have_class(re.compile(r"\bdrifted\b"))


def test_the_monitoring_page_shows_drift_and_live_performance(
    page: Any, examples: Path, screenshot: Shot
) -> None:
    _store_and_run(page, (examples / "breast_cancer.ttl").read_text())  # MODEL version 1
    deployment_id, predict = _deploy_and_open_monitoring(page)
    page.locator(".notice").filter(has_text="no logged request in this window").wait_for()

    bunch = load_breast_cancer(as_frame=True)
    rows = [{str(k): float(v) for k, v in r.items()} for _, r in bunch.data.iterrows()]
    truth = [int(t) for t in bunch.target]

    # Training-like traffic: a calm window, and no feedback yet.
    for start in range(0, 200, BATCH):
        last = _send(predict, rows[start : start + BATCH])
    _wait_logged(page, deployment_id, last)
    page.get_by_label("Window kind").select_option("last")
    page.get_by_label("Window value").fill("200")
    page.get_by_role("button", name="Evaluate window").click()
    page.wait_for_url(re.compile(r"\?window=last(%3A|:)200$"))
    share = page.get_by_test_id("drift-share")
    expect(share).to_contain_text("no drift", timeout=TIMEOUT * 1000)
    expect(page.get_by_test_id("live-performance")).to_contain_text("no feedback yet")
    calm_rows = page.get_by_role("table", name="Feature drift").locator("tr.drifted")
    assert calm_rows.count() == 0

    # Drifted traffic, and the true labels of those requests as feedback.
    labelled: list[dict[str, Any]] = []
    for start in range(200, 400, BATCH):
        moved = [{k: v * 1.6 for k, v in r.items()} for r in rows[start : start + BATCH]]
        sent = _send(predict, moved)
        labelled.append({"request_id": sent, "label": truth[start : start + BATCH]})
    _wait_logged(page, deployment_id, labelled[-1]["request_id"])
    _ok(_api(page, "POST", f"/api/deployments/{deployment_id}/feedback", {"feedback": labelled}))

    page.get_by_role("button", name="Evaluate now").click()
    expect(share.locator(".badge.status-drift")).to_have_text("drift", timeout=TIMEOUT * 1000)
    expect(page.get_by_test_id("live-performance")).to_contain_text("accuracy")
    window = f"/api/deployments/{deployment_id}/monitoring?window=last:200"
    now = _ok(_api(page, "GET", window))  # the same window: the page's figures, no new record
    drift, live = now["drift"], now["performance"]
    assert drift["verdict"] == "drift" and "mean radius" in drift["drifted_features"]
    expect(share).to_contain_text(f"{drift['drift_share'] * 100:.0f}%")
    drifted, features = len(drift["drifted_features"]), len(drift["features"])
    expect(share).to_contain_text(f"{drifted} of {features} features drifted")
    assert live["labelled_rows"] == 200
    live_card = page.get_by_test_id("live-performance")
    expect(live_card).to_contain_text("(200 labelled rows)")
    expect(live_card).to_contain_text(f"{live['metrics']['accuracy']:.4f}")
    expect(live_card).to_contain_text(f"{live['metrics']['f1']:.4f}")

    _assert_drifted_first(page, drift)

    # Over windows: the calm and the drifted window are recorded, charted; the log has feedback.
    for chart in ("drift share over windows", "live performance over windows"):
        page.get_by_role("img", name=chart).locator("canvas").first.wait_for()
    page.get_by_role("img", name="feature drift over windows").locator("canvas").first.wait_for()
    recorded = f"/api/deployments/{deployment_id}/monitoring/history"
    history = _ok(_api(page, "GET", recorded))["evaluations"]
    assert {h["drift_detected"] for h in history if h["window"]["spec"] == "last:200"} == {
        True,
        False,
    }
    log = page.get_by_role("table", name="Request log")
    newest = log.get_by_role("row").filter(has_text=labelled[-1]["request_id"])
    expect(newest.locator("td").nth(5)).to_have_text(", ".join(str(t) for t in truth[380:400]))
    screenshot(page, "monitoring")

    # A window the API refuses is shown with its reason, and the page stays usable.
    page.get_by_label("Window value").fill("0")
    page.get_by_role("button", name="Evaluate window").click()
    page.get_by_role("alert").filter(has_text="from 1 to").wait_for()
    page.get_by_role("button", name="last:1000").click()
    summary = page.get_by_role("group", name="Current window")
    expect(summary).to_contain_text("400 rows", timeout=TIMEOUT * 1000)
    assert page.get_by_role("alert").count() == 0


# --- operations: trigger history, champion and challenger, rollback ------------------------------
# Every platform call goes through the page's own request context (its cookies, and the CSRF
# token /api/auth/me hands a signed-in session), so these steps work with auth off or on.


def _api(page: Any, method: str, path: str, body: Any = None, text: str | None = None) -> Any:
    """``method path`` on the platform as the page's user; the response (not yet checked)."""
    me = page.request.get("/api/auth/me", timeout=TIMEOUT * 1000).json()
    headers = {"X-CSRF-Token": me["csrf_token"]} if me.get("csrf_token") else {}
    if text is not None:
        headers["Content-Type"] = "text/turtle"
    return page.request.fetch(
        path,
        method=method,
        headers=headers,
        data=text if text is not None else body,
        timeout=RUN_TIMEOUT * 1000,
    )


def _ok(answer: Any, *statuses: int) -> Any:
    assert answer.status in (statuses or (200,)), answer.text()
    return answer.json()


def _run_to_end(page: Any, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        run: dict[str, Any] = _ok(_api(page, "GET", f"/api/runs/{run_id}"))
        if run["status"] != "running":
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not end in {RUN_TIMEOUT} s")


def _decision_on(page: Any, version: int, informed_by: str) -> dict[str, Any]:
    """The gate's decision on ``version`` that ``informed_by`` led to (it follows the run)."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        decisions = _ok(_api(page, "GET", f"/api/models/{MODEL}/decisions"))["decisions"]
        for decision in decisions:
            if decision["version"] == version and decision["informed_by"] == informed_by:
                return dict(decision)
        time.sleep(0.5)
    raise AssertionError(f"no decision on v{version} informed by {informed_by}")


def _store_and_run(page: Any, turtle: str) -> str:
    _ok(_api(page, "POST", "/api/experiments", text=turtle), 200, 201)
    started = _ok(_api(page, "POST", "/api/runs", {"experiment": "breast_cancer"}), 202)
    run = _run_to_end(page, started["run_id"])
    assert run["status"] == "succeeded", run
    return str(run["run_id"])


def _champion_deployment(page: Any, examples: Path) -> dict[str, Any]:
    """Version 1 of MODEL as champion (through the gate: there was none), deployed following it."""
    if _api(page, "GET", f"/api/models/{MODEL}").status == 404:  # this test run alone
        _store_and_run(page, (examples / "breast_cancer.ttl").read_text())
    if "champion" not in _ok(_api(page, "GET", f"/api/models/{MODEL}"))["aliases"]:
        decision = _ok(_api(page, "POST", f"/api/models/{MODEL}/versions/1/challenge"))
        assert decision["outcome"] == "promoted", decision
    body = {"model": MODEL, "alias": "champion"}
    return dict(_ok(_api(page, "POST", "/api/deployments", body), 201))


def promote_by_hand() -> dict[str, Any]:
    """Champion through the gate's validation check only, as an operator promotes by hand."""
    return {"alias": "champion", "must_beat_current": False}


def _shown(value: float) -> str:
    """A number as the page shows it (lib/monitoring.ts ``plain``: 4 significant digits)."""
    rounded = float(f"{value:.4g}")
    return str(int(rounded)) if rounded.is_integer() else str(rounded)


def _served(page: Any, deployment_id: str) -> int:
    return int(_ok(_api(page, "GET", f"/api/deployments/{deployment_id}"))["version"])


def test_the_monitoring_page_shows_triggers_the_champion_and_rolls_back(
    page: Any, examples: Path, screenshot: Shot
) -> None:
    page.goto("/")  # the page's origin, for its request context
    deployment = _champion_deployment(page, examples)
    deployment_id = deployment["id"]
    assert deployment["version"] == 1
    # Version 2 of the experiment: a weaker C; the trigger's run builds it.
    text = (examples / "breast_cancer.ttl").read_text()
    weaker = text.replace('"C" ; ol:parameterValue 1.0', '"C" ; ol:parameterValue 0.1')
    assert weaker != text
    _ok(_api(page, "POST", "/api/experiments", text=weaker), 200, 201)
    trigger = _ok(
        _api(
            page,
            "POST",
            "/api/experiments/breast_cancer/triggers",
            {
                "kind": "drift",
                "threshold": 0.2,
                "windows": 1,
                "deployments": [deployment_id],
                "label": "inputs moved",
                "cooldown_seconds": 3600,  # the periodic monitor's windows start no second run
            },
        ),
        201,
    )

    # Drifted traffic; the page's evaluation of it records a window, and the trigger fires.
    bunch = load_breast_cancer(as_frame=True)
    rows = [{str(k): float(v) * 1.6 for k, v in r.items()} for _, r in bunch.data.iterrows()]
    for start in range(0, 100, BATCH):
        last = _send(deployment["url"] + "/predict", rows[start : start + BATCH])
    _wait_logged(page, deployment_id, last)
    page.goto(f"/deployments/{deployment_id}/monitoring?window=last:100")
    share = page.get_by_test_id("drift-share")
    expect(share.locator(".badge.status-drift")).to_have_text("drift", timeout=TIMEOUT * 1000)
    firings_path = f"/api/experiments/breast_cancer/triggers/{trigger['id']}/firings"
    firings = _ok(_api(page, "GET", firings_path))["firings"]
    (fired,) = [f for f in firings if f["outcome"] == "started"]
    assert fired["observed_value"] >= 0.2 and fired["deployment"] == deployment_id

    table = page.get_by_role("table", name="Trigger firings")
    row = table.locator(f'tr[data-firing="{fired["id"]}"]')
    expect(row).to_contain_text("drift (share ≥ 0.2) “inputs moved”", timeout=TIMEOUT * 1000)
    cells = row.locator("td")
    expect(cells.nth(2)).to_have_text(_shown(fired["observed_value"]))
    expect(cells.nth(3)).to_have_text("started")
    run_link = cells.nth(4).get_by_role("link", name=fired["run_id"])
    expect(run_link).to_have_attribute("href", f"/runs/{fired['run_id']}")
    expect(cells.nth(6)).to_contain_text(f"started run {fired['run_id']}")

    # The firing's run registers version 2, which then challenges the champion by itself,
    # informed by the firing.
    assert _run_to_end(page, fired["run_id"])["status"] == "succeeded"
    decision = _decision_on(page, 2, f"{trigger['iri']}/firing/{fired['id']}")
    if decision["outcome"] == "refused":  # an operator promotes it by hand all the same
        _ok(_api(page, "POST", f"/api/models/{MODEL}/versions/2/promote", promote_by_hand()))
    assert _served(page, deployment_id) == 2  # the deployment followed the champion

    page.get_by_role("button", name="Evaluate now").click()  # the page reads everything again
    header = page.get_by_role("link", name=MODEL, exact=True).locator("xpath=..")
    expect(header).to_contain_text(f"{MODEL} v2", timeout=TIMEOUT * 1000)
    aliases = page.get_by_role("group", name="Aliases")
    champion = aliases.locator('[data-alias="champion"]')
    expect(champion).to_contain_text("v2")
    expect(champion).to_contain_text("this deployment follows it")
    expect(aliases.locator('[data-alias="challenger"]')).to_contain_text("v2")
    last = page.get_by_test_id("last-decision")
    expect(last.locator(".badge")).to_have_text(decision["outcome"])
    expect(last).to_contain_text(decision["reason"])
    expect(last).to_contain_text(f"informed by trigger firing {fired['id']}")
    expect(last).to_contain_text("against champion v1")
    history = page.get_by_role("table", name="Alias history")
    newest = history.locator('tbody tr[data-alias="champion"]').first  # its newest change
    expect(newest.locator("td").nth(0)).to_have_text("champion")
    expect(newest.locator("td").nth(1)).to_have_text("v2")
    expect(newest.locator("td").nth(3)).to_have_text("now")
    first_set = history.locator("tbody tr").filter(has_text="there was no champion")
    expect(first_set.locator("td:nth-child(2)")).to_have_text(["v1", "v1"])  # both aliases
    screenshot(page, "monitoring-operations")

    # Cancelled: nothing moves. Then a rollback the server refuses: its detail is shown.
    button = champion.get_by_role("button", name="Roll back champion to v1")
    button.click()
    dialog = page.get_by_role("dialog", name="Roll back champion?")
    expect(dialog).to_contain_text("returns from v2 to v1")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert _served(page, deployment_id) == 2
    button.click()
    _ok(_api(page, "POST", f"/api/models/{MODEL}/aliases/champion/rollback"))  # someone else
    dialog.get_by_role("button", name="Roll back").click()
    refused = page.get_by_role("alert").filter(has_text="Could not roll back")
    expect(refused).to_contain_text("has no previous version to return to")
    assert _served(page, deployment_id) == 1

    # Moved to version 2 again, then rolled back from the page: the page shows version 1.
    _ok(_api(page, "POST", f"/api/models/{MODEL}/versions/2/promote", promote_by_hand()))
    assert _served(page, deployment_id) == 2
    page.reload()
    champion.get_by_role("button", name="Roll back champion to v1").click()
    dialog.get_by_role("button", name="Roll back").click()
    expect(page.get_by_role("status").filter(has_text="champion rolled back")).to_contain_text(
        "from v2 to v1", timeout=TIMEOUT * 1000
    )
    expect(header).to_contain_text(f"{MODEL} v1")
    expect(champion).to_contain_text("v1")
    expect(champion.get_by_role("button")).to_have_count(0)  # nothing earlier to return to
    expect(newest.locator("td").nth(1)).to_have_text("v1")
    expect(newest.locator("td").nth(5)).to_contain_text("rolled back")
    assert _served(page, deployment_id) == 1
    assert _ok(_api(page, "GET", f"/api/models/{MODEL}"))["aliases"]["champion"] == 1
    assert page.get_by_role("alert").count() == 0
