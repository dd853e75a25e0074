"""Swarm steps with auth on: each pushes its artifacts with a token of its own, which ends
with the step; without one, the platform refuses the push and the step fails saying so."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from server.auth.accounts import ACCOUNT_FILE
from tests.integration.docker.conftest import docker_settings, opened, run_text, served
from tests.integration.docker.engine import Engine
from tests.processes import free_port

pytestmark = pytest.mark.docker
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "iris.ttl"


def test_swarm_steps_push_with_their_own_token_under_auth(
    engine: Engine, swarm: None, tmp_path: Path
) -> None:
    port = free_port()
    settings = replace(
        docker_settings(tmp_path / "data", engine, "swarm", port),
        auth=True,
        admin_password="admin-pass-1",
    )
    with opened(settings) as platform, served(platform, port):
        assert platform.provisioner.credentials is not None
        record = run_text(platform, EXAMPLE.read_text())
        assert record.status == "succeeded", record.error
        # without a token the push is refused, and the step says why
        platform.provisioner.credentials = None
        refused = run_text(platform, EXAMPLE.read_text())
    assert refused.status == "failed"
    errors = " ".join(
        f"{s.result.error} {s.result.log_tail}" for s in refused.steps.values() if s.result
    )
    assert "401" in errors, errors
    with sqlite3.connect(tmp_path / "data" / ACCOUNT_FILE) as db:
        rows = db.execute(
            "SELECT step_id, revoked FROM task_tokens WHERE run_id = ?", (record.run_id,)
        ).fetchall()
    assert sorted(step for step, _ in rows) == sorted(record.steps)  # one token per step
    assert all(revoked for _, revoked in rows)  # every one revoked once its step ended
