"""Experiments, runs, events, compare, lineage and artifacts over real HTTP."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from server.provision.base import BaseProvisioner
from tests.documents import iris_document

PIPELINE_DOCUMENT = iris_document(
    "iris_doc", label="Iris from a pipeline document", hyper={"max_iter": 500, "C": 1.0}
)
TURTLE = "text/turtle"


def document(**changes: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(PIPELINE_DOCUMENT))
    for step in doc["steps"]:
        step.update(changes.get(step["id"], {}))
    return doc


def start_run(server: Any, experiment: str, **extra: Any) -> str:
    reply = requests.post(server("/api/runs"), json={"experiment": experiment, **extra}, timeout=30)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["run_id"])


def test_openapi_documents_every_route(live_server: Any) -> None:
    doc = requests.get(live_server("/api/openapi.json"), timeout=10).json()
    assert doc["openapi"].startswith("3.")

    from server.app import create_app

    app = create_app(platform=live_server.platform)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("mlflow.refuse"):
            continue  # MLflow's prefixes: any call not served there is its error (README)
        path = re.sub(r"<(?:[a-z]+:)?([a-z0-9_]+)>", r"{\1}", rule.rule)
        assert path in doc["paths"], f"{path} is served but not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], f"{method} {path} undocumented"


def test_create_from_turtle_json_ld_and_document(live_server: Any, examples: Path) -> None:
    turtle = (examples / "breast_cancer.ttl").read_text()
    first = requests.post(
        live_server("/api/experiments"), data=turtle, headers={"Content-Type": TURTLE}, timeout=30
    )
    assert first.status_code == 201, first.text
    assert (first.json()["identifier"], first.json()["version"]) == ("breast_cancer", 1)
    again = requests.post(
        live_server("/api/experiments"), data=turtle, headers={"Content-Type": TURTLE}, timeout=30
    )
    assert again.status_code == 200 and again.json()["created_new_version"] is False
    jsonld = requests.post(
        live_server("/api/experiments"),
        data=(examples / "diabetes.jsonld").read_text(),
        headers={"Content-Type": "application/ld+json"},
        timeout=30,
    )
    assert jsonld.status_code == 201 and jsonld.json()["identifier"] == "diabetes"
    doc = requests.post(live_server("/api/experiments"), json=PIPELINE_DOCUMENT, timeout=30)
    assert doc.status_code == 201 and doc.json()["identifier"] == "iris_doc"
    listed = requests.get(live_server("/api/experiments"), timeout=10).json()["experiments"]
    assert {e["identifier"] for e in listed} == {"breast_cancer", "diabetes", "iris_doc"}


def test_invalid_definition_names_node_and_property_and_stores_nothing(live_server: Any) -> None:
    bad = document(extract={"parameters": {"source": "sklearn:iris"}})
    reply = requests.post(live_server("/api/experiments"), json=bad, timeout=30)
    assert reply.status_code == 400
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    problem = reply.json()
    assert problem["status"] == 400
    assert [(v["node"], v["path"]) for v in problem["violations"]] == [
        (":extract", "ol:targetColumn")
    ]
    assert requests.get(live_server("/api/experiments"), timeout=10).json()["experiments"] == []


def test_validate_plans_without_storing_and_names_a_cycle(live_server: Any) -> None:
    reply = requests.post(
        live_server("/api/experiments/validate"), json=PIPELINE_DOCUMENT, timeout=30
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["waves"] == [["extract"], ["process"], ["build"], ["validate"]]
    cyclic = document(process={"depends_on": ["validate"]})
    refused = requests.post(live_server("/api/experiments/validate"), json=cyclic, timeout=30)
    assert refused.status_code == 400
    assert "cycle" in refused.json()["detail"]
    assert all(s in refused.json()["detail"] for s in ("process", "build", "validate"))
    assert requests.get(live_server("/api/experiments"), timeout=10).json()["experiments"] == []


def test_unreadable_bodies_get_clear_problems(live_server: Any) -> None:
    wrong_type = requests.post(
        live_server("/api/experiments"),
        data="x",
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert wrong_type.status_code == 400 and "text/turtle" in wrong_type.json()["detail"]
    bad_turtle = requests.post(
        live_server("/api/experiments"), data=":a :b", headers={"Content-Type": TURTLE}, timeout=10
    )
    assert bad_turtle.status_code == 400 and "not valid turtle" in bad_turtle.json()["detail"]
    no_steps = requests.post(
        live_server("/api/experiments"), json={"id": "x", "task": "regression"}, timeout=10
    )
    assert no_steps.status_code == 400 and '"steps"' in no_steps.json()["detail"]
    unknown = requests.get(live_server("/api/experiments/nope"), timeout=10)
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    no_run = requests.post(live_server("/api/runs"), json={"experiment": "nope"}, timeout=10)
    assert no_run.status_code == 404


def test_versions_turtle_and_delete(live_server: Any) -> None:
    requests.post(live_server("/api/experiments"), json=PIPELINE_DOCUMENT, timeout=30)
    changed = document(build={"hyper_parameters": {"max_iter": 700}})
    assert (
        requests.post(live_server("/api/experiments"), json=changed, timeout=30).json()["version"]
        == 2
    )
    older = requests.post(live_server("/api/experiments"), json=PIPELINE_DOCUMENT, timeout=30)
    assert older.status_code == 200, "version 1's content again: unchanged, as for the newest"
    assert (older.json()["version"], older.json()["created_new_version"]) == (1, False)
    versions = requests.get(live_server("/api/experiments/iris_doc"), timeout=10).json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert "700" in versions[0]["turtle"] and "700" not in versions[1]["turtle"]
    as_turtle = requests.get(
        live_server("/api/experiments/iris_doc/versions/1"), headers={"Accept": TURTLE}, timeout=10
    )
    assert as_turtle.headers["Content-Type"].startswith(TURTLE)
    assert "ol:ModelBuilding" in as_turtle.text
    deleted = requests.delete(live_server("/api/experiments/iris_doc"), timeout=10).json()
    assert deleted["deleted_versions"] == 2
    assert requests.get(live_server("/api/experiments/iris_doc"), timeout=10).status_code == 404


@pytest.mark.slow
def test_run_over_http_with_live_events_logs_artifacts_lineage(
    live_server: Any, finished_run: Any
) -> None:
    requests.post(live_server("/api/experiments"), json=PIPELINE_DOCUMENT, timeout=30)
    events: list[dict[str, Any]] = []
    ready = threading.Event()

    def follow() -> None:
        with requests.get(live_server("/api/events"), stream=True, timeout=120) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if line == ": connected":
                    ready.set()
                if line and line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    if events[-1]["step_id"] is None and events[-1]["status"] != "running":
                        return

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    assert ready.wait(30)
    run_id = start_run(live_server, "iris_doc")
    run = finished_run(live_server.url, run_id)
    follower.join(60)
    assert run["status"] == "succeeded"
    assert {(e["step_id"], e["status"]) for e in events} >= {
        ("extract", "running"),
        ("extract", "succeeded"),
        ("validate", "succeeded"),
        (None, "succeeded"),
    }
    assert {m["metric"] for m in run["metrics"]} >= {"accuracy", "f1", "roc_auc"}

    log = requests.get(live_server(f"/api/runs/{run_id}/steps/build/log"), timeout=10)
    assert log.status_code == 200 and "LogisticRegression" in log.text
    missing = requests.get(live_server(f"/api/runs/{run_id}/steps/nope/log"), timeout=10)
    assert missing.status_code == 404 and "extract" in missing.json()["detail"]

    model = next(a for a in run["artifacts"] if a["kind"] == "model")
    blob = requests.get(live_server(f"/api/artifacts/{model['sha256']}"), timeout=10)
    assert blob.status_code == 200
    assert hashlib.sha256(blob.content).hexdigest() == model["sha256"]
    assert blob.headers["Content-Type"] == "application/x-joblib"
    assert requests.get(live_server("/api/artifacts/" + "0" * 64), timeout=10).status_code == 404

    lineage = requests.get(live_server("/api/lineage"), params={"run": run_id}, timeout=10).json()
    kinds = {n["kind"] for n in lineage["nodes"]}
    assert {"model", "splits", "dataset", "source", "report", "step"} <= kinds
    assert any(e["relation"] == "prov:wasDerivedFrom" for e in lineage["edges"])


@pytest.mark.slow
def test_list_filter_sort_compare_and_rerun(live_server: Any, finished_run: Any) -> None:
    requests.post(live_server("/api/experiments"), json=PIPELINE_DOCUMENT, timeout=30)
    weak = document(build={"hyper_parameters": {"max_iter": 500, "C": 0.001}})
    first = start_run(live_server, "iris_doc", version=1)
    finished_run(live_server.url, first)
    requests.post(live_server("/api/experiments"), json=weak, timeout=30)
    second = start_run(live_server, "iris_doc", version=2)
    finished_run(live_server.url, second)

    ranked = requests.get(
        live_server("/api/runs"), params={"sort": "-metrics.accuracy"}, timeout=10
    ).json()["runs"]
    assert [r["run_id"] for r in ranked] == [first, second]
    assert ranked[0]["metrics"]["accuracy"] > ranked[1]["metrics"]["accuracy"]
    paged = requests.get(
        live_server("/api/runs"),
        params={"sort": "-metrics.accuracy", "limit": 1, "offset": 1},
        timeout=10,
    ).json()
    assert paged["total"] == 2 and paged["offset"] == 1
    assert [r["run_id"] for r in paged["runs"]] == [second]
    assert paged["runs"][0]["params"]["build.C"] == 0.001, "a page carries all its runs' values"
    for bad_page in ({"offset": "-1"}, {"limit": "ten"}):
        refused = requests.get(live_server("/api/runs"), params=bad_page, timeout=10)
        assert refused.status_code == 400 and next(iter(bad_page)) in refused.json()["detail"]
    good = requests.get(
        live_server("/api/runs"),
        timeout=10,
        params={"filter": f"metrics.accuracy > {ranked[1]['metrics']['accuracy']}"},
    )
    assert [r["run_id"] for r in good.json()["runs"]] == [first]
    either = requests.get(
        live_server("/api/runs"),
        timeout=10,
        params={"filter": "params.C = 0.001 or metrics.accuracy > 0.99"},
    )
    assert second in [r["run_id"] for r in either.json()["runs"]]
    bad = requests.get(live_server("/api/runs"), params={"filter": "accuracy ~ 1"}, timeout=10)
    assert bad.status_code == 400 and "FIELD OP VALUE" in bad.json()["detail"]

    compared = requests.get(
        live_server("/api/compare"), params={"runs": f"{first},{second}"}, timeout=10
    ).json()
    assert compared["best"]["validate.accuracy"] == [first]
    assert "build.C" in compared["differing_params"]
    assert "build.max_iter" not in compared["differing_params"]
    defaults = compared["param_defaults"]
    assert defaults["build.C"] == 1.0 and defaults["build.max_iter"] == 100, "LogisticRegression's"

    board = requests.get(
        live_server("/api/experiments/iris_doc/leaderboard"),
        params={"metric": "accuracy", "limit": 5},
        timeout=10,
    ).json()
    assert board["higher_is_better"] is True
    assert [r["run_id"] for r in board["runs"]] == [first, second], "both versions, best first"
    assert [r["value"] for r in board["runs"]] == [r["metrics"]["accuracy"] for r in ranked]
    unknown = requests.get(
        live_server("/api/experiments/iris_doc/leaderboard"), params={"metric": "acc"}, timeout=10
    )
    assert unknown.status_code == 400 and "'acc'" in unknown.json()["detail"]
    assert "accuracy" in unknown.json()["detail"], "the error lists the known measures"
    too_many = requests.get(
        live_server("/api/experiments/iris_doc/leaderboard"),
        params={"metric": "accuracy", "limit": "0"},
        timeout=10,
    )
    assert too_many.status_code == 400 and "limit" in too_many.json()["detail"]
    nobody = requests.get(
        live_server("/api/experiments/nobody/leaderboard"),
        params={"metric": "accuracy"},
        timeout=10,
    )
    assert nobody.status_code == 404

    again = requests.post(live_server(f"/api/runs/{first}/rerun"), json={}, timeout=30)
    assert again.status_code == 202
    rerun = finished_run(live_server.url, again.json()["run_id"])
    assert rerun["version"] == 1
    assert all(step["cache_hit"] for step in rerun["steps"]), "same version: every step cached"


@pytest.mark.slow
def test_cancel_stops_a_running_run(live_server: Any, finished_run: Any) -> None:
    fifo = live_server.platform.settings.data / "never.csv"  # inside a data root
    os.mkfifo(fifo)
    blocked = document(extract={"parameters": {"source": str(fifo), "target_column": "y"}})
    requests.post(live_server("/api/experiments"), json=blocked, timeout=30)
    run_id = start_run(live_server, "iris_doc")
    time.sleep(1.0)
    reply = requests.post(live_server(f"/api/runs/{run_id}/cancel"), timeout=30)
    assert reply.status_code == 202
    run = finished_run(live_server.url, run_id)
    assert run["status"] == "cancelled"
    statuses = {s["step_id"]: s["status"] for s in run["steps"]}
    assert statuses["extract"] == "cancelled"
    assert {statuses[s] for s in ("process", "build", "validate")} <= {"cancelled", "skipped"}
    again = requests.post(live_server(f"/api/runs/{run_id}/cancel"), timeout=30)
    assert again.status_code == 409 and "not running" in again.json()["detail"]
    assert live_server.platform.runs.wait(run_id, timeout=30)
    provisioner = live_server.platform.provisioner
    assert isinstance(provisioner, BaseProvisioner)
    assert run_id not in provisioner.tracked_runs(), "the cancel is forgotten once the run ended"


@pytest.mark.slow
def test_limits_the_provisioner_cannot_enforce_are_a_warning_on_the_run(
    live_server: Any, finished_run: Any
) -> None:
    limited = document(build={"resources": {"cpus": 2.0, "memory": "512m"}})
    assert requests.post(live_server("/api/experiments"), json=limited, timeout=30).ok
    run = finished_run(live_server.url, start_run(live_server, "iris_doc"))
    assert run["status"] == "succeeded", run.get("error")
    assert run["warnings"] == [
        "step 'build' sets ol:cpus 2.0 and ol:memory \"512m\" but the local provisioner "
        "cannot enforce resource limits, so the step ran without them; to enforce them, run it "
        "on the docker or swarm provisioner (ONTOLAB_PROVISIONER=docker, or ol:provisioner "
        '"docker" on the experiment)'
    ]


def allowed(reply: requests.Response) -> set[str]:
    return {m.strip() for m in reply.headers.get("Allow", "").split(",") if m.strip()}


def test_every_405_says_which_methods_are_allowed(live_server: Any) -> None:
    for method, path, expected in [
        ("PUT", "/api/experiments", {"GET", "POST"}),
        ("DELETE", "/api/runs", {"GET", "POST"}),
        ("POST", "/api/health", {"GET"}),
    ]:
        reply = requests.request(method, live_server(path), timeout=10)
        assert reply.status_code == 405, (method, path)
        assert reply.headers["Content-Type"].startswith("application/problem+json")
        assert expected <= allowed(reply), (method, path, reply.headers.get("Allow"))
        assert method not in allowed(reply)
        assert reply.json()["detail"].startswith(f"{method} is not allowed on {path}; use ")


def test_validate_is_not_an_experiment_id(live_server: Any) -> None:
    for method in ("GET", "DELETE"):
        reply = requests.request(method, live_server("/api/experiments/validate"), timeout=10)
        assert reply.status_code == 405, (method, reply.text)
        assert "POST" in allowed(reply) and method not in allowed(reply)
    valid = requests.post(
        live_server("/api/experiments/validate"), json=PIPELINE_DOCUMENT, timeout=30
    )
    assert valid.status_code == 200 and valid.json()["valid"] is True
    near = requests.get(live_server("/api/experiments/validated"), timeout=10)
    assert near.status_code == 404 and "validated" in near.json()["detail"]


def test_validate_with_reason_runs_the_owl_reasoner(
    live_server: Any, examples: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    iris = (examples / "iris.ttl").read_text()
    url, turtle = live_server("/api/experiments/validate"), {"Content-Type": TURTLE}
    plain = requests.post(url, data=iris, headers=turtle, timeout=30)
    assert plain.status_code == 200 and "reasoning" not in plain.json()
    reasoned = requests.post(url + "?reason=true", data=iris, headers=turtle, timeout=120)
    assert reasoned.status_code == 200, reasoned.text
    assert reasoned.json()["reasoning"]["consistent"] is True
    assert reasoned.json()["reasoning"]["unsatisfiable_classes"] == []
    # SHACL passes this; the reasoner finds a class below two disjoint step classes.
    unsatisfiable = (
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        + iris
        + "\n:CleanAndTrain a owl:Class ; rdfs:subClassOf ol:DataProcessing, ol:ModelBuilding .\n"
    )
    assert requests.post(url, data=unsatisfiable, headers=turtle, timeout=30).status_code == 200
    refused = requests.post(url + "?reason=true", data=unsatisfiable, headers=turtle, timeout=120)
    assert refused.status_code == 422, refused.text
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json()["unsatisfiable_classes"] == [":CleanAndTrain"]
    assert ":CleanAndTrain" in refused.json()["detail"]
    bad_flag = requests.post(url + "?reason=maybe", data=iris, headers=turtle, timeout=30)
    assert bad_flag.status_code == 400 and "true or false" in bad_flag.json()["detail"]
    monkeypatch.setenv("PATH", str(tmp_path))  # the server runs in this process
    no_java = requests.post(url + "?reason=true", data=iris, headers=turtle, timeout=30)
    assert no_java.status_code == 503
    assert "apt-get install default-jre-headless" in no_java.json()["detail"]
