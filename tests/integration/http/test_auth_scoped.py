"""With auth on, over real HTTP and real runs: who started each run (API, SDK, MLflow client,
a trigger fired by hand or by the platform, ``ontolab run --as``), and a user granted one
experiment seeing only that experiment's runs, comparisons, lineage, models and deployments.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from rdflib import Graph, URIRef

import ontolab
from server.app import create_app
from server.auth.check import close_auth, gate_of
from server.auth.roles import Grant, Role
from server.graph import queries
from server.graph.namespaces import PLATFORM_AGENT, PROV, RDF, run_iri, user_agent
from server.http_server import serving_in_thread
from server.platform import Platform, open_platform
from server.settings import Settings
from tests.documents import iris_document
from tests.shapes import assert_conforms

TIMEOUT = 30
A, B = "scoped_a", "scoped_b"
MODEL_A, MODEL_B = "scoped-model-a", "scoped-model-b"


@dataclass
class Scoped:
    url: str
    platform: Platform
    tokens: dict[str, str]
    runs: dict[str, str] = field(default_factory=dict)  # experiment → a run of it
    deployments: dict[str, str] = field(default_factory=dict)  # model → its deployment id

    def call(self, who: str, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return requests.request(method, self.url + path, headers=headers, timeout=TIMEOUT, **kw)

    def get(self, who: str, path: str, **kw: Any) -> Any:
        answer = self.call(who, "GET", path, **kw)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def start(self, who: str, experiment: str) -> str:
        answer = self.call(who, "POST", "/api/runs", json={"experiment": experiment})
        assert answer.status_code == 202, answer.text
        run_id: str = answer.json()["run_id"]
        assert self.platform.runs.wait(run_id, 180)
        return run_id


@pytest.fixture(scope="module")
def scoped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scoped]:
    data = tmp_path_factory.mktemp("scoped") / "data"
    settings = Settings.load(
        {"data": data, "auth": True, "admin_password": "admin-pass-1"}, environ={}
    )
    platform = open_platform(settings)
    app = create_app(platform=platform)
    gate = gate_of(app)
    assert gate is not None
    accounts = gate.accounts
    accounts.add_user("ann", "ann-password")  # runner on experiment A only
    accounts.grant(Grant("user:ann", Role.RUNNER, "experiment", A))
    accounts.add_user("rita", "rita-password", Role.RUNNER)  # runner everywhere
    tokens = {name: accounts.create_token(name)[0] for name in ("admin", "ann", "rita")}
    with serving_in_thread(app) as url:
        state = Scoped(url, platform, tokens)
        for experiment, model in ((A, MODEL_A), (B, MODEL_B)):
            document = iris_document(experiment, estimator="GaussianNB", model=model)
            assert state.call("admin", "POST", "/api/experiments", json=document).ok
        state.runs[A] = state.start("ann", A)
        state.runs[B] = state.start("admin", B)
        _wait_for_models(state)
        for model in (MODEL_A, MODEL_B):
            answer = state.call(
                "admin", "POST", "/api/deployments", json={"model": model, "version": 1}
            )
            assert answer.status_code == 201, answer.text
            state.deployments[model] = answer.json()["id"]
        yield state
        for deployment in state.deployments.values():
            state.call("admin", "DELETE", f"/api/deployments/{deployment}")
    close_auth(app)
    platform.close()


def _wait_for_models(state: Scoped) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        names = {m["name"] for m in state.get("admin", "/api/models")["models"]}
        if {MODEL_A, MODEL_B} <= names:
            return
        time.sleep(0.2)
    raise AssertionError(f"models not registered: {names}")


def run_graph(platform: Platform, run_id: str) -> Graph:
    graph = Graph()
    for row in queries.select(platform.store, "graph_triples", graph=str(run_iri(run_id))):
        graph.add((row["s"], row["p"], row["o"]))
    return graph


# --- who started a run -------------------------------------------------------------------------


def test_a_run_started_through_the_api_names_its_user(scoped: Scoped) -> None:
    details = scoped.get("admin", f"/api/runs/{scoped.runs[A]}")
    assert details["started_by"] == "ann"
    assert details["started_by_agent"] == str(user_agent("ann")) and "trigger" not in details
    assert scoped.get("admin", f"/api/runs/{scoped.runs[B]}")["started_by"] == "admin"
    listed = {r["run_id"]: r for r in scoped.get("admin", "/api/runs")["runs"]}
    assert listed[scoped.runs[A]]["started_by"] == "ann"
    assert listed[scoped.runs[A]]["trigger"] is None
    graph = run_graph(scoped.platform, scoped.runs[A])
    run = URIRef(str(run_iri(scoped.runs[A])))
    assert list(graph.objects(run, PROV.wasAssociatedWith)) == [URIRef(user_agent("ann"))]
    assert (URIRef(user_agent("ann")), RDF.type, PROV.Agent) in graph
    assert_conforms(graph)


def test_rerun_and_resume_name_who_asked(scoped: Scoped) -> None:
    answer = scoped.call("ann", "POST", f"/api/runs/{scoped.runs[A]}/rerun")
    assert answer.status_code == 202, answer.text
    rerun = answer.json()["run_id"]
    assert scoped.platform.runs.wait(rerun, 180)
    assert scoped.get("ann", f"/api/runs/{rerun}")["started_by"] == "ann"


def test_sdk_and_mlflow_runs_name_their_user(scoped: Scoped) -> None:
    with ontolab.start_run("scoped_sdk", url=scoped.url, token=scoped.tokens["rita"]) as run:
        run.log_metric("loss", 0.5)
    tracked = scoped.get("rita", f"/api/tracking/runs/{run.run_id}")
    assert tracked["started_by"] == "rita"
    assert scoped.get("rita", f"/api/runs/{run.run_id}")["started_by"] == "rita"
    made = scoped.call("rita", "POST", "/api/2.0/mlflow/runs/create", json={"experiment_id": "0"})
    assert made.status_code == 200, made.text
    mlflow_run = made.json()["run"]["info"]["run_id"]
    assert scoped.get("rita", f"/api/runs/{mlflow_run}")["started_by"] == "rita"


def test_trigger_runs_name_the_trigger_and_who_fired_it(scoped: Scoped) -> None:
    made = scoped.call("admin", "POST", f"/api/experiments/{A}/triggers", json={"kind": "manual"})
    assert made.status_code == 201, made.text
    trigger = made.json()
    fired = scoped.call("ann", "POST", f"/api/experiments/{A}/triggers/{trigger['id']}/fire")
    assert fired.status_code == 201 and fired.json()["outcome"] == "started", fired.text
    by_hand = fired.json()["run_id"]
    assert scoped.platform.runs.wait(by_hand, 180)
    details = scoped.get("ann", f"/api/runs/{by_hand}")
    assert details["started_by"] == "ann" and details["trigger"] == trigger["iri"]
    # fired by the platform itself (as its loop does): the platform's agent, and the trigger
    automatic = scoped.platform.triggers.fire(A, trigger["id"])
    assert automatic.run_id is not None, automatic.detail
    assert scoped.platform.runs.wait(automatic.run_id, 180)
    details = scoped.get("admin", f"/api/runs/{automatic.run_id}")
    assert "started_by" not in details and details["started_by_agent"] == str(PLATFORM_AGENT)
    assert details["trigger"] == trigger["iri"]
    listed = {r["run_id"]: r for r in scoped.get("admin", "/api/runs")["runs"]}
    assert listed[automatic.run_id]["trigger"] == trigger["iri"]
    assert listed[automatic.run_id]["started_by"] is None
    assert_conforms(run_graph(scoped.platform, automatic.run_id))


def test_ontolab_run_as_records_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.cli import main

    data = ["--data", str(tmp_path / "data")]
    iris = str(Path(__file__).resolve().parents[3] / "examples" / "iris.ttl")
    monkeypatch.setattr("sys.stdin", io.StringIO("carol-password\n"))
    assert main([*data, "users", "add", "carol", "--password-stdin"]) == 0
    assert main([*data, "run", iris, "--as", "nobody"]) == 1
    assert "no enabled user 'nobody'" in capsys.readouterr().err
    assert main([*data, "runs", "list"]) == 0
    assert "iris" not in capsys.readouterr().out  # refused before any run
    assert main([*data, "run", iris, "--as", "carol"]) == 0
    settings = Settings.load({"data": tmp_path / "data"}, environ={})
    platform = open_platform(settings)
    try:
        from server.tracking import run_index

        _, runs = run_index.select(platform.store, run_index.Selection())
        assert [run.started_by for run in runs] == ["carol"]
    finally:
        platform.close()


# --- lists cut to the experiments granted -----------------------------------------------------


def test_run_list_shows_only_the_granted_experiment(scoped: Scoped) -> None:
    runs = scoped.get("ann", "/api/runs")["runs"]
    assert runs and {r["experiment"] for r in runs} == {A}
    assert scoped.runs[B] not in {r["run_id"] for r in runs}
    assert scoped.get("ann", "/api/runs", params={"experiment": A})["runs"]
    filtered = scoped.get("ann", "/api/runs", params={"filter": f"experiment = {B}"})
    assert filtered == {"total": 0, "offset": 0, "runs": []}
    assert scoped.call("ann", "GET", "/api/runs", params={"experiment": B}).status_code == 403
    admin = {r["experiment"] for r in scoped.get("admin", "/api/runs")["runs"]}
    assert {A, B} <= admin
    assert [e["identifier"] for e in scoped.get("ann", "/api/experiments")["experiments"]] == [A]


def test_leaderboard_compare_and_lineage_of_the_granted_experiment_only(scoped: Scoped) -> None:
    assert (
        scoped.call("ann", "GET", f"/api/experiments/{A}/leaderboard?metric=accuracy").status_code
        == 200
    )
    assert (
        scoped.call("ann", "GET", f"/api/experiments/{B}/leaderboard?metric=accuracy").status_code
        == 403
    )
    rerun = scoped.start("ann", A)
    both_a = f"{scoped.runs[A]},{rerun}"
    assert len(scoped.get("ann", "/api/compare", params={"runs": both_a})["runs"]) == 2
    mixed = scoped.call("ann", "GET", "/api/compare", params={"runs": f"{rerun},{scoped.runs[B]}"})
    assert mixed.status_code == 403 and "no grant" in mixed.json()["detail"]
    assert scoped.get("ann", "/api/lineage", params={"run": scoped.runs[A]})["nodes"]
    assert (
        scoped.call("ann", "GET", "/api/lineage", params={"run": scoped.runs[B]}).status_code == 403
    )
    assert scoped.get("ann", "/api/lineage", params={"model": scoped.runs[A]})["nodes"]
    other = scoped.call("ann", "GET", "/api/lineage", params={"model": scoped.runs[B]})
    assert other.status_code == 403, other.text
    every = scoped.get("admin", "/api/lineage", params={"model": scoped.runs[B]})
    assert every["nodes"]


def test_models_and_registry_entries_of_the_granted_experiment_only(scoped: Scoped) -> None:
    assert [m["name"] for m in scoped.get("ann", "/api/models")["models"]] == [MODEL_A]
    assert scoped.get("ann", f"/api/models/{MODEL_A}")["name"] == MODEL_A
    assert scoped.call("ann", "GET", f"/api/models/{MODEL_A}/versions/1").status_code == 200
    assert scoped.call("ann", "GET", f"/api/models/{MODEL_B}").status_code == 403
    assert scoped.call("ann", "GET", f"/api/models/{MODEL_B}/versions/1").status_code == 403
    # reading through the experiment grant is reading only: no alias change, no predict
    alias = scoped.call(
        "ann", "PUT", f"/api/models/{MODEL_A}/aliases/champion", json={"version": 1}
    )
    assert alias.status_code == 403
    names = {m["name"] for m in scoped.get("admin", "/api/models")["models"]}
    assert {MODEL_A, MODEL_B} <= names


def test_deployments_of_the_granted_experiments_models_only(scoped: Scoped) -> None:
    listed = scoped.get("ann", "/api/deployments")["deployments"]
    assert [d["model"] for d in listed] == [MODEL_A]
    mine, other = scoped.deployments[MODEL_A], scoped.deployments[MODEL_B]
    assert scoped.get("ann", f"/api/deployments/{mine}")["model"] == MODEL_A
    assert scoped.call("ann", "GET", f"/api/deployments/{other}").status_code == 403
    assert scoped.call("ann", "GET", f"/api/deployments/{other}/predictions").status_code == 403
    assert scoped.call("ann", "GET", f"/api/deployments/{other}/monitoring").status_code == 403
    assert scoped.call("ann", "GET", f"/api/deployments/{mine}/predictions").status_code == 200
    assert len(scoped.get("admin", "/api/deployments")["deployments"]) >= 2
