"""Deployments over real HTTP: a model server process per deployment, its lifecycle, restart.

One breast_cancer run per module (through ``server.definitions`` and ``platform.runs.run``);
each test deploys its own model server, so the tests do not depend on each other's order
except the restart test, which replaces the module's platform and so runs last.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import requests
from sklearn.datasets import load_breast_cancer

from server import definitions
from server.app import create_app
from server.platform import Platform, open_platform
from server.serving.loaded_model import LoadedModel
from server.settings import Settings
from tests.deployments import deploy, records

ROOT = Path(__file__).resolve().parents[3]
MODEL = "breast-cancer-classifier"
TIMEOUT = 30


@dataclass
class Served:
    """The module's platform, its API over waitress, and what the run built."""

    platform: Platform
    api: str
    sha256: str
    pipeline: Any
    rows: list[dict[str, float]]
    stop_server: Any

    def deploy(self, **body: Any) -> dict[str, Any]:
        return deploy(self.api, **body)


def serve(platform: Platform, serve_app: Any) -> tuple[str, Any]:
    """Serve the platform; returns its URL and the function that stops the server."""
    stack = ExitStack()
    url = stack.enter_context(serve_app(create_app(platform=platform)))
    return url, stack.close


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[Served]:
    settings = Settings.load({"data": tmp_path_factory.mktemp("deploy") / "data"}, environ={})
    platform = open_platform(settings)
    api, stop_server = serve(platform, serve_app)  # the app warms the model-server parent meanwhile
    text = (ROOT / "examples" / "breast_cancer.ttl").read_text()
    record = platform.runs.run(definitions.submit(platform.store, definitions.parse(text)).version)
    assert record.status == "succeeded", record.error
    build = record.steps["build"].result
    assert build is not None
    sha256 = next(iter(build.outputs.values())).sha256
    pipeline = joblib.load(platform.artifacts.path(sha256))["pipeline"]
    rows = records(load_breast_cancer(as_frame=True).data, 25)
    state = Served(platform, api, sha256, pipeline, rows, stop_server)
    yield state
    state.stop_server()
    state.platform.close()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def answers(url: str) -> bool:
    try:
        requests.get(f"{url}/health", timeout=2)
    except requests.ConnectionError:
        return False
    return True


def test_deploy_answers_healthy_and_predicts_like_sklearn(served: Served) -> None:
    deployment = served.deploy(model=MODEL, version=1)
    health = requests.get(f"{deployment['url']}/health", timeout=TIMEOUT)
    assert health.status_code == 200
    assert deployment["status"] == "running"
    assert deployment["port"] >= served.platform.settings.deploy_port_start
    assert deployment["url"] == f"http://127.0.0.1:{deployment['port']}"
    assert pid_alive(deployment["pid"]) and deployment["pid"] != os.getpid()
    body = health.json()
    assert body["ready"] is True
    assert (body["model"], body["version"], body["sha256"]) == (MODEL, "1", served.sha256)

    answer = requests.post(
        f"{deployment['url']}/predict", json={"dataframe_records": served.rows}, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    import pandas as pd

    expected = served.pipeline.predict(pd.DataFrame(served.rows)).tolist()
    assert answer.json()["predictions"] == expected
    # The server's compiled preprocessing answers exactly what LoadedModel.predict answers.
    artifact = served.platform.artifacts.path(served.sha256)
    in_process = LoadedModel.load(artifact, version=1).predict({"dataframe_records": served.rows})
    served_proba = np.array(answer.json()["probabilities"])
    assert np.allclose(served_proba, in_process["probabilities"], rtol=0, atol=1e-12)
    # The answer adds its request id (issue 21: the prediction log names requests by it).
    assert answer.json()["request_id"] == answer.headers["X-Request-ID"]
    assert {k: v for k, v in answer.json().items() if k not in ("probabilities", "request_id")} == {
        k: v for k, v in in_process.items() if k != "probabilities"
    }
    one = requests.post(
        f"{deployment['url']}/predict", json={"inputs": served.rows[3]}, timeout=TIMEOUT
    )
    assert one.json()["predictions"] == expected[3:4]


def test_bad_payload_is_a_400_problem_naming_the_field(served: Served) -> None:
    deployment = served.deploy(model=MODEL, version=1)
    row = dict(served.rows[0], **{"mean radius": "abc"})
    answer = requests.post(
        f"{deployment['url']}/predict", json={"dataframe_records": [row]}, timeout=TIMEOUT
    )
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 400 and problem["field"] == "mean radius"
    assert "mean radius" in problem["detail"]
    not_json = requests.post(f"{deployment['url']}/predict", data=b"[1,", timeout=TIMEOUT)
    assert not_json.status_code == 400 and "JSON object" in not_json.json()["detail"]


def test_deploy_by_alias_and_unknown_model_or_bad_body(served: Served) -> None:
    served.platform.registry.set_alias(MODEL, "challenger", 1)
    deployment = served.deploy(model=MODEL, alias="challenger")
    assert (deployment["version"], deployment["alias"]) == (1, "challenger")
    unknown = requests.post(
        f"{served.api}/api/deployments", json={"model": "nope", "version": 1}, timeout=TIMEOUT
    )
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    both = requests.post(
        f"{served.api}/api/deployments",
        json={"model": MODEL, "version": 1, "alias": "champion"},
        timeout=TIMEOUT,
    )
    assert both.status_code == 400 and "exactly one" in both.json()["detail"]


def test_list_shows_it_running_and_stop_frees_port_and_pid(served: Served) -> None:
    deployment = served.deploy(model=MODEL, version=1)
    listed = requests.get(f"{served.api}/api/deployments", timeout=TIMEOUT).json()["deployments"]
    mine = next(d for d in listed if d["id"] == deployment["id"])
    assert (mine["status"], mine["desired_state"], mine["pid"]) == (
        "running",
        "running",
        deployment["pid"],
    )
    assert len({d["port"] for d in listed if d["status"] == "running"}) == len(
        [d for d in listed if d["status"] == "running"]
    ), "every running deployment has its own port"

    stopped = requests.delete(f"{served.api}/api/deployments/{deployment['id']}", timeout=TIMEOUT)
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    assert not answers(deployment["url"])
    assert not pid_alive(deployment["pid"])
    again = requests.get(f"{served.api}/api/deployments/{deployment['id']}", timeout=TIMEOUT)
    assert again.json()["status"] == "stopped"
    missing = requests.delete(f"{served.api}/api/deployments/0123456789ab", timeout=TIMEOUT)
    assert missing.status_code == 404


def test_a_running_deployment_is_not_removed_a_stopped_one_is(served: Served) -> None:
    deployment = served.deploy(model=MODEL, version=1)
    record = f"{served.api}/api/deployments/{deployment['id']}/record"
    folder = served.platform.settings.data / "deployments" / deployment["id"]
    assert folder.is_dir()

    refused = requests.delete(record, timeout=TIMEOUT)
    assert refused.status_code == 409
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "stop it first" in refused.json()["detail"]
    assert answers(deployment["url"]) and folder.is_dir(), "a refused removal changes nothing"
    one = requests.get(f"{served.api}/api/deployments/{deployment['id']}", timeout=TIMEOUT)
    assert one.json()["status"] == "running"

    requests.delete(f"{served.api}/api/deployments/{deployment['id']}", timeout=TIMEOUT)
    removed = requests.delete(record, timeout=TIMEOUT)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"id": deployment["id"], "removed": True}
    listed = requests.get(f"{served.api}/api/deployments", timeout=TIMEOUT).json()["deployments"]
    assert deployment["id"] not in {d["id"] for d in listed}
    gone = requests.get(f"{served.api}/api/deployments/{deployment['id']}", timeout=TIMEOUT)
    assert gone.status_code == 404
    assert not folder.exists()
    assert requests.delete(record, timeout=TIMEOUT).status_code == 404
    not_an_id = requests.delete(f"{served.api}/api/deployments/XYZ..%2F/record", timeout=TIMEOUT)
    assert not_an_id.status_code == 404


def test_the_model_server_refuses_hostile_requests(served: Served) -> None:
    """Before: deep JSON was a 500 and any body up to 64 MB was read; no Host or Origin check."""
    url = served.deploy(model=MODEL, version=1)["url"]
    deep = '{"dataframe_records": ' + "[" * 2000 + "]" * 2000 + "}"
    nested = requests.post(f"{url}/predict", data=deep, timeout=TIMEOUT)
    assert nested.status_code == 400 and "ONTOLAB_MAX_JSON_DEPTH" in nested.json()["detail"]
    body = {"dataframe_records": served.rows[:1]}
    rebound = requests.post(
        f"{url}/predict", json=body, headers={"Host": "evil.example"}, timeout=TIMEOUT
    )
    assert rebound.status_code == 400 and "ONTOLAB_ALLOWED_HOSTS" in rebound.json()["detail"]
    cross = requests.post(
        f"{url}/predict", json=body, headers={"Origin": "http://evil.example"}, timeout=TIMEOUT
    )
    assert cross.status_code == 403
    limit_mb = Settings.load().max_predict_mb  # the model server reads the same environment
    big = b" " * int((limit_mb + 0.5) * 1024 * 1024) + b"{}"
    too_large = requests.post(f"{url}/predict", data=big, timeout=TIMEOUT)
    assert too_large.status_code == 413 and "ONTOLAB_MAX_PREDICT_MB" in too_large.json()["detail"]
    assert requests.post(f"{url}/predict", json=body, timeout=TIMEOUT).status_code == 200


def test_a_deployment_can_require_a_token_for_predict(served: Served) -> None:
    from server.auth.accounts import ACCOUNT_FILE, Accounts
    from server.auth.roles import Grant, Role

    bad = requests.post(
        f"{served.api}/api/deployments",
        json={"model": MODEL, "version": 1, "require_token": "yes"},
        timeout=TIMEOUT,
    )
    assert bad.status_code == 400 and "require_token" in bad.json()["detail"]
    deployment = served.deploy(model=MODEL, version=1, require_token=True)
    assert deployment["require_token"] is True
    accounts = Accounts(served.platform.settings.data / ACCOUNT_FILE)
    accounts.add_user("scorer", "scorer-password")
    accounts.add_user("reader", "reader-password")
    accounts.grant(Grant("user:scorer", Role.RUNNER, "model", MODEL))
    accounts.grant(Grant("user:reader", Role.VIEWER))
    scorer, _ = accounts.create_token("scorer", "predict", Role.RUNNER)
    capped, _ = accounts.create_token("scorer", "read only", Role.VIEWER)
    reader, _ = accounts.create_token("reader")
    accounts.close()
    body = {"dataframe_records": served.rows[:2]}

    def predict(token: str | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(
            f"{deployment['url']}/predict", json=body, headers=headers, timeout=TIMEOUT
        )

    assert predict(None).status_code == 401 and "needs a token" in predict(None).json()["detail"]
    assert predict("olt_000000000000_" + "A" * 43).status_code == 401
    assert predict(reader).status_code == 403 and "runner" in predict(reader).json()["detail"]
    assert predict(capped).status_code == 403
    answer = predict(scorer)
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 2
    assert requests.get(f"{deployment['url']}/health", timeout=TIMEOUT).status_code == 200
    open_one = served.deploy(model=MODEL, version=1)
    assert open_one["require_token"] is False
    assert (
        requests.post(f"{open_one['url']}/predict", json=body, timeout=TIMEOUT).status_code == 200
    )


def test_a_platform_restart_brings_running_deployments_back(served: Served, serve_app: Any) -> None:
    kept = served.deploy(model=MODEL, version=1)
    dropped = served.deploy(model=MODEL, version=1)
    requests.delete(f"{served.api}/api/deployments/{dropped['id']}", timeout=TIMEOUT)

    served.stop_server()
    served.platform.close()
    assert not answers(kept["url"]), "closing the platform stops its model servers"
    assert not pid_alive(kept["pid"])

    served.platform = open_platform(served.platform.settings)
    served.api, served.stop_server = serve(served.platform, serve_app)
    assert served.platform.deployments.wait_restored(TIMEOUT)
    listed = requests.get(f"{served.api}/api/deployments", timeout=TIMEOUT).json()["deployments"]
    back = next(d for d in listed if d["id"] == kept["id"])
    assert back["status"] == "running"
    assert back["pid"] != kept["pid"] and back["port"] == kept["port"]
    # The same activity goes on: its start stays, it has no end.
    assert (back["started_at"], back["ended_at"]) == (kept["started_at"], None)
    assert next(d for d in listed if d["id"] == dropped["id"])["status"] == "stopped"
    health = requests.get(f"{back['url']}/health", timeout=TIMEOUT).json()
    assert health["sha256"] == served.sha256
    answer = requests.post(
        f"{back['url']}/predict", json={"dataframe_records": served.rows[:2]}, timeout=TIMEOUT
    )
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 2
