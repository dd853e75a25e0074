"""Run-scoped artifact tokens: what the permission check lets them do, their end with the step
and the run, and the provisioner skeleton and the executor's HTTP client using them."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executor.contract import ARTIFACT_TOKEN_ENV, ArtifactRef, StepSpec
from executor.remote import TransferError, push
from server.auth import task_tokens
from server.auth.accounts import ACCOUNT_FILE
from server.auth.audit import AUDIT_GRAPH
from server.auth.task_tokens import TaskTokens
from server.graph.namespaces import PLATFORM_AGENT
from server.http_server import serving_in_thread
from server.provision.base import BaseProvisioner, Ending
from tests.unit.server.auth.conftest import AuthApp
from tests.unit.server.auth.test_auth_api import problem

INPUT = hashlib.sha256(b"the step's input").hexdigest()
OTHER = hashlib.sha256(b"another run's artifact").hexdigest()


def spec(run_id: str = "run-t", step_id: str = "build") -> StepSpec:
    return StepSpec(
        run_id=run_id,
        step_id=step_id,
        phase="build",
        parameters={},
        inputs={"dataset": ArtifactRef(INPUT, 16, "text/plain")},
        artifact_root="/nowhere",
    )


@pytest.fixture
def tokens(auth_app: AuthApp) -> Iterator[TaskTokens]:
    made = TaskTokens(auth_app.platform.settings.data / ACCOUNT_FILE)
    yield made
    made.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_task_token_pushes_and_reads_its_inputs_only(
    auth_app: AuthApp, tokens: TaskTokens
) -> None:
    client = auth_app.client()
    for body in (b"the step's input", b"another run's artifact"):
        sha = hashlib.sha256(body).hexdigest()
        stored = client.put(f"/api/artifacts/{sha}", data=body, headers=auth_app.headers("runner"))
        assert stored.status_code == 201
    token = tokens.issue(spec(), 60)
    assert token.startswith("olr_")
    output = b"what the step made"
    sha = hashlib.sha256(output).hexdigest()
    pushed = client.put(f"/api/artifacts/{sha}", data=output, headers=bearer(token))
    assert pushed.status_code == 201, pushed.data
    own_input = client.get(f"/api/artifacts/{INPUT}", headers=bearer(token))
    own_input.close()
    assert own_input.status_code == 200
    problem(client.get(f"/api/artifacts/{OTHER}", headers=bearer(token)), 403, "own inputs")
    for method, path in (
        ("GET", "/api/experiments"),
        ("GET", "/api/runs"),
        ("POST", "/api/runs"),
        ("GET", "/api/auth/tokens"),
        ("GET", "/api/users"),
        ("POST", "/sparql"),
    ):
        answer = client.open(path, method=method, json={}, headers=bearer(token))
        problem(answer, 403, "beyond a step's artifact token")
    tokens.revoke(token)
    refused = client.put(f"/api/artifacts/{sha}", data=output, headers=bearer(token))
    problem(refused, 401, "expired or revoked")
    auth_app.gate.audit.flush()  # the push is audited as the platform's, with the token's id
    rows = auth_app.platform.store.select(
        f"""PREFIX ol: <https://w3id.org/ontolab/ns#> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?agent ?status WHERE {{ GRAPH <{AUDIT_GRAPH}> {{
          ?a ol:requestPath "/api/artifacts/{sha}" ; ol:viaToken ?id ;
             prov:wasAssociatedWith ?agent ; ol:responseStatus ?status }} }}"""
    )
    assert {(str(r["agent"]), int(r["status"])) for r in rows} == {(str(PLATFORM_AGENT), 201)}


def test_a_task_token_ends_with_its_run_expires_and_must_match(tokens: TaskTokens) -> None:
    first, second = tokens.issue(spec(step_id="a"), 60), tokens.issue(spec(step_id="b"), 60)
    other_run = tokens.issue(spec(run_id="run-u"), 60)
    checked = tokens.check(first)
    assert checked is not None and checked.run_id == "run-t" and checked.inputs == {INPUT}
    tokens.revoke_run("run-t")
    assert tokens.check(first) is None and tokens.check(second) is None
    assert tokens.check(other_run) is not None
    prefix, _, secret = other_run.rpartition("_")
    assert tokens.check(f"{prefix}_{'A' * len(secret)}") is None  # a guessed secret
    assert tokens.check(other_run.replace("olr_", "olt_")) is None  # not a user token
    short = tokens.issue(spec(run_id="run-v"), -task_tokens.MARGIN_SECONDS - 1)
    assert tokens.check(short) is None  # expired


class Recording(BaseProvisioner[str]):
    """A backend that only records the environment a swarm task would get."""

    name = "recording"

    def __init__(self, tokens: TaskTokens) -> None:
        super().__init__(artifact_url="http://127.0.0.1:1/api/artifacts")
        self.credentials = self.tokens = tokens
        self.seen: list[tuple[dict[str, str], Any]] = []

    def _launch(self, spec: StepSpec, workdir: Path) -> str:
        env = self._task_env(spec)
        self.seen.append((env, self.tokens.check(env[ARTIFACT_TOKEN_ENV])))
        return env[ARTIFACT_TOKEN_ENV]

    def _await(self, handle: Any, spec: StepSpec, workdir: Path, timeout: float) -> Ending:
        return Ending("recorded", failure="nothing ran: this backend only records")

    def _kill(self, handle: Any) -> None:
        pass


def test_the_provisioner_gives_each_step_a_token_revoked_when_it_ends(
    tokens: TaskTokens, tmp_path: Path
) -> None:
    backend = Recording(tokens)
    backend.run_step(spec(), tmp_path / "a", timeout=30)
    backend.run_step(spec(step_id="other"), tmp_path / "b", timeout=30)
    (env_a, live_a), (env_b, _) = backend.seen
    assert live_a is not None and live_a.step_id == "build"  # valid while the step ran
    assert env_a[ARTIFACT_TOKEN_ENV] != env_b[ARTIFACT_TOKEN_ENV]
    assert tokens.check(env_a[ARTIFACT_TOKEN_ENV]) is None  # revoked as the step ended
    assert backend._task_env(spec()) == {}
    no_auth = Recording(tokens)
    no_auth.credentials = None
    with pytest.raises(KeyError):  # auth off: no token at all
        no_auth.run_step(spec(), tmp_path / "c", timeout=30)


def test_the_executor_pushes_with_the_token_from_its_environment(
    auth_app: AuthApp, tokens: TaskTokens, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = f"pushed at {time.time()}".encode()
    path = tmp_path / "out.txt"
    path.write_bytes(data)
    ref = ArtifactRef(hashlib.sha256(data).hexdigest(), len(data), "text/plain")
    with serving_in_thread(auth_app.app) as url:
        monkeypatch.delenv(ARTIFACT_TOKEN_ENV, raising=False)
        with pytest.raises(TransferError, match="401"):
            push(f"{url}/api/artifacts", path, ref)
        monkeypatch.setenv(ARTIFACT_TOKEN_ENV, tokens.issue(spec(), 60))
        push(f"{url}/api/artifacts", path, ref)
    assert auth_app.platform.artifacts.path(ref.sha256).read_bytes() == data
