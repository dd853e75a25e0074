"""One wire casing: every JSON body the API sends uses snake_case keys, and a run's details carry
each step's dependencies (the run view draws its graph from them)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.documents import iris_document

SNAKE = re.compile(r"[a-z][a-z0-9_]*")
# Objects whose keys are data (metric and hyperparameter names, run ids, SPARQL columns' rows
# are checked by their columns), not field names of the API.
OPEN_MAPS = {
    "metrics",
    "params",
    "best",
    "differing_params",
    "param_defaults",
    "values",
    "nodes",
    "definitions",
}


def camel_keys(body: Any, where: str = "") -> list[str]:
    """The keys of ``body`` (recursively) that are not snake_case, with where they are."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if not SNAKE.fullmatch(key):
                found.append(f"{where}.{key}")
            if key not in OPEN_MAPS:
                found += camel_keys(value, f"{where}.{key}")
    elif isinstance(body, list):
        for item in body:
            found += camel_keys(item, f"{where}[]")
    return found


@pytest.mark.slow
def test_every_json_body_is_snake_case_and_steps_carry_their_dependencies(
    live_server: Any, finished_run: Any
) -> None:
    document = iris_document("iris_wire", hyper={"max_iter": 300})
    validate = next(s for s in document["steps"] if s["id"] == "validate")
    validate["depends_on"] = ["extract"]  # an ordering edge besides the data flow
    stored = requests.post(live_server("/api/experiments"), json=document, timeout=30)
    assert stored.status_code == 201, stored.text
    started = requests.post(live_server("/api/runs"), json={"experiment": "iris_wire"}, timeout=30)
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    run = finished_run(live_server.url, run_id)
    assert run["status"] == "succeeded"

    details = requests.get(live_server(f"/api/runs/{run_id}"), timeout=10).json()
    assert {s["step_id"]: s["depends_on"] for s in details["steps"]} == {
        "extract": [],
        "process": ["extract"],
        "build": ["process"],
        "validate": ["build", "extract", "process"],
    }

    again = requests.post(live_server(f"/api/runs/{run_id}/rerun"), json={}, timeout=30)
    assert again.status_code == 202, again.text
    other = finished_run(live_server.url, again.json()["run_id"])["run_id"]
    names = [
        q["name"] for q in requests.get(live_server("/api/queries"), timeout=10).json()["queries"]
    ]
    paths = [
        "/api/health",
        "/api/vocabulary",
        "/api/experiments",
        "/api/experiments/iris_wire",
        "/api/experiments/iris_wire/versions/1",
        "/api/experiments/iris_wire/leaderboard?metric=accuracy",
        "/api/runs",
        f"/api/runs/{run_id}",
        f"/api/compare?runs={run_id},{other}",
        f"/api/lineage?run={run_id}",
        "/api/models",
        "/api/datasets",
        "/api/deployments",
        "/api/queries",
        *(
            f"/api/queries/{name}?run=https://w3id.org/ontolab/id/run/{run_id}"
            for name in ("run_summary", "run_steps", "run_metrics", "run_artifacts")
        ),
        *(f"/api/queries/{name}" for name in ("runs", "measures", "runs_in_flight")),
    ]
    assert {"run_summary", "runs", "measures"} <= set(names)
    wrong = {}
    for path in paths:
        reply = requests.get(live_server(path), headers={"Accept": "application/json"}, timeout=30)
        assert reply.status_code == 200, f"{path}: {reply.text}"
        body = reply.json()
        keys = camel_keys(body) + [
            f"column {c}" for c in body.get("columns", []) if not SNAKE.fullmatch(c)
        ]
        if keys:
            wrong[path] = keys
    assert wrong == {}
