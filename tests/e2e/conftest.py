"""Browser tests: the built UI served by the platform (waitress, loopback), driven by Chromium.

One platform and one browser serve the whole module, so the tests may build on each other
(the pipeline saved by the first is run, compared, promoted and deployed by the next).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="module")
def server_url(
    tmp_path_factory: pytest.TempPathFactory, ui_dist: Path, serve_app: Any
) -> Iterator[str]:
    """The platform with the UI, on a free loopback port, with its own data dir."""
    from server.app import create_app

    data = tmp_path_factory.mktemp("e2e") / "data"
    platform = open_platform(Settings.load({"data": data}, environ={}))
    app = create_app(platform=platform)
    app.config["ONTOLAB_UI_DIST"] = ui_dist
    with serve_app(app) as url:
        yield url
        for deployment in platform.deployments.list_all():
            if deployment.get("status") == "running":
                platform.deployments.stop(deployment["id"])
    platform.close()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=LAUNCH_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server_url: str) -> Iterator[Any]:
    """A fresh 1280x800 page whose relative URLs go to the platform; fails on page errors."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, base_url=server_url, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page threw: {errors}"


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
