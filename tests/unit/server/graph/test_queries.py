"""Named queries: every file parses, parameters are typed and bound safely."""

from __future__ import annotations

import re

import pytest
from rdflib import Literal, URIRef

from server.errors import NotFoundError, QueryError
from server.graph import queries
from server.store import open_store

SAMPLE = {
    "iri": "https://example.org/x",
    "string": "x",
    "integer": 1,
    "decimal": 0.5,
    "boolean": True,
    "datetime": "2026-01-01T00:00:00+00:00",
    "iris": ["https://example.org/x", "https://example.org/y"],
    "strings": ["x", "y"],
}


@pytest.mark.parametrize("name", queries.available())
def test_every_named_query_parses_and_runs_on_an_empty_store(name: str) -> None:
    query = queries.load(name)
    assert query.description, f"{name}.rq needs a header comment saying what it answers"
    text = query.render(**{p: SAMPLE[kind] for p, kind in query.params.items()})
    assert "$" not in text.split("\n", len(query.params) + 1)[-1] or "$" not in text
    store = open_store("oxigraph:memory")
    if "CONSTRUCT" in text:
        assert store.construct(text) == []
    elif text.lstrip("# \n").find("ASK") >= 0 and "SELECT" not in text:
        store.ask(text)
    else:
        nothing = [{"n": 0}] if re.search(r"\((COUNT\(\*\)|SUM\(\?\w+\)) AS \?n\)", text) else []
        assert store.select_values(text) == nothing, "an empty store answers nothing (a count 0)"


def test_string_values_cannot_change_the_query() -> None:
    store = open_store("oxigraph:memory")
    graph = URIRef("https://w3id.org/ontolab/id/experiment/a/v1")
    store.replace_graph(graph, [])
    hostile = 'x" } } UNION { ?s ?p ?o } #'
    assert queries.select(store, "experiment_versions", identifier=hostile) == []
    rendered = queries.load("experiment_versions").render(identifier=hostile)
    assert Literal(hostile).n3() in rendered


@pytest.mark.parametrize("bad", ["no-scheme", "http://x> } <y", "http://a b", ""])
def test_bad_iris_are_refused(bad: str) -> None:
    with pytest.raises(QueryError, match="parameter 'run' must be a iri"):
        queries.load("run_steps").render(run=bad)


def test_missing_and_unexpected_parameters_are_named() -> None:
    with pytest.raises(QueryError, match=r"missing \['run'\], unexpected \['rn'\]"):
        queries.load("run_steps").render(rn="https://example.org/r")


def test_a_list_binds_each_item_checked_as_its_kind() -> None:
    store = open_store("oxigraph:memory")
    hostile = 'accuracy" } ?x ?y ?z { "'
    rendered = queries.load("all_run_metrics").render(names=["f1", hostile])
    assert f'VALUES ?metric {{ "f1" {Literal(hostile).n3()} }}' in rendered
    assert store.select_values(rendered) == []
    with pytest.raises(QueryError, match="parameter 'runs' must be a iri"):
        queries.load("runs_of").render(runs=["https://example.org/r", "http://x> } <y"])
    with pytest.raises(QueryError, match="parameter 'runs' must be a list of iris"):
        queries.load("runs_of").render(runs="https://example.org/r")


def test_integer_parameter_rejects_text() -> None:
    with pytest.raises(QueryError, match="must be a integer"):
        queries.to_sparql("limit", "integer", "ten")


def test_unknown_query_name() -> None:
    with pytest.raises(NotFoundError, match="no query named 'nope'"):
        queries.load("nope")
    with pytest.raises(NotFoundError, match="lower_snake_case"):
        queries.load("../etc/passwd")
