"""GET /api/experiments/ID/versions/N/document: a stored version as the builder's pipeline
document, and the round trip load → save unchanged → the same version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic

from tests.documents import iris_document

TURTLE = "text/turtle"


def _document(identifier: str) -> dict[str, Any]:
    doc = iris_document(
        identifier,
        label="Round trip",
        hyper={"max_iter": 500, "C": 0.5},
        parameters={"search_strategy": "grid", "search_folds": 2},
        build={
            "search_space": {"C": [0.1, 1.0]},
            "resources": {"cpus": 1, "memory": "1g", "timeout_seconds": 600},
        },
    )
    validate = next(s for s in doc["steps"] if s["id"] == "validate")
    validate["depends_on"] = ["extract"]
    return doc


def _loaded(server: Any, identifier: str, version: int) -> dict[str, Any]:
    reply = requests.get(
        server(f"/api/experiments/{identifier}/versions/{version}/document"), timeout=30
    )
    assert reply.status_code == 200, reply.text
    answer: dict[str, Any] = reply.json()
    assert (answer["identifier"], answer["version"]) == (identifier, version)
    return answer


def _graph(server: Any, identifier: str, version: int) -> Graph:
    reply = requests.get(
        server(f"/api/experiments/{identifier}/versions/{version}"),
        headers={"Accept": TURTLE},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    return Graph().parse(data=reply.text, format="turtle")


def _canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with its steps by id and lists sorted: the order a document never means."""
    steps = {}
    for step in doc["steps"]:
        step = dict(step)
        for key in ("consumes", "depends_on"):
            if key in step:
                step[key] = sorted(step[key])
        steps[step["id"]] = step
    return {**doc, "steps": steps}


def test_a_saved_document_loads_as_sent_and_saves_unchanged(live_server: Any) -> None:
    sent = _document("round_trip")
    first = requests.post(live_server("/api/experiments"), json=sent, timeout=30)
    assert first.status_code == 201, first.text
    answer = _loaded(live_server, "round_trip", 1)
    assert answer["code_sha256"] is None and answer["provisioner"] is None
    assert _canonical(answer["document"]) == _canonical(sent)

    again = requests.post(live_server("/api/experiments"), json=answer["document"], timeout=30)
    assert again.status_code == 200, again.text
    assert again.json()["created_new_version"] is False and again.json()["version"] == 1

    # An edit on the loaded document is a new version; its graph differs from the first
    # exactly by that edit.
    edited = answer["document"]
    edited["label"] = "Round trip, edited"
    second = requests.post(live_server("/api/experiments"), json=edited, timeout=30)
    assert second.status_code == 201 and second.json()["version"] == 2
    assert _loaded(live_server, "round_trip", 2)["document"]["label"] == "Round trip, edited"
    assert not isomorphic(
        _graph(live_server, "round_trip", 1), _graph(live_server, "round_trip", 2)
    )


def test_the_document_of_a_turtle_version_saves_as_an_equal_pipeline(
    live_server: Any, examples: Path
) -> None:
    turtle = (examples / "breast_cancer.ttl").read_text()
    first = requests.post(
        live_server("/api/experiments"), data=turtle, headers={"Content-Type": TURTLE}, timeout=30
    )
    assert first.status_code == 201, first.text
    loaded = _loaded(live_server, "breast_cancer", 1)["document"]
    assert loaded["id"] == "breast_cancer" and loaded["steps"]
    saved = requests.post(live_server("/api/experiments"), json=loaded, timeout=30)
    assert saved.status_code in (200, 201), saved.text
    number = saved.json()["version"]
    assert _canonical(_loaded(live_server, "breast_cancer", number)["document"]) == _canonical(
        loaded
    )
    # Saved unchanged once more: no further version.
    again = requests.post(live_server("/api/experiments"), json=loaded, timeout=30)
    assert again.json() == saved.json() | {"created_new_version": False}


def test_the_provisioner_survives_the_round_trip(live_server: Any, examples: Path) -> None:
    """A version meant for Docker, opened in the builder and saved unchanged, is the same
    version, still for Docker (the document carried no provisioner before, so a save from the
    builder moved the experiment onto the platform's default)."""
    turtle = (
        (examples / "iris.ttl")
        .read_text()
        .replace("ol:task ", 'ol:provisioner "docker" ;\n    ol:task ', 1)
    )
    assert 'ol:provisioner "docker"' in turtle
    stored = requests.post(
        live_server("/api/experiments"), data=turtle, headers={"Content-Type": TURTLE}, timeout=30
    )
    assert stored.status_code == 201, stored.text
    identifier = stored.json()["identifier"]
    answer = _loaded(live_server, identifier, 1)
    assert answer["provisioner"] == answer["document"]["provisioner"] == "docker"
    saved = requests.post(live_server("/api/experiments"), json=answer["document"], timeout=30)
    number = saved.json()["version"]
    assert _loaded(live_server, identifier, number)["provisioner"] == "docker"
    again = requests.post(live_server("/api/experiments"), json=answer["document"], timeout=30)
    assert again.json() == saved.json() | {"created_new_version": False}

    # Another provisioner is a new version; a name SHACL does not know is a 400 naming it.
    answer["document"]["provisioner"] = "local"
    moved = requests.post(live_server("/api/experiments"), json=answer["document"], timeout=30)
    assert moved.status_code == 201, moved.text
    assert _loaded(live_server, identifier, moved.json()["version"])["provisioner"] == "local"
    for wrong in ("kubernetes", 3):
        answer["document"]["provisioner"] = wrong
        refused = requests.post(
            live_server("/api/experiments"), json=answer["document"], timeout=30
        )
        assert refused.status_code == 400, refused.text
        assert "provisioner" in refused.text


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/api/experiments/nowhere/versions/1/document", "nowhere"),
        ("/api/experiments/round_trip/versions/9/document", "9"),
    ],
)
def test_an_unknown_experiment_or_version_is_a_404_naming_it(
    live_server: Any, path: str, words: str
) -> None:
    requests.post(live_server("/api/experiments"), json=_document("round_trip"), timeout=30)
    reply = requests.get(live_server(path), timeout=30)
    assert reply.status_code == 404
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert words in reply.json()["detail"]
