"""The UI with auth on: sign in (a wrong password refused), the account page's tokens, sign out;
a viewer sees every page, is not offered the writes its grants do not allow (each page says
which role is needed and the grant to ask for), and a write the server refuses shows the
server's words; an expired session brings the sign-in form back on the same page.

The module's platform is the conftest's (auth on, admin from the environment); ``page`` is
admin's, the others here are opened signed out or as another user.
"""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from server.auth.check import gate_of
from server.auth.roles import Grant, Role
from tests.documents import iris_document
from tests.e2e.conftest import ADMIN, ADMIN_PASSWORD, Served, open_page, sign_in

pytestmark = pytest.mark.browser
VIEWER, VIEWER_PASSWORD = "viola", "viewer-pass-123"
RUN_TIMEOUT = 120
MODEL = "quick-nb"


@pytest.fixture
def signed_out(browser: Any, server_url: str) -> Iterator[Any]:
    """A page with no session."""
    opened = open_page(browser, server_url, None)
    yield opened
    opened.context.close()
    assert not opened.errors, f"the page threw: {opened.errors}"


@pytest.fixture(scope="module")
def quick_run(server_url: str, finished_run: Any) -> str:
    """A finished run of the quick experiment (its model registered), made with admin's token."""
    document = iris_document("quick", estimator="GaussianNB", validate=False, model=MODEL)
    stored = requests.post(f"{server_url}/api/experiments", json=document, timeout=30)
    assert stored.status_code == 201, stored.text
    started = requests.post(f"{server_url}/api/runs", json={"experiment": "quick"}, timeout=30)
    assert started.status_code == 202, started.text
    run_id = str(started.json()["run_id"])
    assert finished_run(server_url, run_id, RUN_TIMEOUT)["status"] == "succeeded"
    return run_id


def sign_in_on_the_form(page: Any, user: str, password: str) -> None:
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()


def test_sign_in_make_a_token_and_sign_out(
    signed_out: Any, server_url: str, screenshot: Any
) -> None:
    page = signed_out
    page.goto("/experiments")
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("User").fill(ADMIN)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").get_by_text("unknown user or wrong password").wait_for()

    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()
    page.get_by_role("heading", name="Experiments").first.wait_for()  # the page asked for
    page.get_by_role("link", name=ADMIN).click()
    page.get_by_role("heading", name="Account").wait_for()
    page.get_by_label("Token name").fill("notebook")
    page.get_by_label("Scope").select_option("runner")
    page.get_by_role("button", name="Create token").click()  # a cookie write: CSRF header sent
    token = page.get_by_test_id("new-token").inner_text()
    assert token.startswith("olt_")
    page.get_by_role("cell", name="notebook").wait_for()
    screenshot(page, "auth-account")
    bearer = {"Authorization": f"Bearer {token}"}
    anonymous = {"Authorization": None}
    assert requests.get(f"{server_url}/api/experiments", headers=bearer, timeout=10).ok
    refused = requests.get(f"{server_url}/api/experiments", headers=anonymous, timeout=10)
    assert refused.status_code == 401

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.goto("/models")  # a page's URL, signed out: the form stands for it
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.get_by_role("navigation", name="Main").count() == 0
    assert not page.context.cookies(), "signing out drops the session cookie"


def test_a_viewer_sees_the_pages_and_is_refused_writes(
    browser: Any, served: Served, quick_run: str, screenshot: Any
) -> None:
    gate = gate_of(served.app)
    assert gate is not None
    if not gate.accounts.exists(VIEWER):
        gate.accounts.add_user(VIEWER, VIEWER_PASSWORD)
        gate.accounts.grant(Grant(f"user:{VIEWER}", Role.VIEWER))
    viewer = sign_in(browser, served.url, VIEWER, VIEWER_PASSWORD)
    page = open_page(browser, served.url, viewer.storage_state)
    run_on_quick = Grant(f"user:{VIEWER}", Role.RUNNER, "experiment", "quick")
    try:
        page.goto(f"/runs/{quick_run}")
        page.get_by_text("succeeded").first.wait_for()  # reads: the run, its steps, its events
        expect(page.get_by_role("button", name="Run again")).to_be_disabled()
        with page.expect_download() as exported:  # a plain link: the session cookie goes along
            page.get_by_role("link", name="Export code").click()
        with zipfile.ZipFile(exported.value.path()) as zipped:
            assert f"ontolab-run-{quick_run}/pipeline.py" in zipped.namelist()

        # Writes the viewer may not make are not offered, and the page says why and what to ask.
        page.goto("/experiments/quick")
        run = page.get_by_role("button", name="Run version 1")
        expect(run).to_be_disabled()
        expect(run).to_have_accessible_description(
            re.compile("Needs role runner on experiment quick")
        )
        note = page.get_by_role("note").filter(has_text="Needs role runner")
        expect(note).to_have_text(
            f"Needs role runner on experiment quick; {VIEWER} has viewer. "
            f"An admin grants it: ontolab users grant {VIEWER} runner --experiment quick"
        )
        screenshot(page, "auth-viewer-refused")
        page.goto(f"/models/{MODEL}")
        expect(page.get_by_role("button", name="Deploy v1")).to_be_disabled()
        expect(page.get_by_role("button", name="Set alias")).to_be_disabled()
        page.get_by_role("note").filter(has_text="Needs role editor on model").first.wait_for()
        page.goto("/datasets")
        page.get_by_role("note").filter(has_text="Needs role runner;").wait_for()
        assert page.get_by_test_id("dropzone").count() == 0

        # A grant on the experiment offers its runs (only there).
        gate.accounts.grant(run_on_quick)
        page.goto("/experiments/quick")
        expect(page.get_by_role("button", name="Run version 1")).to_be_enabled()
        # The grant taken back while the page is open: the server refuses, in its words.
        gate.accounts.revoke(run_on_quick.principal, "experiment", "quick")
        page.get_by_role("button", name="Run version 1").click()
        refused = page.get_by_role("alert").filter(has_text="Could not start the run")
        refused.get_by_text(
            f"needs role runner on experiment 'quick'; {VIEWER} has viewer"
        ).wait_for()
        assert f"`ontolab users grant {VIEWER} runner --experiment quick`" in refused.inner_text()

        page.goto("/query")  # /sparql answers a viewer (from the graphs it may read)
        page.get_by_role("button", name="Run query").click()
        page.get_by_role("table").first.wait_for()
        page.get_by_role("link", name=VIEWER).click()
        page.get_by_role("heading", name="Account").wait_for()
        page.get_by_text("(viewer everywhere)").wait_for()
    finally:
        if run_on_quick in gate.accounts.grants((run_on_quick.principal,)):
            gate.accounts.revoke(run_on_quick.principal, "experiment", "quick")
        page.context.close()
    assert not page.errors, f"the page threw: {page.errors}"
    listed = requests.get(f"{served.url}/api/runs?experiment=quick", timeout=10).json()
    assert listed["total"] == 1, "the viewer's refused run started nothing"


def test_an_expired_session_returns_to_the_sign_in_form(
    signed_out: Any, served: Served, quick_run: str
) -> None:
    page = signed_out
    page.goto(f"/runs/{quick_run}")
    sign_in_on_the_form(page, ADMIN, ADMIN_PASSWORD)
    page.get_by_text("succeeded").first.wait_for()
    lifetime = served.app.permanent_session_lifetime
    served.app.permanent_session_lifetime = timedelta(seconds=1)  # Flask checks it per request
    try:
        time.sleep(2.1)  # itsdangerous counts whole seconds: older than 1 s by then
        page.get_by_role("link", name="Compare").click()  # the page's calls now answer 401
        page.get_by_role("heading", name="Sign in").wait_for()
        page.get_by_role("status").get_by_text("Your session has ended").wait_for()
    finally:
        served.app.permanent_session_lifetime = lifetime
    assert page.url.endswith("/compare")
    sign_in_on_the_form(page, ADMIN, ADMIN_PASSWORD)  # and back on the page asked for
    page.get_by_role("heading", name="Compare").first.wait_for()
