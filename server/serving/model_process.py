"""Starting one model server process: the warm parent that forks them, and waiting until a new
one answers ``/health`` (``server.serving.deployments`` starts them, for a deploy, a restore
or a switch)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import requests

from server.errors import DeploymentError
from server.provision.warm import WarmChild, WarmParent

READY_TIMEOUT = 30.0
PROBE_TIMEOUT = 0.5


def wait_ready(url: str, process: WarmChild, log: Path) -> None:
    """Poll ``/health`` until it answers; a DeploymentError with the log tail if it never does."""
    deadline = time.monotonic() + READY_TIMEOUT
    session = requests.Session()
    try:
        while time.monotonic() < deadline:
            if process.exited.is_set():
                raise DeploymentError(
                    f"the model server exited with code {process.exit_code} before it answered; "
                    f"its log ({log}) ends with:\n{tail(log)}"
                )
            try:
                if session.get(f"{url}/health", timeout=PROBE_TIMEOUT).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.005)
    finally:
        session.close()
    raise DeploymentError(
        f"the model server on {url} did not answer /health within {READY_TIMEOUT:g} s; "
        f"see its log {log}"
    )


def warm_parent() -> WarmParent:
    """The ``serving.model_warm`` parent; a child it cannot start is mostly a busy port."""
    hint = "free a port or stop another deployment"
    return WarmParent(
        "server.serving.model_warm", "model-server", DeploymentError, refused_hint=hint
    )


def tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, bound the way waitress binds its own (SO_REUSEADDR)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock
