"""Live event streams over real HTTP: many open streams never hold up other requests.

Before, each open ``GET /api/events`` held one of waitress's 8 threads: 8 idle streams blocked
every other request, and a closed stream held its thread until a heartbeat failed (~40 s).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests

from server.app import create_app
from server.platform import open_platform
from server.settings import Settings

TIMEOUT = 10
STREAMS = 100


def open_stream(url: str, path: str = "/api/events") -> socket.socket:
    """A raw stream connection, read until its first bytes arrived (the stream is serving)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    return sock


def read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def eventually(condition: Callable[[], bool], seconds: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def waitress_threads() -> int:
    return sum(t.name.startswith("waitress-") for t in threading.enumerate())


@pytest.fixture
def streams() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


def test_a_hundred_open_streams_do_not_delay_other_requests(
    live_server: Any, streams: list[socket.socket]
) -> None:
    runs = live_server.platform.runs  # each live stream is one listener of the runs
    before = waitress_threads()  # this server's, and any an earlier test's server left behind
    streams.extend(open_stream(live_server.url) for _ in range(STREAMS))
    heads = [read_head(sock) for sock in streams]
    assert all(head.startswith(b"HTTP/1.1 200") for head in heads)
    assert eventually(lambda: len(runs._listeners) == STREAMS)
    assert waitress_threads() >= before + STREAMS  # each stream borrowed a thread of its own

    health = requests.get(live_server("/api/health"), timeout=TIMEOUT)
    assert health.status_code == 200
    listed = requests.get(live_server("/api/runs"), timeout=TIMEOUT)
    assert listed.status_code == 200 and listed.json()["total"] == 0

    for sock in streams:
        sock.close()
    assert eventually(lambda: len(runs._listeners) == 0), "streams outlived their clients"
    assert eventually(lambda: waitress_threads() <= before), (waitress_threads(), before)
    assert requests.get(live_server("/api/health"), timeout=TIMEOUT).status_code == 200


def test_a_stream_ends_soon_after_its_client_leaves(live_server: Any) -> None:
    sock = open_stream(live_server.url, "/api/events?run=some-run")
    assert read_head(sock).startswith(b"HTTP/1.1 200")
    runs = live_server.platform.runs
    assert eventually(lambda: len(runs._listeners) == 1)
    sock.close()
    assert eventually(lambda: len(runs._listeners) == 0, seconds=5)  # was ~40 s


def test_past_the_stream_limit_a_503_names_the_setting(
    tmp_path: Any, serve_app: Any, streams: list[socket.socket]
) -> None:
    settings = Settings.load({"data": tmp_path / "data", "max_event_streams": 3}, environ={})
    with ExitStack() as stack:
        platform = open_platform(settings)
        stack.callback(platform.close)
        app = create_app(platform=platform)
        url = stack.enter_context(serve_app(app))
        streams.extend(open_stream(url) for _ in range(3))
        assert all(read_head(sock).startswith(b"HTTP/1.1 200") for sock in streams)
        refused = requests.get(f"{url}/api/events", timeout=TIMEOUT)
        assert refused.status_code == 503
        assert "ONTOLAB_MAX_EVENT_STREAMS" in refused.json()["detail"]
        assert requests.get(f"{url}/api/health", timeout=TIMEOUT).status_code == 200
        streams.pop().close()
        assert eventually(lambda: app.extensions["ontolab.streams"].open_count == 2)
        with requests.get(f"{url}/api/events", stream=True, timeout=TIMEOUT) as again:
            assert again.status_code == 200
