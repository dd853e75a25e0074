"""Client queries under limits: SERVICE refused unless allowed, a deadline, bounded slots."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Literal, URIRef

from server.errors import (
    ConfigError,
    QueryBusyError,
    QueryTimeoutError,
    QueryTooLargeError,
    ReadOnlyError,
    ServiceRefusedError,
)
from server.graph.query_guard import QueryGuard, refuse_service
from server.settings import Settings
from server.store.base import Dataset
from server.store.oxigraph import OxigraphStore

EP = "https://example.org/sparql"
G = URIRef("https://example.org/graph")
#: A 5-way product of all triples: its solutions stream, without end in practice.
PRODUCT = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o }"
#: A 3-way product counted (1.7 million rows, a second or more): evaluated whole before its
#: first row.
COUNTED = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def store() -> Iterator[OxigraphStore]:
    opened = OxigraphStore()
    triples = [(URIRef(f"https://example.org/{i}"), URIRef(EP), Literal(i)) for i in range(120)]
    opened.replace_graph(G, triples)
    yield opened
    opened.close()


def test_service_is_refused_by_default_naming_the_setting() -> None:
    with pytest.raises(ServiceRefusedError, match=f"SERVICE <{EP}>.*ONTOLAB_SPARQL_SERVICE_ALLOW"):
        refuse_service(f"SELECT * {{ SERVICE SILENT <{EP}> {{ ?s ?p ?o }} }}", frozenset())


def test_a_listed_endpoint_is_let_through_and_only_that_one() -> None:
    refuse_service(f"SELECT * {{ SERVICE <{EP}> {{ ?s ?p ?o }} }}", frozenset({EP}))
    with pytest.raises(ServiceRefusedError, match="now: https://example.org/sparql"):
        refuse_service("SELECT * { SERVICE <https://other/> { ?s ?p ?o } }", frozenset({EP}))


def test_a_variable_endpoint_is_always_refused() -> None:
    query = f"SELECT * {{ VALUES ?e {{ <{EP}> }} SERVICE ?e {{ ?s ?p ?o }} }}"
    with pytest.raises(ServiceRefusedError, match=r"SERVICE \?e is refused.*never a variable"):
        refuse_service(query, frozenset({EP}))


def test_settings_read_the_allow_list_and_check_the_limits() -> None:
    settings = Settings.load({"sparql_service_allow": f" {EP}, https://b/q "}, environ={})
    assert settings.service_endpoints == {EP, "https://b/q"}
    with pytest.raises(ConfigError, match="ONTOLAB_SPARQL_SERVICE_ALLOW names sparql"):
        Settings.load({"sparql_service_allow": "sparql"}, environ={})
    with pytest.raises(ConfigError, match="ONTOLAB_SPARQL_TIMEOUT"):
        Settings.load(environ={"ONTOLAB_SPARQL_TIMEOUT": "0"})
    with pytest.raises(ConfigError, match="ONTOLAB_SPARQL_MAX_RUNNING"):
        Settings.load(environ={"ONTOLAB_SPARQL_MAX_RUNNING": "0"})


def test_a_streaming_query_is_stopped_at_the_deadline(store: OxigraphStore) -> None:
    guard = QueryGuard(store, timeout=0.5, max_running=1, max_bytes=10**11, max_rows=0)
    with pytest.raises(QueryTimeoutError, match="0.5 s and was stopped.*ONTOLAB_SPARQL_TIMEOUT"):
        guard.serialize_query(PRODUCT)
    guard.serialize_query("ASK {}")  # the slot came back: the query really ended


def test_a_blocking_query_is_answered_at_the_deadline_and_keeps_its_slot(
    store: OxigraphStore,
) -> None:
    guard = QueryGuard(store, timeout=0.1, max_running=1, grace=0, slot_wait=0)
    with pytest.raises(QueryTimeoutError, match="still running.*ONTOLAB_SPARQL_MAX_RUNNING"):
        guard.serialize_query(COUNTED)
    with pytest.raises(QueryBusyError, match="1 SPARQL queries are already running"):
        guard.serialize_query("ASK {}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the slot comes back once the count has ended
        try:
            assert guard.serialize_query("ASK {}")[0]
            return
        except QueryBusyError:
            continue
    pytest.fail("the slot of a finished query was not given back")


def test_an_answer_past_the_size_cap_is_refused(store: OxigraphStore) -> None:
    guard = QueryGuard(store, timeout=30, max_bytes=10_000)
    with pytest.raises(QueryTooLargeError, match="0.01 MB.*ONTOLAB_SPARQL_MAX_RESULT_MB"):
        guard.serialize_query(PRODUCT)
    data, media_type = guard.serialize_query(f"SELECT ?s WHERE {{ ?s <{EP}> 7 }}")
    assert b"example.org/7" in data and media_type == "application/sparql-results+json"


class _Blocking:
    """A store whose queries wait for ``release`` (as a query with no end would)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def serialize_query(self, query: str, *limits_and_dataset: Any) -> tuple[bytes, str]:
        self.started.release()
        self.release.wait(30)
        return b"{}", "application/sparql-results+json"


def test_beyond_the_slots_a_client_gets_503_with_retry_after() -> None:
    blocking = _Blocking()
    guard = QueryGuard(blocking, timeout=30, max_running=2)  # type: ignore[arg-type]
    threads = [threading.Thread(target=guard.serialize_query, args=("ASK {}",)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert blocking.started.acquire(timeout=10)
    started = time.monotonic()
    with pytest.raises(QueryBusyError, match="2 SPARQL queries.*retry in 5 s") as caught:
        guard.serialize_query("ASK {}")
    assert time.monotonic() - started < 10, "a busy answer does not wait for a slot forever"
    assert caught.value.headers == {"Retry-After": "5"}
    blocking.release.set()
    for thread in threads:
        thread.join(10)
    assert guard.serialize_query("ASK {}")[0] == b"{}"


def test_service_is_refused_before_anything_runs() -> None:
    blocking = _Blocking()
    guard = QueryGuard(blocking, timeout=30)  # type: ignore[arg-type]
    with pytest.raises(ServiceRefusedError):
        guard.serialize_query(f"SELECT * {{ SERVICE <{EP}> {{ ?s ?p ?o }} }}")
    assert not blocking.started.acquire(timeout=0)


ROWS_OF = f"SELECT ?s ?o WHERE {{ ?s <{EP}> ?o FILTER(?o < $n) }}"


@pytest.mark.parametrize(
    "media_type",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_a_select_past_the_row_cap_is_refused_not_cut(
    store: OxigraphStore, media_type: str
) -> None:
    guard = QueryGuard(store, timeout=30, max_rows=100)
    with pytest.raises(
        QueryTooLargeError, match=r"more than 100 rows.*refused rather than cut.*add a LIMIT"
    ) as refused:
        guard.serialize_query(ROWS_OF.replace("$n", "101"), [media_type])
    assert "ontolab store export" in str(refused.value)
    assert "ONTOLAB_SPARQL_MAX_ROWS" in str(refused.value)
    data, used = guard.serialize_query(ROWS_OF.replace("$n", "100"), [media_type])
    assert used == media_type and b"example.org/99" in data


def test_the_row_cap_counts_solutions_not_triples_of_a_graph(store: OxigraphStore) -> None:
    guard = QueryGuard(store, timeout=30, max_rows=10)
    data, _ = guard.serialize_query(f"CONSTRUCT WHERE {{ ?s <{EP}> ?o }}", ["text/turtle"])
    assert data.count(b"\n") == 120  # a graph is bounded by its size only
    assert guard.serialize_query("ASK { ?s ?p ?o }")[0].endswith(b"true}")


def test_settings_check_the_row_cap() -> None:
    assert Settings.load(environ={"ONTOLAB_SPARQL_MAX_ROWS": "5"}).sparql_max_rows == 5
    with pytest.raises(ConfigError, match="ONTOLAB_SPARQL_MAX_ROWS must be at least 1"):
        Settings.load(environ={"ONTOLAB_SPARQL_MAX_ROWS": "0"})


@pytest.mark.parametrize(
    "update",
    [
        "DROP ALL",
        "PREFIX ex: <https://example.org/> INSERT DATA { ex:a ex:b 1 }",
        "# a comment\nclear graph <https://example.org/graph>",
        "LOAD <https://example.org/data.ttl>",
        "WITH <https://example.org/graph> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "DELETE WHERE { ?s ?p ?o }",
    ],
)
def test_an_update_sent_as_a_query_is_refused_as_read_only(
    store: OxigraphStore, update: str
) -> None:
    guard = QueryGuard(store, timeout=30)
    with pytest.raises(ReadOnlyError, match=r"is a SPARQL Update.*read-only.*ontolab store import"):
        guard.serialize_query(update)
    assert guard.serialize_query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")[0].count(b'"120"') == 1


def test_the_protocol_dataset_reaches_the_store(store: OxigraphStore) -> None:
    guard = QueryGuard(store, timeout=30)
    count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    assert b'"120"' in guard.serialize_query(count)[0]  # the union
    assert b'"0"' in guard.serialize_query(count, (), Dataset(("https://example.org/x",)))[0]
    assert b'"120"' in guard.serialize_query(count, (), Dataset((str(G),)))[0]
