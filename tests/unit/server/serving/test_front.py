"""The front of an alias-following deployment with two real loopback upstreams: it forwards,
names the version, swaps atomically, and drain waits for a request still on the old upstream."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from server.serving.front import VERSION_HEADER, Front

HOST = "127.0.0.1"


class Upstream(ThreadingHTTPServer):
    """Answers ``{"name": NAME, "path", "body"}``; ``/slow`` waits until ``release`` is set."""

    daemon_threads = True

    def __init__(self, name: str) -> None:
        super().__init__((HOST, 0), _Echo)
        self.name = name
        self.release = threading.Event()
        self.entered = threading.Event()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Upstream

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        if self.path == "/slow":
            self.server.entered.set()
            self.server.release.wait(10)
        data = json.dumps({"name": self.server.name, "path": self.path, "body": body}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Request-ID", "r1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def upstreams() -> Iterator[tuple[Upstream, Upstream]]:
    pair = (Upstream("old"), Upstream("new"))
    yield pair
    for server in pair:
        server.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def front() -> Iterator[Front]:
    opened = Front.open(HOST, None, 20000, [])
    yield opened
    opened.close()


def test_without_an_upstream_it_answers_503(front: Front) -> None:
    answer = requests.post(f"http://{HOST}:{front.port}/predict", data=b"{}", timeout=5)
    assert answer.status_code == 503


def test_it_forwards_and_names_the_version(front: Front, upstreams: Any) -> None:
    old, _ = upstreams
    front.point(HOST, old.port, 1)
    with requests.Session() as session:
        for _ in range(3):  # one kept-alive connection, reused
            answer = session.post(f"http://{HOST}:{front.port}/predict", data=b'{"x": 1}')
            assert answer.status_code == 200
            assert answer.json() == {"name": "old", "path": "/predict", "body": '{"x": 1}'}
            assert answer.headers[VERSION_HEADER] == "1"
            assert answer.headers["X-Request-ID"] == "r1"


def test_swap_moves_new_requests_and_drain_waits_for_the_old_one(
    front: Front, upstreams: Any
) -> None:
    old, new = upstreams
    front.point(HOST, old.port, 1)
    url = f"http://{HOST}:{front.port}"
    slow: dict[str, Any] = {}

    def on_old() -> None:
        slow["answer"] = requests.post(f"{url}/slow", data=b"{}", timeout=10)

    thread = threading.Thread(target=on_old)
    thread.start()
    assert old.entered.wait(5)
    previous = front.point(HOST, new.port, 2)
    assert previous is not None and previous.port == old.port and previous.in_flight == 1
    answer = requests.post(f"{url}/predict", data=b"{}", timeout=5)
    assert (answer.json()["name"], answer.headers[VERSION_HEADER]) == ("new", "2")
    assert front.drain(previous, 0.2) is False  # still one request on the old upstream
    started = time.monotonic()
    threading.Timer(0.3, old.release.set).start()
    assert front.drain(previous, 5) is True
    assert time.monotonic() - started >= 0.25
    thread.join(5)
    assert slow["answer"].status_code == 200 and slow["answer"].json()["name"] == "old"
    assert slow["answer"].headers[VERSION_HEADER] == "1"


def test_a_dead_upstream_is_a_502_naming_its_port(front: Front, upstreams: Any) -> None:
    old, _ = upstreams
    port = old.port
    old.shutdown()
    old.server_close()
    front.point(HOST, port, 1)
    answer = requests.post(f"http://{HOST}:{front.port}/predict", data=b"{}", timeout=5)
    assert answer.status_code == 502 and str(port) in answer.text
