"""Fixtures shared by the server and integration tests: real stores, real processes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from waitress import wasyncore
from waitress.server import create_server

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


@pytest.fixture
def live_server(platform: Platform) -> Iterator[LiveServer]:
    from server.app import create_app

    app = create_app(platform=platform)
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    port = server.effective_port  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{port}", platform)
    # Close every channel from inside waitress's own loop, so the loop ends by itself.
    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))  # type: ignore[union-attr]
    thread.join(10)
    server.task_dispatcher.shutdown()  # type: ignore[union-attr]
