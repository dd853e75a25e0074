"""The UI with auth on: sign in (a wrong password refused), the account page's tokens, sign out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from server.platform import open_platform
from server.settings import Settings

pytestmark = pytest.mark.browser
PASSWORD = "browser-admin-pass"


@pytest.fixture(scope="module")
def server_url(
    tmp_path_factory: pytest.TempPathFactory, ui_dist: Path, serve_app: Any
) -> Iterator[str]:
    """The platform with auth on (admin's password set), the UI, a free loopback port."""
    from server.app import create_app
    from server.auth.check import close_auth

    data = tmp_path_factory.mktemp("e2e-auth") / "data"
    settings = Settings.load({"data": data, "auth": True, "admin_password": PASSWORD}, environ={})
    platform = open_platform(settings)
    app = create_app(platform=platform)
    app.config["ONTOLAB_UI_DIST"] = ui_dist
    with serve_app(app) as url:
        yield url
    close_auth(app)
    platform.close()


def test_sign_in_make_a_token_and_sign_out(page: Any, server_url: str, screenshot: Any) -> None:
    page.goto("/experiments")
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("User").fill("admin")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").get_by_text("unknown user or wrong password").wait_for()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()
    page.get_by_role("link", name="admin").click()
    page.get_by_role("heading", name="Account").wait_for()
    page.get_by_label("Token name").fill("notebook")
    page.get_by_label("Scope").select_option("runner")
    page.get_by_role("button", name="Create token").click()  # a cookie write: CSRF header sent
    token = page.get_by_test_id("new-token").inner_text()
    assert token.startswith("olt_")
    page.get_by_role("cell", name="notebook").wait_for()
    screenshot(page, "auth-account")
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{server_url}/api/experiments", headers=bearer, timeout=10).ok
    assert requests.get(f"{server_url}/api/experiments", timeout=10).status_code == 401

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
