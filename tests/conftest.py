"""Fixtures shared by the server and integration tests: real stores, real processes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from server.http_server import serving_in_thread
from server.platform import Platform, open_platform
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load({"data": tmp_path / "data"}, environ={})


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    opened = open_platform(settings)
    yield opened
    opened.close()


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@dataclass
class LiveServer:
    """The platform served by waitress on a free loopback port, over real HTTP."""

    url: str
    platform: Platform

    def __call__(self, path: str) -> str:
        return self.url + path


def serving(app: Flask) -> AbstractContextManager[str]:
    """Serve ``app`` as ``ontolab serve`` does, on a free loopback port; yields its base URL."""
    return serving_in_thread(app)


@pytest.fixture(scope="session")
def serve_app() -> Callable[[Flask], AbstractContextManager[str]]:
    """``with serve_app(app) as url:`` — for module-scoped servers."""
    return serving


@pytest.fixture
def live_server(platform: Platform) -> Iterator[LiveServer]:
    from server.app import create_app

    with serving(create_app(platform=platform)) as url:
        yield LiveServer(url, platform)


def assert_problem(answer: Any, status: int, *fragments: str) -> dict[str, Any]:
    """Assert ``answer`` (a ``requests.Response``) is RFC 7807 problem JSON of ``status`` whose
    ``detail`` holds every fragment; its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    return body


def wait_for_run(base_url: str, run_id: str, timeout: float = 120) -> dict[str, Any]:
    """Poll ``GET /api/runs/ID`` until the run has ended; its details, or an AssertionError."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = requests.get(f"{base_url}/api/runs/{run_id}", timeout=10).json()
        if run["status"] != "running":
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {timeout:g} s")


@pytest.fixture(scope="session")
def finished_run() -> Callable[..., dict[str, Any]]:
    """``finished_run(base_url, run_id)``: the run's details once it has ended."""
    return wait_for_run
