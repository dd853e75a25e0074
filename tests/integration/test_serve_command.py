"""`ontolab serve`: a real waitress process that answers and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.processes import free_port


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_answers_health_and_stops_cleanly(tmp_path: Path, stop_signal: int) -> None:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "--data",
            str(tmp_path / "data"),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ONTOLAB_HOST": "127.0.0.1"},
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert health is not None and health.status_code == 200, server.stderr
        body = health.json()
        assert body["status"] == "ok"
        assert body["store"]["backend"] == f"oxigraph:{tmp_path / 'data' / 'store'}"
        assert health.headers["Server"] == "ontolab"
        server.send_signal(stop_signal)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, err
    assert "Traceback" not in err
    assert "WARNING" not in err  # loopback: nothing to warn about
    assert f"http://127.0.0.1:{port}/" in out and "Ontolab stopped" in out


class NotServing:
    """Stands in for waitress: ``run`` returns at once, as after Ctrl-C."""

    def run(self) -> None:
        return None


@pytest.fixture
def not_serving(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``serve`` up to waitress's loop, which returns at once; the hosts it bound."""
    import server.cli
    import server.http_server

    bound: list[str] = []
    monkeypatch.setattr(
        server.http_server,
        "make_server",
        lambda app, h, port, threads: bound.append(h) or NotServing(),
    )
    monkeypatch.setattr(server.cli, "_stop_on_signals", lambda before=None: None)
    return bound


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_serve_on_a_non_loopback_address_without_auth_is_refused(
    tmp_path: Path, host: str, not_serving: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    import server.cli

    argv = ["--data", str(tmp_path / "data"), "serve", "--host", host, "--port", "0"]
    assert server.cli.main(argv) == 1
    err = capsys.readouterr().err
    assert not_serving == []
    assert f"refusing to serve {host} without authentication" in err
    assert "--auth" in err and "--no-auth" in err


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_serve_on_a_non_loopback_address_with_no_auth_warns_on_stderr(
    tmp_path: Path, host: str, not_serving: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    import server.cli

    argv = ["--data", str(tmp_path / "data"), "serve", "--host", host, "--port", "0", "--no-auth"]
    assert server.cli.main(argv) == 0
    out, err = capsys.readouterr()
    assert not_serving == [host]
    assert f"WARNING: serving on {host}" in err
    assert "authentication off" in err and "ONTOLAB_ALLOWED_HOSTS" in err
    assert "Authentication off" in out


def test_serve_with_auth_creates_the_first_admin_once(
    tmp_path: Path, not_serving: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    import server.cli

    argv = ["--data", str(tmp_path / "data"), "serve", "--host", "0.0.0.0", "--port", "0"]
    assert server.cli.main([*argv, "--auth"]) == 0
    out, err = capsys.readouterr()
    assert "WARNING" not in err and "Authentication on" in out
    assert "created user 'admin' with password" in err
    assert server.cli.main([*argv, "--auth"]) == 0
    assert "created user" not in capsys.readouterr().err  # once only


def test_serve_stops_cleanly_with_event_streams_open(tmp_path: Path) -> None:
    """Before, each open stream held its thread past waitress's 5 s shutdown wait."""
    port = free_port()
    command = [sys.executable, "-m", "server.cli", "--data", str(tmp_path / "data"), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    streams: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        for _ in range(3):
            stream = socket.create_connection(("127.0.0.1", port), timeout=10)
            stream.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            assert stream.recv(100).startswith(b"HTTP/1.1 200")
            streams.append(stream)
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    finally:
        for stream in streams:
            stream.close()
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, err
    assert "still running" not in err and "Traceback" not in err
    assert "Ontolab stopped" in out
