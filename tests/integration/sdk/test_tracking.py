"""``ontolab.start_run`` over real HTTP: a run logged from plain code lands in the graph like a
native one (params, metric history, an artifact, a model that registers and deploys); log calls
only buffer; bad input raises at the call; refusals surface with the problem's title."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import ontolab
from ontolab import Client
from ontolab.errors import BadRequest
from tests.integration.sdk.conftest import Served

FLOWER = {
    "sepal length (cm)": 5.1,
    "sepal width (cm)": 3.5,
    "petal length (cm)": 1.4,
    "petal width (cm)": 0.2,
}


def test_a_run_from_plain_code_lands_in_the_graph(
    served: Served, client: Client, tmp_path: Path
) -> None:
    features, target = load_iris(return_X_y=True, as_frame=True)
    report = tmp_path / "report.txt"
    report.write_text("all good")
    with ontolab.start_run(
        experiment="sdk-tracking", url=served.url, name="plain", spool_dir=tmp_path / "spool"
    ) as run:
        run.log_params({"max_iter": 500, "solver": "lbfgs"})
        run.set_tag("team", "flowers")
        for step in range(30):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_metrics({"accuracy": 0.96, "f1": 0.95})
        run.log_artifact(report, artifact_path="reports")
        model = LogisticRegression(max_iter=500).fit(features, target)
        run.log_model(model, name="sdk-iris")
    assert run.status == "succeeded"

    tracked = served.platform.tracked.get(run.run_id)
    assert tracked.params == {"max_iter": "500", "solver": "lbfgs"}
    assert tracked.tags == {"team": "flowers"}
    assert [p.step for p in tracked.metrics["loss"]] == list(range(30))
    assert list(tracked.artifacts) == ["reports/report.txt"]
    assert tracked.status == "succeeded"

    rows = client.sparql(
        """PREFIX ol: <https://w3id.org/ontolab/ns#>
           PREFIX mls: <http://www.w3.org/ns/mls#>
           SELECT (COUNT(?point) AS ?points) WHERE {
             ?run ol:runId ?id ; ol:hasStepRun ?step .
             ?step ol:hasMetricPoint ?point . ?point ol:metricName "loss" }""",
        id=run.run_id,
    )
    assert int(rows[0]["points"]) == 30
    details = client.runs.get(run.run_id)
    assert details.status == "succeeded"
    assert details.metric("accuracy", step_id="tracked") == pytest.approx(0.96)

    versions = client.models.versions("sdk-iris")
    assert [v.run_id for v in versions] == [run.run_id]
    assert client.models.predict("sdk-iris", [FLOWER]).predictions == [0]
    deployment = client.deployments.deploy("sdk-iris", version=1)
    try:
        assert client.deployments.predict(deployment, [FLOWER]).predictions == [0]
    finally:
        client.deployments.stop(deployment)


def test_a_log_call_makes_no_request(served: Served, tmp_path: Path) -> None:
    run = ontolab.start_run(
        "sdk-tracking", url=served.url, spool_dir=tmp_path, interval=3600, max_batch=100_000
    )
    sent: list[str] = []
    request = run._http.session.request

    def counting(method: str, url: str, **kwargs: object) -> object:
        sent.append(f"{method} {url}")
        return request(method, url, **kwargs)

    run._http.session.request = counting  # type: ignore[method-assign]
    for step in range(2000):
        run.log_metric("loss", step * 0.5, step=step)
        run.log_param(f"p{step % 3}", step % 3)
    run.set_tags({"a": "b"})
    assert sent == []  # buffered only
    assert run.flush(timeout=30) is True
    assert len(sent) == 1 and sent[0].endswith("/batch")  # the buffer went as one batch
    run.end()
    assert len(served.platform.tracked.get(run.run_id).metrics["loss"]) == 2000


def test_bad_input_raises_at_the_call(served: Served, tmp_path: Path) -> None:
    run = ontolab.start_run("sdk-tracking", url=served.url, spool_dir=tmp_path)
    with pytest.raises(ValueError, match="metric 'loss' has value 'high'"):
        run.log_metric("loss", "high")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="nowhere.txt"):
        run.log_artifact(tmp_path / "nowhere.txt")
    run.log_param("lr", 0.1)
    run.flush()
    run.log_param("lr", 0.2)  # the platform refuses: a param keeps its value
    with pytest.raises(BadRequest, match="param 'lr' was logged as '0.1'") as refused:
        run.flush()
    assert refused.value.title == "Tracking data not accepted"
    run.end()
    with pytest.raises(ontolab.RunEnded, match=f"run {run.run_id} ended"):
        run.log_metric("loss", 1.0)


def test_client_start_run(client: Client, served: Served, tmp_path: Path) -> None:
    with client.start_run("sdk-tracking", name="from-client", spool_dir=tmp_path) as run:
        run.log_metric("loss", 0.1)
    assert served.platform.tracked.get(run.run_id).name == "from-client"
