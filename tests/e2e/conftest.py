"""Browser tests: the built UI served by the platform (waitress, loopback), driven by Chromium.

One platform and one browser serve the whole module, so the tests may build on each other
(the pipeline saved by the first is run, compared, promoted and deployed by the next).

The platform runs with auth on, as a team would run it: its first start creates ``admin``
from the environment (``ONTOLAB_ADMIN_PASSWORD``). Signing in happens once per module
(``signed_in``): every ``page`` opens with admin's session cookie (Playwright's storage
state), and every ``requests`` call to the platform sends admin's API token unless it sets
``Authorization`` itself (``headers={"Authorization": None}`` sends none: anonymous). A
module that serves its own platform without auth gets plain pages and plain requests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from server.platform import open_platform
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "ui"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600"]
ADMIN = "admin"
ADMIN_PASSWORD = "e2e-admin-password"
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed through apt when missing (root only; otherwise fail)."""
    if CHROMIUM.exists():
        return CHROMIUM
    command = "apt-get update && apt-get install -y chromium"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM}; run as root: {command}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["update", "-qq"], ["install", "-y", "-qq", "chromium"]):
        done = subprocess.run([*APT, *args], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            pytest.fail(f"`{command}` failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return CHROMIUM


@pytest.fixture(scope="session")
def ui_dist() -> Path:
    """ui/dist, built with npm if ./installation.sh has not built it yet."""
    if not (UI / "dist" / "index.html").is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("ui/dist is not built and npm is missing; run ./installation.sh")
        for args in (["ci", "--no-audit", "--no-fund"], ["run", "build"]):
            done = subprocess.run([npm, *args], cwd=UI, capture_output=True, text=True)
            if done.returncode != 0:
                pytest.fail(f"npm {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr}")
    return UI / "dist"


@dataclass
class Served:
    """The module's platform, its Flask app (the auth gate's accounts) and its URL."""

    url: str
    app: Any
    platform: Any


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, ui_dist: Path, serve_app: Any
) -> Iterator[Served]:
    """The platform with the UI and auth on, on a free loopback port, with its own data dir."""
    from server.app import create_app
    from server.auth.check import close_auth

    data = tmp_path_factory.mktemp("e2e") / "data"
    environ = {"ONTOLAB_AUTH": "on", "ONTOLAB_ADMIN_PASSWORD": ADMIN_PASSWORD}
    platform = open_platform(Settings.load({"data": data}, environ=environ))
    app = create_app(platform=platform)
    app.config["ONTOLAB_UI_DIST"] = ui_dist
    with serve_app(app) as url:
        yield Served(url, app, platform)
        for deployment in platform.deployments.list_all():
            if deployment.get("status") == "running":
                platform.deployments.stop(deployment["id"])
    close_auth(app)
    platform.close()


@pytest.fixture(scope="module")
def server_url(served: Served) -> str:
    """The platform's base URL (auth on: pages come signed in, requests carry a token)."""
    return served.url


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=LAUNCH_ARGS
        )
        yield launched
        launched.close()


@dataclass(frozen=True)
class SignedIn:
    """A user signed in once: the browser's storage state (the session cookie) and a token."""

    user: str
    storage_state: dict[str, Any]
    token: str


def sign_in(browser: Any, server_url: str, user: str, password: str) -> SignedIn:
    """Sign ``user`` in through the API (as the sign-in page does) and make them a token."""
    context = browser.new_context(base_url=server_url)
    try:
        login = context.request.post(
            "/api/auth/login", data={"username": user, "password": password}
        )
        assert login.ok, login.text()
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        made = context.request.post(
            "/api/auth/tokens", data={"name": "e2e", "scope": "admin", "days": 1}, headers=csrf
        )
        assert made.ok, made.text()
        return SignedIn(user, context.storage_state(), made.json()["token"])
    finally:
        context.close()


@pytest.fixture(scope="module")
def signed_in(browser: Any, server_url: str) -> SignedIn | None:
    """admin, signed in once for the module; None when the module's platform runs without auth."""
    me = requests.get(f"{server_url}/api/auth/me", timeout=10, headers={"Authorization": None})
    if not me.json().get("auth"):
        return None
    return sign_in(browser, server_url, ADMIN, ADMIN_PASSWORD)


@pytest.fixture(scope="module", autouse=True)
def _requests_send_the_token(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every ``requests`` call to the module's platform carries admin's token (auth on), unless
    it sets ``Authorization`` itself: the tests', their module fixtures' and the shared
    helpers' (``finished_run``). Module-scoped and autouse, so it comes before the others."""
    if "server_url" not in request.fixturenames:
        yield
        return
    server_url = request.getfixturevalue("server_url")
    user: SignedIn | None = request.getfixturevalue("signed_in")
    if user is None:
        yield
        return
    bearer = f"Bearer {user.token}"
    send = requests.Session.request

    def with_token(self: requests.Session, method: str, url: str, **kwargs: Any) -> Any:
        headers = kwargs.get("headers") or {}
        if str(url).startswith(server_url) and not any(
            str(name).lower() == "authorization" for name in headers
        ):
            kwargs["headers"] = {**headers, "Authorization": bearer}
        return send(self, method, url, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.Session, "request", with_token)
        yield


def open_page(browser: Any, server_url: str, storage_state: dict[str, Any] | None) -> Any:
    """A 1280x800 page in a new context (``storage_state``: signed in) whose relative URLs go
    to the platform; ``page.errors`` collects what it throws."""
    context = browser.new_context(
        viewport=VIEWPORT, base_url=server_url, accept_downloads=True, storage_state=storage_state
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.errors = errors
    return opened


@pytest.fixture
def page(browser: Any, server_url: str, signed_in: SignedIn | None) -> Iterator[Any]:
    """A fresh 1280x800 page whose relative URLs go to the platform, signed in as admin when
    auth is on; fails on page errors."""
    opened = open_page(browser, server_url, signed_in.storage_state if signed_in else None)
    yield opened
    opened.context.close()
    assert not opened.errors, f"the page threw: {opened.errors}"


@pytest.fixture(scope="session")
def screenshot() -> Callable[[Any, str], None]:
    """Save what a page shows to tests/e2e/screenshots/NAME.png (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(page: Any, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return save


@pytest.fixture(scope="module")
def shared() -> dict[str, Any]:
    """What one test of the module leaves for the next (run ids, model name)."""
    return {}
