"""The tags and note people give a run after the fact (any run: native or tracked).

They live in the run's own annotations graph (``<run IRI>/annotations``), apart from the run
graph the writer owns, so a run still going on can be tagged and a rewrite of its results never
drops them; each save replaces that graph whole. Tags are ``ol:Tag`` nodes (``ol:tagKey``,
``ol:tagValue``) as a tracked run's own tags are; the note is ``ol:runNote``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef

from server.errors import BadRequest, NotFoundError, TrackingInputError
from server.graph import queries
from server.graph.namespaces import OL, run_annotations_graph, run_iri
from server.graph.write_terms import iri, string
from server.store.base import ReadableStore, Store, WriteTriple
from server.tracking.tracked_records import check_key
from server.tracking.tracked_results import tag_triples

MAX_TAGS = 100
MAX_VALUE = 1000  # characters of a tag's value
MAX_NOTE = 10_000  # characters of the note


@dataclass
class Annotations:
    tags: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"tags": dict(sorted(self.tags.items())), "note": self.note}


def annotations_graph(run_id: str) -> URIRef:
    return run_annotations_graph(run_iri(run_id))


def parse(body: Any) -> Annotations:
    """A request body ``{"tags": {KEY: VALUE}, "note": TEXT}`` (both optional) as annotations;
    BadRequest naming the fix for anything else."""
    if not isinstance(body, dict):
        raise BadRequest('send a JSON object: {"tags": {"KEY": "VALUE"}, "note": "TEXT"}')
    unknown = sorted(set(body) - {"tags", "note"})
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(unknown)}; send only tags and note")
    tags = body.get("tags") or {}
    if not isinstance(tags, dict):
        raise BadRequest('tags must be an object of strings: {"tags": {"KEY": "VALUE"}}')
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"{len(tags)} tags is too many; keep at most {MAX_TAGS}")
    for key, value in tags.items():
        try:
            check_key("tag", key.strip() if isinstance(key, str) else key)
        except TrackingInputError as exc:
            raise BadRequest(str(exc)) from exc
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise BadRequest(
                f"the value of tag {key!r} must be a string of at most {MAX_VALUE} characters"
            )
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise BadRequest(f"note must be a string of at most {MAX_NOTE} characters")
    return Annotations({k.strip(): v for k, v in tags.items()}, note)


def save(store: Store, run_id: str, annotations: Annotations) -> Annotations:
    """Replace the run's annotations; NotFoundError when there is no such run."""
    _check_exists(store, run_id)
    store.replace_graph(annotations_graph(run_id), _triples(run_id, annotations))
    return annotations


def read(store: ReadableStore, run_id: str) -> Annotations:
    """The run's annotations (none yet: empty); NotFoundError when there is no such run."""
    _check_exists(store, run_id)
    return of_runs(store, [run_id])[run_id]


def of_runs(store: ReadableStore, run_ids: Iterable[str]) -> dict[str, Annotations]:
    """Each run's annotations, in one query (runs without any: empty)."""
    ids = list(dict.fromkeys(run_ids))
    out = {run_id: Annotations() for run_id in ids}
    if not ids:
        return out
    by_iri = {str(run_iri(run_id)): run_id for run_id in ids}
    graphs = [str(annotations_graph(run_id)) for run_id in ids]
    for row in queries.select_values(store, "run_annotations", graphs=graphs):
        found = out.get(by_iri.get(str(row["run"]), ""))
        if found is None:
            continue
        if row.get("key") is not None:
            found.tags[str(row["key"])] = str(row["value"])
        if row.get("note") is not None:
            found.note = str(row["note"])
    return out


def _check_exists(store: ReadableStore, run_id: str) -> None:
    if not queries.ask(store, "run_exists", run=str(run_iri(run_id))):
        raise NotFoundError(f"no run {run_id!r}; list runs with GET /api/runs")


def _triples(run_id: str, annotations: Annotations) -> list[WriteTriple]:
    node = iri(run_iri(run_id))
    out = tag_triples(node, annotations_graph(run_id), annotations.tags)
    if annotations.note:
        out.append((node, OL.runNote, string(annotations.note)))
    return out
