"""/api/runs/ID/annotations: a run's tags and note, over real HTTP, and where they show."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from server.tracking import run_notes
from tests.conftest import LiveServer, assert_problem

TIMEOUT = 30


def _tracked_run(live: LiveServer, name: str) -> str:
    answer = requests.post(
        live("/api/tracking/runs"), json={"experiment": "notes", "name": name}, timeout=TIMEOUT
    )
    assert answer.status_code == 201, answer.text
    run_id = str(answer.json()["run_id"])
    batch = {"metrics": [{"key": "accuracy", "value": 0.9}], "params": {"C": name}}
    assert requests.post(live(f"/api/tracking/runs/{run_id}/batch"), json=batch, timeout=TIMEOUT).ok
    assert requests.post(live(f"/api/tracking/runs/{run_id}/end"), json={}, timeout=TIMEOUT).ok
    return run_id


def _annotations(live: LiveServer, run_id: str) -> dict[str, Any]:
    answer = requests.get(live(f"/api/runs/{run_id}/annotations"), timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_tags_and_note_are_saved_replaced_and_shown(live_server: LiveServer) -> None:
    first, second = _tracked_run(live_server, "a"), _tracked_run(live_server, "b")
    assert _annotations(live_server, first) == {"run_id": first, "tags": {}, "note": ""}
    url = live_server(f"/api/runs/{first}/annotations")
    body = {"tags": {"baseline": "yes", " team ": "vision"}, "note": "the one to beat"}
    saved = requests.put(url, json=body, timeout=TIMEOUT)
    assert saved.status_code == 200, saved.text
    assert saved.json()["tags"] == {"baseline": "yes", "team": "vision"}, "keys are trimmed"
    assert _annotations(live_server, first)["note"] == "the one to beat"

    listed = requests.get(live_server("/api/runs"), params={"experiment": "notes"}, timeout=TIMEOUT)
    by_id = {r["run_id"]: r for r in listed.json()["runs"]}
    assert by_id[first]["tags"] == {"baseline": "yes", "team": "vision"}
    assert by_id[second]["tags"] == {} and by_id[second]["note"] == ""
    compared = requests.get(
        live_server("/api/compare"), params={"runs": f"{first},{second}"}, timeout=TIMEOUT
    ).json()
    assert [r["note"] for r in compared["runs"]] == ["the one to beat", ""]

    replaced = requests.put(url, json={"tags": {"team": "nlp"}}, timeout=TIMEOUT)
    assert replaced.status_code == 200
    assert _annotations(live_server, first) == {
        "run_id": first,
        "tags": {"team": "nlp"},
        "note": "",
    }, "a PUT replaces the tags and note whole"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (["not", "an", "object"], "JSON object"),
        ({"tags": {}, "colour": "red"}, "unknown field(s) colour"),
        ({"tags": ["a"]}, "tags must be an object"),
        ({"tags": {"": "x"}}, "tag key"),
        ({"tags": {"bad\nkey": "x"}}, "control characters"),
        ({"tags": {"k": 3}}, "value of tag 'k'"),
        ({"tags": {"k": "x" * 1001}}, "at most 1000"),
        ({"tags": {f"k{i}": "v" for i in range(101)}}, "at most 100"),
        ({"note": 42}, "note must be a string"),
        ({"note": "x" * 10_001}, "at most 10000"),
    ],
)
def test_bad_annotations_are_refused_and_change_nothing(
    live_server: LiveServer, body: Any, fragment: str
) -> None:
    run_id = _tracked_run(live_server, "c")
    url = live_server(f"/api/runs/{run_id}/annotations")
    assert requests.put(url, json={"tags": {"keep": "me"}, "note": "n"}, timeout=TIMEOUT).ok
    assert_problem(requests.put(url, json=body, timeout=TIMEOUT), 400, fragment)
    assert _annotations(live_server, run_id)["tags"] == {"keep": "me"}
    assert _annotations(live_server, run_id)["note"] == "n"


def test_not_json_and_unknown_runs_are_refused(live_server: LiveServer) -> None:
    run_id = _tracked_run(live_server, "d")
    url = live_server(f"/api/runs/{run_id}/annotations")
    assert_problem(requests.put(url, data="tags", timeout=TIMEOUT), 400, "send JSON")
    assert_problem(
        requests.put(live_server("/api/runs/nope/annotations"), json={}, timeout=TIMEOUT),
        404,
        "no run 'nope'",
    )
    assert_problem(
        requests.get(live_server("/api/runs/nope/annotations"), timeout=TIMEOUT),
        404,
        "GET /api/runs",
    )


def test_deleting_the_experiment_deletes_its_runs_annotations(live_server: LiveServer) -> None:
    run_id = _tracked_run(live_server, "e")
    url = live_server(f"/api/runs/{run_id}/annotations")
    assert requests.put(url, json={"tags": {"k": "v"}}, timeout=TIMEOUT).ok
    graph = run_notes.annotations_graph(run_id)
    ask = f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    assert live_server.platform.store.ask(ask)
    assert requests.delete(live_server("/api/experiments/notes"), timeout=TIMEOUT).ok
    assert not live_server.platform.store.ask(ask)
