"""The MLflow-compatible API with per-experiment grants, through the app's real hooks.

``bob`` holds runner on experiment ``mlacl-a`` only: he reads and logs to it, and what he
searches is cut to it; another experiment's runs are refused in MLflow's error shape, the same
way whether they exist or not.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from server.auth.roles import Grant, Role
from tests.unit.server.auth.conftest import PASSWORD, AuthApp

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


class Caller:
    """One user's MLflow calls (bearer token), answering (status, JSON)."""

    def __init__(self, auth_app: AuthApp, who: str) -> None:
        self.client: FlaskClient = auth_app.client()
        self.headers = auth_app.headers(who)

    def get(self, call: str, **args: Any) -> tuple[int, Any]:
        answer = self.client.get(f"{API}/{call}", query_string=args, headers=self.headers)
        return answer.status_code, answer.get_json(silent=True)

    def post(self, call: str, **body: Any) -> tuple[int, Any]:
        answer = self.client.post(f"{API}/{call}", json=body, headers=self.headers)
        return answer.status_code, answer.get_json(silent=True)


@pytest.fixture(scope="module")
def runs(auth_app: AuthApp) -> dict[str, str]:
    """Experiments mlacl-a and mlacl-b with a run each (made by admin); bob: runner on a."""
    admin = Caller(auth_app, "admin")
    made = {}
    for name in ("mlacl-a", "mlacl-b"):
        status, answer = admin.post("experiments/create", name=name)
        assert status == 200, answer
        status, answer = admin.post("runs/create", experiment_id=answer["experiment_id"])
        assert status == 200, answer
        made[name] = answer["run"]["info"]["run_id"]
    accounts = auth_app.gate.accounts
    accounts.add_user("bob", PASSWORD)
    accounts.grant(Grant("user:bob", Role.RUNNER, "experiment", "mlacl-a"))
    auth_app.tokens["bob"] = accounts.create_token("bob", "tests", Role.ADMIN)[0]
    return made


def refused(status: int, answer: Any, *words: str) -> None:
    assert status == 403, answer
    assert answer["error_code"] == "PERMISSION_DENIED"
    for word in words:
        assert word in answer["message"], answer["message"]


def test_searches_list_only_the_granted_experiment(auth_app: AuthApp, runs: dict[str, str]) -> None:
    bob = Caller(auth_app, "bob")
    status, answer = bob.post("experiments/search", max_results=100)
    assert status == 200 and [e["experiment_id"] for e in answer["experiments"]] == ["mlacl-a"]
    status, answer = bob.get("experiments/search", max_results=100)
    assert status == 200 and [e["experiment_id"] for e in answer["experiments"]] == ["mlacl-a"]
    status, answer = bob.post("runs/search", experiment_ids=["mlacl-a"])
    assert status == 200 and [r["info"]["run_id"] for r in answer["runs"]] == [runs["mlacl-a"]]
    viewer = Caller(auth_app, "viewer")  # a global role still sees every experiment
    status, answer = viewer.post("experiments/search", max_results=100)
    assert {"mlacl-a", "mlacl-b"} <= {e["experiment_id"] for e in answer["experiments"]}


def test_a_run_search_naming_another_experiment_is_refused(
    auth_app: AuthApp, runs: dict[str, str]
) -> None:
    bob = Caller(auth_app, "bob")
    for ids in (["mlacl-b"], ["mlacl-a", "mlacl-b"], ["no-such-experiment"]):
        status, answer = bob.post("runs/search", experiment_ids=ids)
        refused(status, answer, "runs/search", "grant bob viewer --experiment")


def test_the_granted_experiment_s_runs_are_read_and_logged_to(
    auth_app: AuthApp, runs: dict[str, str]
) -> None:
    bob = Caller(auth_app, "bob")
    run_id = runs["mlacl-a"]
    assert bob.get("experiments/get", experiment_id="mlacl-a")[0] == 200
    assert bob.get("experiments/get-by-name", experiment_name="mlacl-a")[0] == 200
    status, answer = bob.post(
        "runs/log-batch", run_id=run_id, metrics=[{"key": "acc", "value": 0.9, "timestamp": 1}]
    )
    assert status == 200, answer
    assert bob.post("runs/log-parameter", run_id=run_id, key="lr", value="0.1")[0] == 200
    status, answer = bob.get("runs/get", run_id=run_id)
    assert status == 200 and answer["run"]["data"]["metrics"][0]["key"] == "acc"
    status, answer = bob.get("metrics/get-history", run_id=run_id, metric_key="acc")
    assert status == 200 and [m["value"] for m in answer["metrics"]] == [0.9]
    status, answer = bob.post("runs/create", experiment_id="mlacl-a")
    assert status == 200, answer
    path = f"mlacl-a/{run_id}/artifacts/notes.txt"
    put = bob.client.put(f"{ARTIFACTS}/{path}", data=b"hello", headers=bob.headers)
    assert put.status_code == 200, put.get_json()
    got = bob.client.get(f"{ARTIFACTS}/{path}", headers=bob.headers)
    assert got.status_code == 200 and got.data == b"hello"
    got.close()
    listed = bob.client.get(
        ARTIFACTS, query_string={"path": f"mlacl-a/{run_id}/artifacts"}, headers=bob.headers
    )
    assert listed.status_code == 200 and listed.get_json()["files"][0]["path"] == "notes.txt"
    # deleting a run stays an edit
    refused(*bob.post("runs/delete", run_id=run_id), "needs role editor")


def test_another_experiment_is_refused_in_mlflow_s_shape(
    auth_app: AuthApp, runs: dict[str, str]
) -> None:
    bob = Caller(auth_app, "bob")
    other = runs["mlacl-b"]
    refused(
        *bob.post("runs/create", experiment_id="mlacl-b"),
        "needs role runner on experiment 'mlacl-b'",
        "`ontolab users grant bob runner --experiment mlacl-b`",
    )
    refused(
        *bob.get("experiments/get", experiment_id="mlacl-b"),
        "needs role viewer on experiment 'mlacl-b'",
        "--experiment mlacl-b",
    )
    refused(*bob.get("runs/get", run_id=other), "needs role viewer", "bob has none")
    refused(*bob.post("runs/log-batch", run_id=other, params=[{"key": "k", "value": "v"}]))
    refused(*bob.post("runs/log-metric", run_id=other, key="x", value=1.0, timestamp=1))
    refused(*bob.post("runs/update", run_id=other, status="FINISHED"), "needs role runner")
    refused(*bob.get("metrics/get-history", run_id=other, metric_key="acc"))
    refused(*bob.get("artifacts/list", run_id=other))
    put = bob.client.put(f"{ARTIFACTS}/mlacl-b/{other}/artifacts/x", data=b"x", headers=bob.headers)
    refused(put.status_code, put.get_json(), "needs role runner")
    listed = bob.client.get(
        ARTIFACTS, query_string={"path": f"mlacl-b/{other}/artifacts"}, headers=bob.headers
    )
    refused(listed.status_code, listed.get_json())
    refused(*bob.get("experiments/get-by-name", experiment_name="mlacl-b"), "get-by-name")
    refused(*bob.post("experiments/create", name="mlacl-c"), "needs role runner")


def test_a_scoped_caller_cannot_learn_that_an_experiment_exists(
    auth_app: AuthApp, runs: dict[str, str]
) -> None:
    """Another experiment and an unknown one get the same refusal, by id, by name and in a
    search; a caller who may read everything gets MLflow's 404 for the unknown one."""
    bob, viewer = Caller(auth_app, "bob"), Caller(auth_app, "viewer")
    hidden = bob.get("experiments/get", experiment_id="mlacl-b")
    missing = bob.get("experiments/get", experiment_id="no-such")
    assert hidden[0] == missing[0] == 403
    assert hidden[1]["message"].replace("mlacl-b", "N") == missing[1]["message"].replace(
        "no-such", "N"
    )
    status, answer = viewer.get("experiments/get", experiment_id="no-such")
    assert status == 404 and answer["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    searched = bob.post("runs/search", experiment_ids=["mlacl-b"])
    assert searched == bob.post("runs/search", experiment_ids=["no-such"])
    # an unknown run and another experiment's: the same refusal, naming no experiment;
    # MLflow's 404 to a global viewer
    unknown = bob.get("runs/get", run_id="feedfacefeedface")
    refused(*unknown, "needs role viewer on the run's experiment; bob has none")
    other = bob.get("runs/get", run_id=runs["mlacl-b"])
    assert other[0] == 403 and other[1]["message"].replace(runs["mlacl-b"], "R") == unknown[1][
        "message"
    ].replace("feedfacefeedface", "R")
    status, answer = viewer.get("runs/get", run_id="feedfacefeedface")
    assert status == 404 and answer["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    hidden_name = bob.get("experiments/get-by-name", experiment_name="mlacl-b")
    missing_name = bob.get("experiments/get-by-name", experiment_name="no-such")
    assert hidden_name[0] == missing_name[0] == 403
    assert hidden_name[1]["message"].replace("mlacl-b", "N") == missing_name[1]["message"].replace(
        "no-such", "N"
    )
    status, answer = Caller(auth_app, "viewer").get(
        "experiments/get-by-name", experiment_name="no-such"
    )
    assert status == 404 and answer["error_code"] == "RESOURCE_DOES_NOT_EXIST"
