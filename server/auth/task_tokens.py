"""Run-scoped tokens for steps that reach the platform over HTTP (swarm tasks), auth on.

A provisioner whose steps fetch and push artifacts over the artifact API issues one token per
step (:meth:`TaskTokens.issue`) and hands it to the task in ``ONTOLAB_ARTIFACT_TOKEN``. The
token (``olr_<id>_<secret>``, stored as the SHA-256 of its secret in the account file's
``task_tokens`` table) may do two things only: ``PUT /api/artifacts/SHA256`` (push an output
or the result) and ``GET /api/artifacts/SHA256`` of the step's own inputs; every other route
refuses it. It expires after the step's timeout plus a margin and is revoked as soon as the
step ends (and every token of a run when the run ends), so a token read out of a task's
environment is worth nothing after.

Thread-safe: one connection behind a lock; the server's permission check reads the same file
through its own instance, and sees a token as soon as it is committed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from executor.contract import StepSpec
from server.auth import secrets as sec

TASK_PREFIX = "olr_"
#: Seconds a token outlives its step's timeout (the task's start-up, its last push).
MARGIN_SECONDS = 300.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS task_tokens (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL,
  inputs TEXT NOT NULL, expires REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS task_tokens_run ON task_tokens (run_id);
"""


@dataclass(frozen=True)
class TaskToken:
    """What a usable task token allows: pushing artifacts for ``run_id``'s step ``step_id``
    and reading its ``inputs`` (checksums)."""

    token_id: str
    run_id: str
    step_id: str
    inputs: frozenset[str]

    def may(self, endpoint: str, sha256: str | None) -> bool:
        """Whether this token may call ``endpoint`` about the artifact ``sha256``."""
        if endpoint == "artifacts.upload":
            return True
        return endpoint == "artifacts.download" and sha256 in self.inputs


class TaskTokens:
    """The task tokens of one data dir (in its account file)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.executescript(_SCHEMA)
        path.chmod(0o600)

    def issue(self, spec: StepSpec, seconds: float) -> str:
        """A token for ``spec``'s step, valid ``seconds`` plus the margin (shown once)."""
        token_id, token, digest = sec.new_token(TASK_PREFIX)
        inputs = json.dumps(sorted(ref.sha256 for ref in spec.inputs.values()))
        expires = time.time() + seconds + MARGIN_SECONDS
        with self._lock:
            self._db.execute(
                "INSERT INTO task_tokens VALUES (?, ?, ?, ?, ?, ?, 0)",
                (token_id, digest, spec.run_id, spec.step_id, inputs, expires),
            )
        return token

    def check(self, token: str) -> TaskToken | None:
        """The scope of a usable (known, unexpired, unrevoked) token, else None."""
        parts = sec.split_token(token, TASK_PREFIX)
        if parts is None:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT hash, run_id, step_id, inputs, expires, revoked FROM task_tokens "
                "WHERE id = ?",
                (parts[0],),
            ).fetchone()
        if row is None or not sec.same_hash(parts[1], row[0]):
            return None
        digest, run_id, step_id, inputs, expires, revoked = row
        if revoked or time.time() >= expires:
            return None
        return TaskToken(parts[0], run_id, step_id, frozenset(json.loads(inputs)))

    def revoke(self, token: str) -> None:
        """Revoke ``token`` (its step ended); nothing for a token it does not know."""
        parts = sec.split_token(token, TASK_PREFIX)
        if parts is not None:
            self._update("UPDATE task_tokens SET revoked = 1 WHERE id = ?", parts[0])

    def revoke_run(self, run_id: str) -> None:
        """Revoke every token of ``run_id`` (the run ended) and forget the expired ones."""
        self._update("UPDATE task_tokens SET revoked = 1 WHERE run_id = ?", run_id)
        self._update("DELETE FROM task_tokens WHERE expires < ?", time.time())

    def _update(self, sql: str, value: object) -> None:
        with self._lock:
            self._db.execute(sql, (value,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
