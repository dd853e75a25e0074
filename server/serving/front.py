"""The stable port of a deployment that follows an alias, forwarding to its current model server.

A deployment made from an alias (``champion``) must keep its URL while the version behind it
changes. Its port is held by a ``Front`` in the platform process, which forwards every request
(``/predict``, ``/health``, ``/metrics``, ``/schema``) to the model server it currently points
at, over one kept-alive connection per client connection. ``point`` swaps that upstream
atomically: a request reads the upstream and counts itself in flight on it under one lock, so
after the swap no new request reaches the old server and ``drain`` can wait for the ones still
on it before the old process is stopped. No request is dropped by a switch.

Every answer names the version that produced it in ``X-Ontolab-Model-Version`` (``/predict``
bodies also carry ``model.version``). A connection to the upstream that went stale (the
server closed a kept-alive connection) is retried once on a fresh one.

Thread-safety: ``point``, ``drain`` and ``close`` may be called from any thread; requests are
served on one thread per client connection (``ThreadingHTTPServer``).
"""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from server.serving.model_process import bind

log = logging.getLogger(__name__)

VERSION_HEADER = "X-Ontolab-Model-Version"
UPSTREAM_TIMEOUT = 30.0
IDLE_TIMEOUT = 60.0
PORT_RANGE = 1000
_FORWARDED = ("Content-Type", "X-Request-ID", "Origin", "Accept")
_RETURNED = ("Content-Type", "X-Request-ID", "Allow")


@dataclass
class Upstream:
    """One model server behind a front, and how many requests are on it now."""

    host: str
    port: int
    version: int
    in_flight: int = 0


class Front:
    """A listening port forwarding to the current upstream; see the module docstring."""

    def __init__(self, sock: socket.socket) -> None:
        self._lock = threading.Condition()
        self._upstream: Upstream | None = None
        self._server = _Server(sock, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.name = f"front-{self.port}"
        self._thread.start()

    @classmethod
    def open(cls, host: str, preferred: int | None, port_start: int, exclude: list[int]) -> Front:
        """A front on ``preferred`` when it is free, else the first free port from
        ``port_start`` up that is not in ``exclude``; OSError when there is none."""
        candidates = [preferred] if preferred else []
        candidates += [p for p in range(port_start, port_start + PORT_RANGE) if p not in exclude]
        for port in candidates:
            try:
                return cls(bind(host, port))
            except OSError:
                continue
        raise OSError(f"no free port on {host} in {port_start}-{port_start + PORT_RANGE - 1}")

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def upstream(self) -> Upstream | None:
        return self._upstream

    def point(self, host: str, port: int, version: int) -> Upstream | None:
        """Send every request from now on to ``host:port``; returns the upstream it replaced."""
        with self._lock:
            previous, self._upstream = self._upstream, Upstream(host, port, version)
        return previous

    def drain(self, upstream: Upstream, timeout: float) -> bool:
        """Wait until no request is on ``upstream`` (a replaced one); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while upstream.in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def close(self) -> None:
        """Stop listening; connections being served end with their current request."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _enter(self) -> Upstream | None:
        with self._lock:
            upstream = self._upstream
            if upstream is not None:
                upstream.in_flight += 1
            return upstream

    def _leave(self, upstream: Upstream) -> None:
        with self._lock:
            upstream.in_flight -= 1
            if not upstream.in_flight:
                self._lock.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is its own business: no traceback on stderr."""
        log.debug("front on %s: a client connection failed", self.server_address, exc_info=True)

    def __init__(self, sock: socket.socket, front: Front) -> None:
        super().__init__(sock.getsockname()[:2], _Forward, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_address = sock.getsockname()[:2]
        self.front = front


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    # Headers and body leave in two writes; with Nagle's algorithm on, the second waits for
    # the client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self._connections: dict[tuple[str, int], http.client.HTTPConnection] = {}

    def finish(self) -> None:
        for connection in self._connections.values():
            connection.close()
        super().finish()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._forward()

    def do_POST(self) -> None:  # noqa: N802
        self._forward()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the model servers log and count requests themselves."""

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else None
        front = self.server.front
        upstream = front._enter()
        if upstream is None:
            self._answer(503, {"Content-Type": "text/plain"}, b"no model server yet", None)
            return
        try:
            status, headers, data = self._exchange(upstream, body)
        except (OSError, http.client.HTTPException) as exc:
            detail = f"the model server on port {upstream.port} did not answer: {exc}"
            self._answer(502, {"Content-Type": "text/plain"}, detail.encode(), upstream)
            return
        finally:
            front._leave(upstream)
        self._answer(status, headers, data, upstream)

    def _exchange(self, upstream: Upstream, body: bytes | None) -> tuple[int, dict, bytes]:
        headers = {k: v for k in _FORWARDED if (v := self.headers.get(k)) is not None}
        for attempt in (0, 1):
            key = (upstream.host, upstream.port)
            for stale in [k for k in self._connections if k != key]:  # a replaced upstream
                self._connections.pop(stale).close()
            connection = self._connections.get(key)
            fresh = connection is None
            if connection is None:
                connection = http.client.HTTPConnection(*key, timeout=UPSTREAM_TIMEOUT)
                connection.connect()
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._connections[key] = connection
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                connection.close()
                del self._connections[key]
                if fresh or attempt:
                    raise
                continue
            kept = {k: v for k in _RETURNED if (v := answer.getheader(k)) is not None}
            return answer.status, kept, data
        raise ConnectionError("unreachable")  # the loop returns or raises before this

    def _answer(self, status: int, headers: dict, data: bytes, upstream: Upstream | None) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if upstream is not None:
            self.send_header(VERSION_HEADER, str(upstream.version))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
