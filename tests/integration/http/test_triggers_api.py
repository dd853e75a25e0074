"""/api/experiments/ID/triggers over real HTTP: every bad input is a clear problem and stores
nothing; a manual trigger fired by hand starts a real run; the routes are in the OpenAPI
document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest import LiveServer, assert_problem, wait_for_run
from tests.documents import iris_document

EXPERIMENT = "trig_api"
TIMEOUT = 30


@pytest.fixture
def server(live_server: LiveServer) -> Iterator[LiveServer]:
    document = iris_document(EXPERIMENT, estimator="GaussianNB")
    answer = requests.post(live_server("/api/experiments"), json=document, timeout=TIMEOUT)
    assert answer.status_code == 201, answer.text
    yield live_server


def triggers_url(server: LiveServer, experiment: str = EXPERIMENT) -> str:
    return server(f"/api/experiments/{experiment}/triggers")


def create(server: LiveServer, body: dict[str, Any]) -> requests.Response:
    return requests.post(triggers_url(server), json=body, timeout=TIMEOUT)


def stored(server: LiveServer) -> list[dict[str, Any]]:
    answer = requests.get(triggers_url(server), timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["triggers"]
    return found


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (
            {"kind": "schedule", "cron": "0 25 * * *"},
            ["cron expression '0 25 * * *' is malformed", "five fields"],
        ),
        ({"kind": "schedule", "cron": "every night"}, ["cron expression 'every night'"]),
        (
            {"kind": "performance", "metric": "rmse", "threshold": 0.4},
            ["a classification experiment has no metric 'rmse'", "use one of accuracy"],
        ),
        (
            {"kind": "whenever"},
            ["unknown trigger kind 'whenever'", "schedule, new_data, drift, performance, manual"],
        ),
        ({}, ["unknown trigger kind none"]),
        ({"kind": "manual", "cron": "* * * * *"}, ["a manual trigger takes no 'cron'"]),
        (
            {"kind": "schedule", "cron": "@daily", "timezone": "Atlantis/Capital"},
            ["time zone 'Atlantis/Capital' is unknown"],
        ),
        ({"kind": "drift", "threshold": 0.3, "deployments": "d1"}, ['"deployments" is a list']),
    ],
)
def test_bad_input_is_a_clear_400_and_stores_nothing(
    server: LiveServer, body: dict[str, Any], fragments: list[str]
) -> None:
    problem = assert_problem(create(server, body), 400, *fragments)
    assert problem["title"] == "Invalid trigger"
    assert stored(server) == []


def test_values_the_shape_refuses_come_back_as_violations(server: LiveServer) -> None:
    body = {"kind": "drift", "threshold": 2, "windows": "three", "debounce_seconds": -1}
    problem = assert_problem(create(server, body), 400, "breaks 3 rule(s) of the trigger shapes")
    paths = sorted(v["path"] for v in problem["violations"])
    assert paths == ["ol:consecutiveWindows", "ol:debounceSeconds", "ol:driftShareThreshold"]
    assert all(v["message"] for v in problem["violations"])
    assert stored(server) == []


def test_an_experiment_that_does_not_exist_is_a_404(server: LiveServer) -> None:
    answer = requests.post(
        triggers_url(server, "no_such"), json={"kind": "manual"}, timeout=TIMEOUT
    )
    assert_problem(answer, 404, "no experiment 'no_such' is stored")
    assert_problem(requests.get(triggers_url(server, "no_such"), timeout=TIMEOUT), 404)
    unknown = requests.get(triggers_url(server) + "/0123456789ab", timeout=TIMEOUT)
    assert_problem(unknown, 404, "has no trigger '0123456789ab'")
    fire = requests.post(triggers_url(server) + "/0123456789ab/fire", timeout=TIMEOUT)
    assert_problem(fire, 404)


def test_create_list_fire_firings_remove(server: LiveServer) -> None:
    answer = create(server, {"kind": "manual", "label": "by hand", "cooldown_seconds": 3600})
    assert answer.status_code == 201, answer.text
    trigger = answer.json()
    assert trigger["kind"] == "manual" and trigger["label"] == "by hand"
    assert trigger["iri"].endswith(f"/trigger/{trigger['id']}")
    assert [t["id"] for t in stored(server)] == [trigger["id"]]
    one = triggers_url(server) + f"/{trigger['id']}"
    assert requests.get(one, timeout=TIMEOUT).json() == trigger

    fired = requests.post(one + "/fire", timeout=TIMEOUT)
    assert fired.status_code == 201, fired.text
    firing = fired.json()
    assert firing["outcome"] == "started" and firing["trigger"] == trigger["id"]
    run = wait_for_run(server.url, firing["run_id"])
    assert run["status"] == "succeeded"
    again = requests.post(one + "/fire", timeout=TIMEOUT).json()
    assert again["outcome"] == "cooldown" and again["run_id"] is None

    listed = requests.get(one + "/firings", timeout=TIMEOUT).json()["firings"]
    assert [f["id"] for f in listed] == [again["id"], firing["id"]]
    assert_problem(requests.get(one + "/firings?limit=0", timeout=TIMEOUT), 400, "limit")

    removed = requests.delete(one, timeout=TIMEOUT)
    assert removed.status_code == 200 and removed.json()["id"] == trigger["id"]
    assert stored(server) == []
    assert_problem(requests.get(one, timeout=TIMEOUT), 404)


def test_the_routes_are_in_the_openapi_document(server: LiveServer) -> None:
    paths = requests.get(server("/api/openapi.json"), timeout=TIMEOUT).json()["paths"]
    base = "/api/experiments/{identifier}/triggers"
    assert set(paths[base]) == {"post", "get"}
    assert set(paths[base + "/{trigger_id}"]) == {"get", "delete"}
    assert "post" in paths[base + "/{trigger_id}/fire"]
    assert "get" in paths[base + "/{trigger_id}/firings"]
    kinds = [s["properties"]["kind"]["const"] for s in _request_schemas(paths[base]["post"])]
    assert kinds == ["schedule", "new_data", "drift", "performance", "manual"]


def _request_schemas(operation: dict[str, Any]) -> list[dict[str, Any]]:
    schemas: list[dict[str, Any]] = operation["requestBody"]["content"]["application/json"][
        "schema"
    ]["oneOf"]
    return schemas
