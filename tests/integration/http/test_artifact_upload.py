"""PUT /api/artifacts/SHA256: how swarm steps push outputs; the checksum is the gate."""

from __future__ import annotations

import hashlib
from typing import Any

import requests


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
    assert list(live_server.platform.artifacts.root.glob(".upload-*")) == []
