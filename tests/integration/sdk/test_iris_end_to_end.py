"""Iris end to end through the SDK over real HTTP: a definition built in Python is submitted,
run, waited for with progress, measured, compared, ranked, promoted, deployed and asked.

The tests of this module share one platform and run in order (each reads what the one before
left: the run, the model version, the deployment).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ontolab import IRI, Client, Experiment
from ontolab.errors import Conflict
from ontolab.types import RunDetails
from tests.unit.ontolab.builders import iris_experiment

MODEL = "iris-forest"
state: dict[str, Any] = {}


def test_a_definition_built_in_python_is_stored_and_runs(client: Client) -> None:
    stored = client.experiments.submit(iris_experiment())
    assert (stored.identifier, stored.version, stored.created_new_version) == ("iris", 1, True)
    again = client.experiments.submit(iris_experiment())
    assert (again.version, again.created_new_version) == (1, False)

    started = client.runs.start("iris")
    assert started.status == "running" and started.version == 1
    seen: list[RunDetails] = []
    run = client.runs.wait(started.run_id, timeout=300, poll=0.2, on_progress=seen.append)
    assert run.status == "succeeded", run.error
    assert seen and seen[-1].status == "succeeded"
    assert {s.step_id for s in run.steps} == {"extract", "explore", "process", "build", "validate"}
    state["run"] = run


def test_metrics_and_hyperparameters_come_back_typed(client: Client) -> None:
    run: RunDetails = state["run"]
    metrics = client.runs.metrics(run.run_id)
    names = {m.metric for m in metrics if m.step_id == "validate"}
    assert {"accuracy", "f1"} <= names
    accuracy = run.metric("accuracy", step_id="validate")
    assert isinstance(accuracy, float) and accuracy >= 0.8
    assert {h.name for h in run.hyperparameters} >= {"n_estimators", "max_depth"}


def test_artifacts_list_and_download_checked(client: Client, tmp_path: Path) -> None:
    artifacts = client.runs.artifacts(state["run"].run_id)
    model = next(a for a in artifacts if a.step_id == "build")
    path = client.runs.download(model, tmp_path)
    assert path.stat().st_size == model.size
    assert not list(tmp_path.glob("*.part"))


def test_list_filter_sort_limit_compare_leaderboard(client: Client) -> None:
    second = client.runs.start("iris", use_cache=False)
    client.runs.wait(second.run_id, timeout=300)
    first = state["run"].run_id

    page = client.runs.list(experiment="iris", sort="-started", limit=1)
    assert page.total == 2 and len(page) == 1 and page.runs[0].run_id == second.run_id
    matching = client.runs.list(filter="status = succeeded and metrics.accuracy >= 0.8")
    assert {r.run_id for r in matching} == {first, second.run_id}
    assert client.runs.list(filter="metrics.accuracy > 2").total == 0

    compared = client.runs.compare([first, second.run_id])
    assert [r.run_id for r in compared.runs] == [first, second.run_id]
    assert "validate.accuracy" in compared.metrics and "validate.accuracy" in compared.best

    board = client.runs.leaderboard("iris", "accuracy", limit=5)
    assert {e.run_id for e in board} == {first, second.run_id}
    assert board[0].value >= board[-1].value


def test_models_versions_aliases_promote(client: Client) -> None:
    versions = client.models.versions(MODEL)
    assert [v.version for v in versions] == [1]  # the second run built the same bytes
    assert versions[0].run_id == state["run"].run_id and versions[0].passed_validation

    change = client.models.promote(MODEL, 1)
    assert (change.alias, change.version, change.gated) == ("champion", 1, True)
    assert client.models.aliases(MODEL) == {"champion": 1}
    assert client.models.alias(MODEL, "champion").version == 1
    client.models.set_alias(MODEL, "challenger", 1)
    assert client.models.aliases(MODEL) == {"champion": 1, "challenger": 1}
    client.models.delete_alias(MODEL, "challenger")
    assert [m.name for m in client.models.list()] == [MODEL]


def _rows(client: Client) -> list[dict[str, float]]:
    columns = client.models.schema(MODEL, 1)["columns"]
    return [{c["name"]: 5.0 for c in columns}, {c["name"]: 1.0 for c in columns}]


def test_predict_in_the_platform(client: Client) -> None:
    answer = client.models.predict(MODEL, _rows(client), alias="champion")
    assert len(answer.predictions) == 2 and answer.model["version"] == 1
    assert answer.probabilities is not None and len(answer.probabilities[0]) == 3


def test_deploy_predict_stop(client: Client) -> None:
    deployment = client.deployments.deploy(MODEL, alias="champion")
    try:
        assert deployment.status == "running" and deployment.version == 1
        assert deployment.id in {d.id for d in client.deployments.list()}
        answer = client.deployments.predict(deployment, _rows(client))
        assert len(answer.predictions) == 2
        assert client.deployments.get(deployment.id).status == "running"
    finally:
        stopped = client.deployments.stop(deployment)
    assert stopped.desired_state == "stopped"
    assert client.deployments.get(deployment.id).status == "stopped"


def test_cancel_of_an_ended_run_is_a_conflict_with_the_servers_detail(client: Client) -> None:
    with pytest.raises(Conflict, match="succeeded") as raised:
        client.runs.cancel(state["run"].run_id)
    assert raised.value.status == 409 and raised.value.detail in str(raised.value)


def test_sparql_with_bound_parameters_and_named_queries(client: Client) -> None:
    query = (
        "PREFIX ol: <https://w3id.org/ontolab/ns#> "
        "SELECT ?run ?status WHERE { ?run a ol:Run ; ol:status ?status } ORDER BY ?run"
    )
    rows = client.sparql(query)
    assert rows.columns == ["run", "status"] and len(rows) == 2
    run_iri = rows[0]["run"]
    bound = client.sparql(query, run=IRI(run_iri))
    assert [r["run"] for r in bound] == [run_iri]
    # a string value is a literal, whatever it holds: no injection
    assert client.sparql(query, status='succeeded" } #') == []

    names = {q.name for q in client.queries()}
    assert "run_metrics" in names
    metrics = client.query("run_metrics", run=run_iri)
    assert metrics and all(isinstance(row, dict) for row in metrics)


def test_rows_as_pandas(client: Client) -> None:
    pandas = pytest.importorskip("pandas")
    query = "PREFIX ol: <https://w3id.org/ontolab/ns#> SELECT ?run WHERE { ?run a ol:Run }"
    frame = client.sparql(query, as_frame=True)
    assert isinstance(frame, pandas.DataFrame) and list(frame.columns) == ["run"]
    assert len(client.runs.list(experiment="iris").to_pandas()) == 2


def test_an_experiment_named_by_the_builder_default_namespace_runs(client: Client) -> None:
    tiny = (
        Experiment("tiny", task="classification")
        .extract(source="sklearn:iris", target_column="target")
        .process(test_size=0.25)
        .build(estimator="LogisticRegression", hyperparameters={"max_iter": 500})
        .validate(thresholds={"accuracy": 0.5})
    )
    assert client.experiments.validate(tiny).waves == [
        ["extract"],
        ["process"],
        ["build"],
        ["validate"],
    ]
    started = client.runs.start(client.experiments.submit(tiny).identifier)
    assert client.runs.wait(started.run_id, timeout=300).status == "succeeded"
