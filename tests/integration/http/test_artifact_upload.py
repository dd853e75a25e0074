"""PUT /api/artifacts/SHA256: how swarm steps push outputs; the checksum is the gate."""

from __future__ import annotations

import hashlib
import io
import socket
import time
from typing import Any

import pytest
import requests

from server.errors import NotFoundError


def test_upload_stores_a_matching_body_and_serves_it_back(live_server: Any) -> None:
    body = b'{"accuracy": 0.98}'
    sha = hashlib.sha256(body).hexdigest()
    put = requests.put(
        live_server(f"/api/artifacts/{sha}"),
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert put.status_code == 201, put.text
    assert put.json() == {"sha256": sha, "size": len(body), "media_type": "application/json"}
    assert live_server.platform.artifacts.path(sha).read_bytes() == body
    assert requests.get(live_server(f"/api/artifacts/{sha}"), timeout=30).content == body


def test_upload_refuses_a_body_whose_checksum_differs(live_server: Any) -> None:
    sha = hashlib.sha256(b"expected").hexdigest()
    put = requests.put(live_server(f"/api/artifacts/{sha}"), data=b"other", timeout=30)
    assert put.status_code == 400
    assert put.headers["Content-Type"].startswith("application/problem+json")
    assert "send the whole file" in put.json()["detail"]
    bad = requests.put(live_server("/api/artifacts/nothex"), data=b"x", timeout=30)
    assert bad.status_code == 400
    left = [p for p in live_server.platform.artifacts.root.rglob("*") if p.is_file()]
    assert left == []


def put_artifact(server: Any, body: bytes) -> str:
    sha = hashlib.sha256(body).hexdigest()
    reply = requests.put(server(f"/api/artifacts/{sha}"), data=body, timeout=30)
    assert reply.status_code == 201, reply.text
    return sha


def test_a_tampered_artifact_is_never_served_and_a_put_repairs_it(live_server: Any) -> None:
    body = b'{"accuracy": 0.98}'
    sha = put_artifact(live_server, body)
    assert requests.get(live_server(f"/api/artifacts/{sha}"), timeout=30).content == body
    path = live_server.platform.artifacts.path(sha)
    time.sleep(0.01)  # the later write gets a new mtime, as any edit on disk does
    path.write_bytes(b'{"accuracy": 1.00}')  # same size, other bytes
    for _ in range(2):  # the first answer quarantines it; the next still says why
        reply = requests.get(live_server(f"/api/artifacts/{sha}"), timeout=30)
        assert reply.status_code == 410, reply.text
        assert reply.headers["Content-Type"].startswith("application/problem+json")
        assert reply.headers["Cache-Control"] == "no-store"
        assert "ETag" not in reply.headers
        assert reply.json()["title"] == "Corrupt artifact"
        assert f"PUT /api/artifacts/{sha}" in reply.json()["detail"]
    assert live_server.platform.artifacts.quarantined(sha).read_bytes() == b'{"accuracy": 1.00}'
    put_artifact(live_server, body)
    repaired = requests.get(live_server(f"/api/artifacts/{sha}"), timeout=30)
    assert repaired.status_code == 200 and repaired.content == body
    assert repaired.headers["ETag"] == f'"{sha}"'


def test_a_client_that_sends_half_its_body_leaves_no_temp_file(live_server: Any) -> None:
    sha = hashlib.sha256(b"x" * 100_000).hexdigest()
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = f"PUT /api/artifacts/{sha} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100000\r\n"
        sock.sendall(head.encode() + b"Content-Type: application/json\r\n\r\n" + b"x" * 50_000)
    assert requests.get(live_server("/api/health"), timeout=30).status_code == 200
    root = live_server.platform.artifacts.root
    assert [p for p in root.rglob("*") if p.is_file()] == []
    with pytest.raises(NotFoundError):
        live_server.platform.artifacts.path(sha)


def test_an_upload_cut_short_in_the_app_removes_its_temp_file(platform: Any) -> None:
    """The in-process case: the body ends before its Content-Length (werkzeug raises)."""
    from server.app import create_app

    client = create_app(platform=platform).test_client()
    sha = hashlib.sha256(b"x" * 1000).hexdigest()
    reply = client.put(
        f"/api/artifacts/{sha}",
        input_stream=io.BytesIO(b"x" * 500),
        headers={"Content-Length": "1000", "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert [p for p in platform.artifacts.root.rglob("*") if p.is_file()] == []
