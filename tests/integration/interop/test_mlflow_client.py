"""MLflow's own client (the real ``mlflow``, in its own venv) against a real platform process.

Scripts written as MLflow users write them run unchanged against ``ontolab serve``: they log
params, tags, metrics over steps and files, search with ``order_by`` and ``filter_string``,
read metric history and artifacts back, and delete a run. Each script's own output is checked,
and so is what the platform holds: the runs in its graph (SPARQL) and its run list. Bad input
gets MLflow-shaped errors that MLflow's client raises as ``MlflowException`` with the message.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT
from tests.integration.sdk.test_readme import README_URL
from tests.processes import free_port, stop_process

#: What every script starts with: the platform as MLflow's tracking server.
PRELUDE = """
import json, os, sys, tempfile
import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
mlflow.set_tracking_uri(os.environ["ONTOLAB_URL"])
"""


@pytest.fixture(scope="module")
def platform_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``ontolab serve`` as its own process on a free port, stopped by PID at the end."""
    with serving(tmp_path_factory.mktemp("mlflow-platform")) as url:
        yield url


@contextmanager
def serving(folder: Path, *options: str) -> Iterator[str]:
    """``ontolab serve`` (with ``options``) on a free port over ``folder``/data, stopped by
    PID at the end; its URL."""
    port = free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "--data", str(folder / "data"), "serve"]
            + ["--port", str(port), *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "ONTOLAB_HOST": "127.0.0.1", "PYTHONPATH": str(ROOT)},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, process, log)
        yield url
    finally:
        stop_process(process)


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ontolab serve exited with {process.returncode}: {log.read_text()}")
        try:
            if requests.get(f"{url}/health", timeout=2).text == "OK":
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail(f"ontolab serve did not answer in 90 s: {log.read_text()[-2000:]}")


def run_script(python: Path, url: str, body: str, prelude: str = PRELUDE) -> str:
    """Run ``body`` (after ``prelude``) with the mlflow venv's Python, in a folder of its own;
    its stdout."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLFLOW_", "PYTHON")) and "proxy" not in key.lower()
    }
    env |= {
        "ONTOLAB_URL": url,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    done = subprocess.run(
        [str(python), "-c", prelude + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=tempfile.mkdtemp(prefix="mlflow-script-"),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done.stdout


def lines(output: str) -> dict[str, Any]:
    """The script's ``NAME json`` lines, by NAME."""
    found = {}
    for line in output.splitlines():
        name, _, value = line.partition(" ")
        if name.isupper() and value:
            found[name] = json.loads(value)
    return found


TRACKING = """
mlflow.set_experiment("mlflow-demo")
accuracy = {"a": 0.71, "b": 0.93, "c": 0.85}
ids = {}
for name, acc in accuracy.items():
    with mlflow.start_run(run_name=name) as run:
        mlflow.log_param("lr", "0.1" if name == "b" else "0.01")
        mlflow.log_params({"depth": 3, "kind": name})
        mlflow.set_tag("team", "ml-" + name)
        for step in range(3):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metric("acc", acc)
        notes = os.path.join(tempfile.mkdtemp(), "notes.txt")
        with open(notes, "w") as out:
            out.write("run " + name)
        mlflow.log_artifact(notes)
        mlflow.log_artifact(notes, artifact_path="sub")
        ids[name] = run.info.run_id
print("IDS", json.dumps(ids))
experiment = mlflow.get_experiment_by_name("mlflow-demo")
print("EXPERIMENT", json.dumps([experiment.name, experiment.artifact_location]))
ordered = mlflow.search_runs(order_by=["metrics.acc DESC"])
print("ORDER", json.dumps(list(ordered["tags.mlflow.runName"])))
chosen = mlflow.search_runs(filter_string="metrics.acc > 0.8 AND params.lr = '0.01'")
print("FILTER", json.dumps(list(chosen["tags.mlflow.runName"])))
liked = mlflow.search_runs(filter_string="tags.team LIKE 'ml-%' AND attributes.status = 'FINISHED'")
print("LIKE", json.dumps(sorted(liked["tags.mlflow.runName"])))
client = MlflowClient()
page = client.search_runs([experiment.experiment_id], order_by=["metrics.acc ASC"], max_results=2)
print("PAGE", json.dumps([[r.info.run_name for r in page], bool(page.token)]))
rest = client.search_runs([experiment.experiment_id], order_by=["metrics.acc ASC"],
                          max_results=2, page_token=page.token)
print("NEXT", json.dumps([[r.info.run_name for r in rest], bool(rest.token)]))
history = client.get_metric_history(ids["b"], "loss")
print("HISTORY", json.dumps([[m.step, m.value] for m in history]))
print("ARTIFACTS", json.dumps([[a.path, a.is_dir] for a in client.list_artifacts(ids["b"])]))
print("INSUB", json.dumps([a.path for a in client.list_artifacts(ids["b"], "sub")]))
local = mlflow.artifacts.download_artifacts(run_id=ids["b"], artifact_path="sub/notes.txt")
print("DOWNLOADED", json.dumps(open(local).read()))
run = client.get_run(ids["b"])
data = run.data
print("RUN", json.dumps([run.info.status, data.params, data.metrics, data.tags["team"]]))
client.delete_run(ids["a"])
print("ACTIVE", json.dumps(sorted(mlflow.search_runs()["tags.mlflow.runName"])))
"""


@pytest.fixture(scope="module")
def tracked(mlflow_python: Path, platform_url: str) -> dict[str, Any]:
    return lines(run_script(mlflow_python, platform_url, TRACKING))


def test_a_plain_mlflow_script_runs_unchanged(tracked: dict[str, Any]) -> None:
    assert tracked["EXPERIMENT"] == ["mlflow-demo", "mlflow-artifacts:/mlflow-demo"]
    assert tracked["ORDER"] == ["b", "c", "a"]
    assert tracked["FILTER"] == ["c"]
    assert tracked["LIKE"] == ["a", "b", "c"]
    assert tracked["PAGE"] == [["a", "c"], True]
    assert tracked["NEXT"] == [["b"], False]
    assert tracked["HISTORY"] == [[0, 1.0], [1, 0.5], [2, pytest.approx(1 / 3)]]
    assert tracked["ARTIFACTS"] == [["notes.txt", False], ["sub", True]]
    assert tracked["INSUB"] == ["sub/notes.txt"]
    assert tracked["DOWNLOADED"] == "run b"
    status, params, metrics, team = tracked["RUN"]
    assert status == "FINISHED" and team == "ml-b"
    assert params == {"lr": "0.1", "depth": "3", "kind": "b"}
    assert metrics == {"loss": pytest.approx(1 / 3), "acc": 0.93}
    assert tracked["ACTIVE"] == ["b", "c"]  # a was deleted


def test_the_runs_are_in_the_graph_and_the_run_list(
    tracked: dict[str, Any], platform_url: str
) -> None:
    ids = tracked["IDS"]
    query = """PREFIX ol: <https://w3id.org/ontolab/ns#>
        PREFIX mls: <http://www.w3.org/ns/mls#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?id ?status WHERE {
          ?run a ol:Run, mls:Run, prov:Activity ; ol:runId ?id ; ol:status ?status .
          ?run prov:startedAtTime ?started ; prov:endedAtTime ?ended .
        }"""
    answer = requests.get(
        f"{platform_url}/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    rows = {b["id"]["value"]: b["status"]["value"] for b in answer.json()["results"]["bindings"]}
    assert {rows[ids[name]] for name in "abc"} == {"succeeded"}
    listed = requests.get(
        f"{platform_url}/api/runs",
        params={"experiment": "mlflow-demo", "filter": "metrics.acc > 0.8", "sort": "-metrics.acc"},
        timeout=30,
    ).json()
    assert [run["run_id"] for run in listed["runs"]] == [ids["b"], ids["c"]]
    assert listed["runs"][0]["metrics"]["acc"] == 0.93


BAD_INPUT = """
def refused(call):
    try:
        call()
    except MlflowException as error:
        return str(error)
    return "accepted"

client = MlflowClient()
mlflow.set_experiment("mlflow-bad-input")
with mlflow.start_run() as run:
    mlflow.log_metric("acc", 0.5)
print("ENDED", json.dumps(run.info.run_id))
print("UNSUPPORTED", json.dumps(refused(lambda: client.create_registered_model("m"))))
print("FILTER", json.dumps(refused(lambda: mlflow.search_runs(filter_string="metrics.acc >> 1"))))
print("ORDER", json.dumps(refused(lambda: mlflow.search_runs(order_by=["metrics.acc DOWN"]))))
print("FINISHED", json.dumps(refused(lambda: client.log_metric(run.info.run_id, "acc", 0.9))))
print("NOSUCHRUN", json.dumps(refused(lambda: client.get_run("f" * 32))))
print("STILL", json.dumps(client.get_run(run.info.run_id).data.metrics))
"""


@pytest.fixture(scope="module")
def bad_input(mlflow_python: Path, platform_url: str) -> dict[str, Any]:
    return lines(run_script(mlflow_python, platform_url, BAD_INPUT))


def test_an_unsupported_call_raises_a_clear_mlflow_exception(bad_input: dict[str, Any]) -> None:
    message = bad_input["UNSUPPORTED"]
    assert message.startswith("NOT_IMPLEMENTED: the MLflow call POST ")
    assert "registered-models/create is not supported by Ontolab" in message
    assert "GET /api/models" in message  # what to use instead


def test_a_bad_filter_or_order_by_is_invalid_parameter_value(bad_input: dict[str, Any]) -> None:
    assert bad_input["FILTER"].startswith("INVALID_PARAMETER_VALUE: ")
    assert "invalid filter 'metrics.acc >> 1' at position 13" in bad_input["FILTER"]
    assert "expected ASC or DESC" in bad_input["ORDER"]


def test_logging_to_a_finished_run_is_refused_and_loses_nothing(
    bad_input: dict[str, Any],
) -> None:
    assert bad_input["FINISHED"].startswith("INVALID_STATE: run ")
    assert "start a new run" in bad_input["FINISHED"]
    assert bad_input["STILL"] == {"acc": 0.5}
    assert bad_input["NOSUCHRUN"].startswith("RESOURCE_DOES_NOT_EXIST: no run with id")


def test_a_metric_that_is_not_a_number_is_a_400_and_nothing_is_logged(
    bad_input: dict[str, Any], platform_url: str
) -> None:
    run_id = bad_input["ENDED"]
    base = f"{platform_url}/api/2.0/mlflow"
    started = requests.post(
        f"{base}/runs/create", json={"experiment_id": "mlflow-bad-input"}, timeout=30
    ).json()["run"]["info"]["run_id"]
    refused = requests.post(
        f"{base}/runs/log-batch",
        json={
            "run_id": started,
            "metrics": [{"key": "ok", "value": 1}, {"key": "x", "value": "abc"}],
        },
        timeout=30,
    )
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "metric 'x' has the value 'abc', which is not a number" in refused.json()["message"]
    kept = requests.get(f"{base}/runs/get", params={"run_id": started}, timeout=30).json()
    assert kept["run"]["data"].get("metrics", []) == []  # the batch was refused whole
    assert run_id != started


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/2.0/mlflow/no-such-call", 404, "ENDPOINT_NOT_FOUND"),
        ("POST", "/api/2.0/mlflow/runs/log-inputs", 501, "NOT_IMPLEMENTED"),
        ("GET", "/api/2.0/mlflow/runs/create", 405, "ENDPOINT_NOT_FOUND"),
        ("POST", "/ajax-api/2.0/mlflow/logged-models", 501, "NOT_IMPLEMENTED"),
        (
            "DELETE",
            "/api/2.0/mlflow-artifacts/artifacts/e/r/artifacts/x",
            405,
            "ENDPOINT_NOT_FOUND",
        ),
        ("GET", "/api/3.0/mlflow/traces/abc", 501, "NOT_IMPLEMENTED"),
    ],
)
def test_every_other_mlflow_path_answers_mlflow_json_not_a_page(
    platform_url: str, method: str, path: str, status: int, code: str
) -> None:
    answer = requests.request(method, platform_url + path, json={}, timeout=30)
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    assert body["error_code"] == code
    assert path in body["message"]


def test_the_ui_and_the_platform_api_still_answer(platform_url: str) -> None:
    assert requests.get(f"{platform_url}/api/health", timeout=30).json()["status"] == "ok"
    page = requests.get(f"{platform_url}/runs/abc", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]


def test_the_readme_mlflow_block_runs_against_the_platform(
    mlflow_python: Path, platform_url: str
) -> None:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n## From Python\n") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"^```python mlflow\n(.*?)^```$", section, flags=re.S | re.M)
    assert len(blocks) == 1 and README_URL in blocks[0]
    out = run_script(mlflow_python, platform_url, blocks[0].replace(README_URL, platform_url), "")
    assert "forest" in out and "0.91" in out
    listed = requests.get(
        f"{platform_url}/api/runs", params={"experiment": "churn"}, timeout=30
    ).json()
    assert listed["total"] == 1
    run = listed["runs"][0]
    assert run["status"] == "succeeded" and run["metrics"]["auc"] == 0.91
    assert run["params"]["max_depth"] == "8"
