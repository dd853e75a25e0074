"""The SDK's session retries what is safe to retry, and only that (a local stub server)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ontolab import Client
from ontolab.errors import RequestTimeout, ServiceUnavailable


class Flaky(BaseHTTPRequestHandler):
    """Answers 503 (problem JSON, Retry-After: 0) to the first ``failures`` requests, then 200."""

    failures = 2
    seen: list[str] = []

    def _answer(self) -> None:
        self.seen.append(self.command)
        if self.path.endswith("/slow"):
            time.sleep(1.5)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        failing = len(self.seen) <= self.failures
        body = (
            {"title": "Triplestore error", "status": 503, "detail": "store busy; retry"}
            if failing
            else {"status": "ok"}
        )
        data = json.dumps(body).encode()
        self.send_response(503 if failing else 200)
        self.send_header(
            "Content-Type", "application/problem+json" if failing else "application/json"
        )
        self.send_header("Content-Length", str(len(data)))
        if failing:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(data)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    Flaky.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_get_is_retried_through_503s(stub: str) -> None:
    with Client(stub, timeout=5, retries=3, backoff=0.01) as client:
        assert client.health() == {"status": "ok"}
    assert Flaky.seen == ["GET", "GET", "GET"]


def test_a_post_is_not_resent_after_an_answer(stub: str) -> None:
    with Client(stub, timeout=5, retries=3, backoff=0.01) as client:
        with pytest.raises(ServiceUnavailable, match="503 Triplestore error: store busy; retry"):
            client.runs.start("iris")
    assert Flaky.seen == ["POST"]


def test_after_the_last_retry_the_servers_problem_is_raised(stub: str) -> None:
    with Client(stub, timeout=5, retries=1, backoff=0.01) as client:
        with pytest.raises(ServiceUnavailable, match="store busy"):
            client.health()
    assert Flaky.seen == ["GET", "GET"]


def test_a_slow_answer_is_a_timeout_naming_the_fix(stub: str) -> None:
    Flaky.failures = 0
    try:
        with Client(stub, timeout=0.3, retries=1, backoff=0.01) as client:
            with pytest.raises(RequestTimeout, match=r"did not answer within 0.3 s; pass a longer"):
                client.runs.get("slow")  # the stub answers /api/runs/slow after 1.5 s
    finally:
        Flaky.failures = 2
