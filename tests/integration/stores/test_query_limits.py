"""A client's query under limits against the real Oxigraph server, started with --timeout-s."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from server.errors import QueryTimeoutError
from server.store import Store, open_store
from server.store.base import QueryLimits
from tests.integration.conftest import StoreServer, wait_until_up
from tests.processes import free_port

G = URIRef("https://w3id.org/ontolab/test/graph/limits")
P = URIRef("https://w3id.org/ontolab/test/p")
THREE = "?a ?b ?c . ?d ?e ?f . ?g ?h ?i"
FOUR = f"{THREE} . ?j ?k ?l"
PRODUCT = f"SELECT * WHERE {{ {FOUR} . ?m ?n ?o }}"
COUNTED = f"SELECT (COUNT(*) AS ?n) WHERE {{ {THREE} }}"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """``oxigraph serve --timeout-s 1`` holding 300 triples."""
    directory = tmp_path_factory.mktemp("oxigraph-timeout")
    binary = Path(sys.executable).parent / "oxigraph"
    port, log = free_port(), directory / "oxigraph.log"
    command = [str(binary), "serve", "--location", str(directory / "db")]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{port}", "--timeout-s", "1"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = StoreServer(f"oxigraph-server:http://127.0.0.1:{port}", process)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", process, log, 30)
        opened = open_store(server.store_url)
        opened.replace_graph(G, [(URIRef(f"{G}/{i}"), P, Literal(i)) for i in range(300)])
        yield opened
        opened.close()
    finally:
        server.stop()


def test_a_streaming_answer_is_cut_at_the_deadline_and_the_server_goes_on(store: Store) -> None:
    # The server's own --timeout-s never stops a query whose results already stream.
    with pytest.raises(QueryTimeoutError, match="1.5 s and was stopped"):
        store.serialize_query(PRODUCT, (), QueryLimits.starting_now(1.5, 10**9))
    assert store.ask(f"ASK {{ <{G}/7> <{P}> 7 }}")


def test_a_query_the_server_cancels_is_a_timeout(store: Store) -> None:
    with pytest.raises(QueryTimeoutError, match="cancelled by .*--timeout-s"):
        store.serialize_query(COUNTED, (), QueryLimits.starting_now(120, 10**9))
    assert store.ask(f"ASK {{ <{G}/7> <{P}> 7 }}")


def test_virtuoso_stops_at_the_limit_it_is_sent(store_servers: dict[str, StoreServer]) -> None:
    # Virtuoso gets `timeout` in ms and then answers what it has (X-SQL-State: S1TAT), or a
    # 500 mid-stream: either way a 504 for the client, never a partial answer.
    virtuoso = open_store(store_servers["virtuoso"].store_url)
    try:
        virtuoso.replace_graph(G, [(URIRef(f"{G}/{i}"), P, Literal(i)) for i in range(300)])
        for selected in ("(COUNT(*) AS ?n)", "*"):
            query = f"SELECT {selected} WHERE {{ GRAPH <{G}> {{ {FOUR} }} }}"
            with pytest.raises(QueryTimeoutError, match="ONTOLAB_SPARQL_TIMEOUT"):
                virtuoso.serialize_query(query, (), QueryLimits.starting_now(1.5, 10**9))
        assert virtuoso.ask(f"ASK {{ GRAPH <{G}> {{ <{G}/7> <{P}> 7 }} }}")
    finally:
        virtuoso.delete_graph(G)
        virtuoso.close()
