"""The remote store's requests, against a tiny local HTTP server that records them: GraphDB's
URLs and token login, auth headers, retries, and the errors a user reads."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from rdflib import Literal, URIRef

from server.errors import ConfigError, QueryError, QueryTimeoutError, QueryTooLargeError, StoreError
from server.graph import write_terms
from server.settings import Settings
from server.store import Store, open_store
from server.store.base import Dataset, QueryLimits

G = URIRef("https://w3id.org/ontolab/id/run/0123456789abcdef")
S = URIRef("https://example.org/s")
P = URIRef("https://example.org/p")
EMPTY = {"head": {"vars": ["s"]}, "results": {"bindings": []}}


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Recorder:
    """Answers each request with the next reply queued for its path (or 200 + empty results)."""

    url: str
    seen: list[Seen] = field(default_factory=list)
    replies: dict[str, list[Reply | Callable[[], Reply]]] = field(default_factory=dict)

    def queue(self, path: str, *replies: Reply | Callable[[], Reply]) -> None:
        self.replies.setdefault(path, []).extend(replies)


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _any(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            recorder.seen.append(
                Seen(self.command, url.path, parse_qs(url.query, keep_blank_values=True),
                     dict(self.headers), self.rfile.read(length))
            )  # fmt: skip
            queued = recorder.replies.get(url.path)
            reply = queued.pop(0) if queued else (200, {}, json.dumps(EMPTY).encode())
            status, headers, body = reply() if callable(reply) else reply
            self.send_response(status)
            headers.setdefault("Content-Type", "application/sparql-results+json")
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _any

    return Handler


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Recorder("")))
    recorder = Recorder(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recorder
    server.shutdown()
    server.server_close()
    thread.join(5)


def remote(url: str, **settings: Any) -> Store:
    return open_store(url, Settings.load({"store": url, **settings}, environ={}))


def test_graphdb_urls_and_token_login(recorder: Recorder) -> None:
    recorder.queue("/rest/login", (200, {"Authorization": "GDB tok-1"}, b"{}"))
    store = remote(
        f"graphdb:{recorder.url}#lab", store_auth="graphdb", store_user="ann", store_password="pw"
    )
    store.select("SELECT ?s WHERE { ?s ?p ?o }")
    store.replace_graph(G, [(S, P, Literal("x"))])
    store.add_to_graph(G, [(S, P, write_terms.string("y"))])
    store.add_to_graph(G, [])
    store.delete_graph(G)
    login, query, put, add, update = recorder.seen
    assert (login.method, login.path) == ("POST", "/rest/login")
    assert json.loads(login.body) == {"username": "ann", "password": "pw"}
    assert (query.method, query.path) == ("POST", "/repositories/lab")
    assert query.form["query"] == ["SELECT ?s WHERE { ?s ?p ?o }"]
    assert query.headers["Accept"] == "application/sparql-results+json"
    assert query.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (put.method, put.path, put.params) == (
        "PUT", "/repositories/lab/rdf-graphs/service", {"graph": [str(G)]}
    )  # fmt: skip
    assert put.headers["Content-Type"].startswith("text/turtle")
    assert put.body == f'<{S}> <{P}> "x" .'.encode()
    assert (add.method, add.path) == ("POST", "/repositories/lab/statements")
    assert add.form["update"] == [f'INSERT DATA {{ GRAPH <{G}> {{\n<{S}> <{P}> "y" .\n}} }}']
    assert (update.method, update.path) == ("POST", "/repositories/lab/statements")
    assert update.form["update"] == [f"DROP SILENT GRAPH <{G}>"]
    assert {s.headers["Authorization"] for s in (query, put, add, update)} == {"GDB tok-1"}


def test_graphdb_repository_url_gets_the_preset(recorder: Recorder) -> None:
    store = remote(f"{recorder.url}/repositories/lab")
    store.select("SELECT * WHERE {}")
    store.replace_graph(G, [])
    assert [(s.method, s.path) for s in recorder.seen] == [
        ("POST", "/repositories/lab"),
        ("PUT", "/repositories/lab/rdf-graphs/service"),
    ]


def test_graphdb_token_expiry_logs_in_again_once(recorder: Recorder) -> None:
    recorder.queue("/rest/login", (200, {"Authorization": "GDB old"}, b""))
    recorder.queue("/rest/login", (200, {"Authorization": "GDB new"}, b""))
    recorder.queue("/repositories/lab", (401, {}, b"token expired"))
    store = remote(f"graphdb:{recorder.url}#lab", store_auth="graphdb", store_user="a")
    assert store.select("SELECT * WHERE {}") == []
    auths = [(s.path, s.headers.get("Authorization")) for s in recorder.seen]
    assert auths == [
        ("/rest/login", None),
        ("/repositories/lab", "GDB old"),
        ("/rest/login", None),
        ("/repositories/lab", "GDB new"),
    ]


@pytest.mark.parametrize(
    ("settings", "header"),
    [
        ({"store_auth": "basic", "store_user": "u", "store_password": "p"}, "Basic dTpw"),
        ({"store_auth": "bearer", "store_token": "t0k"}, "Bearer t0k"),
    ],
)
def test_basic_and_bearer_auth(recorder: Recorder, settings: dict[str, str], header: str) -> None:
    remote(f"fuseki:{recorder.url}/ds", **settings).select("SELECT * WHERE {}")
    assert recorder.seen[0].path == "/ds/query"
    assert recorder.seen[0].headers["Authorization"] == header


def test_fuseki_and_oxigraph_server_urls(recorder: Recorder) -> None:
    for url in (f"fuseki:{recorder.url}/ds", f"oxigraph-server:{recorder.url}"):
        store = remote(url)
        store.select("SELECT * WHERE {}")
        store.replace_graph(G, [])
        store.delete_graph(G)
    assert [(s.method, s.path) for s in recorder.seen] == [
        ("POST", "/ds/query"), ("PUT", "/ds/data"), ("POST", "/ds/update"),
        ("POST", "/query"), ("PUT", "/store"), ("POST", "/update"),
    ]  # fmt: skip
    assert recorder.seen[3].params == {"union-default-graph": [""]}


def test_plain_endpoint_writes_one_update(recorder: Recorder) -> None:
    store = remote(f"{recorder.url}/sparql", sparql_update_url=f"{recorder.url}/up")
    store.replace_graph(G, [(S, P, Literal(1))])
    store.replace_graph(G, [])
    (update, emptied) = recorder.seen
    assert emptied.form["update"] == [f"DROP SILENT GRAPH <{G}>"], "no empty INSERT DATA"
    assert update.path == "/up"
    assert update.form["update"] == [
        f"DROP SILENT GRAPH <{G}> ;\nINSERT DATA {{ GRAPH <{G}> {{\n<{S}> <{P}> "
        f'"1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n}} }}'
    ]


def test_rejected_credentials_name_the_endpoint_status_and_fix(recorder: Recorder) -> None:
    recorder.queue("/ds/query", (401, {}, b"Unauthorized"))
    store = remote(f"fuseki:{recorder.url}/ds", store_auth="basic", store_user="u")
    with pytest.raises(StoreError, match=rf"{recorder.url}/ds/query answered the query with "
                       r"HTTP 401 .*; check ONTOLAB_STORE_AUTH, ONTOLAB_STORE_USER"):  # fmt: skip
        store.select("SELECT * WHERE {}")


def test_refused_update_is_not_retried_and_says_how_to_grant(recorder: Recorder) -> None:
    recorder.queue("/ds/data", (403, {}, b"Forbidden"), (503, {}, b"busy"))
    store = remote(f"fuseki:{recorder.url}/ds")
    with pytest.raises(StoreError, match=r"/ds/data\?graph=.* HTTP 403 .*GRANT SPARQL_UPDATE"):
        store.replace_graph(G, [(S, P, Literal(1))])
    with pytest.raises(StoreError, match="HTTP 503"):
        store.replace_graph(G, [(S, P, Literal(1))])
    assert len(recorder.seen) == 2


def test_reads_are_retried_on_503_then_succeed(recorder: Recorder) -> None:
    recorder.queue("/ds/query", (503, {}, b"busy"), (502, {}, b"proxy"))
    assert remote(f"fuseki:{recorder.url}/ds").select("SELECT * WHERE {}") == []
    assert len(recorder.seen) == 3


def test_down_endpoint_names_it_and_the_fix() -> None:
    store = remote("oxigraph-server:http://127.0.0.1:9", store_retries=1)
    with pytest.raises(StoreError, match=r"cannot reach the SPARQL endpoint "
                       r"http://127.0.0.1:9/query .*is the server running"):  # fmt: skip
        store.select("SELECT * WHERE {}")


def test_slow_endpoint_times_out(recorder: Recorder) -> None:
    def slow() -> Reply:
        time.sleep(1.0)
        return 200, {}, json.dumps(EMPTY).encode()

    recorder.queue("/ds/query", slow)
    store = remote(f"fuseki:{recorder.url}/ds", store_timeout=0.2, store_retries=0)
    with pytest.raises(StoreError, match=r"did not answer the query within 0.2 s"):
        store.select("SELECT * WHERE {}")


def test_virtuoso_quirks_are_absorbed(recorder: Recorder) -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    bindings = [
        {"o": {"type": "typed-literal", "datatype": xsd + "boolean", "value": "1"}},
        {"o": {"type": "typed-literal", "datatype": xsd + "string", "value": "s"}},
        {"o": {"type": "typed-literal", "datatype": xsd + "integer", "value": "3"}},
    ]
    answer = json.dumps({"head": {"vars": ["o"]}, "results": {"bindings": bindings}}).encode()
    recorder.queue("/sparql", (200, {}, answer), (200, {}, answer))
    store = remote(f"virtuoso:{recorder.url}")
    assert [r["o"] for r in store.select("SELECT ?o WHERE {}")] == [
        Literal(True), Literal("s"), Literal(3)
    ]  # fmt: skip
    assert [r["o"] for r in store.select_values("SELECT ?o WHERE {}")] == [True, "s", 3]
    assert all(s.headers["Accept"] for s in recorder.seen)
    store.replace_graph(G, [])
    assert recorder.seen[-1].path == "/sparql-graph-crud"
    assert recorder.seen[-1].params == {"graph-uri": [str(G)]}


def test_cut_results_are_refused(recorder: Recorder) -> None:
    recorder.queue("/sparql", (200, {"X-SPARQL-MaxRows": "10000"}, json.dumps(EMPTY).encode()))
    with pytest.raises(StoreError, match="raise ResultSetMaxRows in virtuoso.ini"):
        remote(f"virtuoso:{recorder.url}").select("SELECT * WHERE {}")


def test_updates_never_reach_the_server_as_queries(recorder: Recorder) -> None:
    with pytest.raises(QueryError, match="SPARQL syntax error"):
        remote(f"virtuoso:{recorder.url}").serialize_query("DROP ALL")
    assert recorder.seen == []


@pytest.mark.parametrize(
    ("url", "settings", "message"),
    [
        ("graphdb:http://h:7200", {}, "names no repository; write graphdb:http://h:7200#REPO"),
        ("fuseki:h:3030/ds", {}, "is not an http.s. URL"),
        ("graphdb:http://h#r", {"store_auth": "bearer"}, "set ONTOLAB_STORE_TOKEN"),
        ("http://h/sparql", {"store_auth": "graphdb"}, "needs a GraphDB store"),
    ],
)
def test_bad_configuration_names_the_fix(url: str, settings: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        remote(url, **settings)


# --- a client's query under limits -----------------------------------------------------------


OXIGRAPH_CANCELLED = b"The SPARQL operation has been cancelled"


def limits(seconds: float = 2.5, max_bytes: int = 1_000_000) -> QueryLimits:
    return QueryLimits.starting_now(seconds, max_bytes)


@pytest.mark.parametrize(
    ("url", "path", "expected"),
    [
        ("graphdb:{}#lab", "/repositories/lab", ["3"]),  # seconds, rounded up
        ("fuseki:{}/ds", "/ds/query", ["3"]),
        ("virtuoso:{}", "/sparql", ["2500", "2499"]),  # milliseconds
        ("oxigraph-server:{}", "/query", None),  # only its own --timeout-s
    ],
)
def test_a_client_query_asks_the_server_to_stop_at_the_limit(
    recorder: Recorder, url: str, path: str, expected: list[str] | None
) -> None:
    remote(url.format(recorder.url)).serialize_query("SELECT * WHERE {}", (), limits(2.5))
    [seen] = recorder.seen
    assert seen.path == path
    timeout = seen.params.get("timeout")
    assert timeout is None if expected is None else timeout[0] in expected
    remote(url.format(recorder.url)).serialize_query("SELECT * WHERE {}")
    assert "timeout" not in recorder.seen[-1].params, "the platform's own queries: no limit"


def test_a_slow_store_is_a_timeout_once_not_retried(recorder: Recorder) -> None:
    def slow() -> Reply:
        time.sleep(1.5)
        return 200, {}, json.dumps(EMPTY).encode()

    recorder.queue("/ds/query", slow, slow)
    store = remote(f"fuseki:{recorder.url}/ds", store_retries=2)
    with pytest.raises(QueryTimeoutError, match=r"0.3 s and .*/ds/query had not answered"):
        store.serialize_query("SELECT * WHERE {}", (), limits(0.3))
    assert len(recorder.seen) == 1


@pytest.mark.parametrize(
    "reply",
    [
        # The Oxigraph server's --timeout-s: 200, and the message at the end of the body.
        (200, {}, b'{"head":{"vars":["n"]},"results":{"bindings":[' + OXIGRAPH_CANCELLED),
        # Virtuoso's `timeout`: whatever it had, marked as partial.
        (200, {"X-SQL-State": "S1TAT"}, json.dumps(EMPTY).encode()),
        # GraphDB's `timeout`.
        (503, {"Content-Type": "text/plain"}, b"Query evaluation took too long"),
    ],
)  # fmt: skip
def test_a_store_that_cancelled_the_query_is_a_timeout(recorder: Recorder, reply: Reply) -> None:
    recorder.queue("/query", reply)
    store = remote(f"oxigraph-server:{recorder.url}")
    with pytest.raises(QueryTimeoutError, match="ONTOLAB_SPARQL_TIMEOUT"):
        store.serialize_query("SELECT * WHERE {}", (), limits())


def test_an_answer_past_the_cap_is_refused(recorder: Recorder) -> None:
    recorder.queue("/query", (200, {}, b" " * 200_000))
    with pytest.raises(QueryTooLargeError, match="ONTOLAB_SPARQL_MAX_RESULT_MB"):
        remote(f"oxigraph-server:{recorder.url}").serialize_query(
            "SELECT * WHERE {}", (), limits(max_bytes=100_000)
        )


def test_a_service_query_is_not_run_here(recorder: Recorder) -> None:
    # The store tells a query's form by a local parse, which on an empty pyoxigraph store
    # would send the SERVICE's request from the platform: a SERVICE query is only read.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        silent.setblocking(False)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}/sparql"
        query = f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"
        data, _ = remote(f"oxigraph-server:{recorder.url}").serialize_query(query, (), limits())
        assert json.loads(data) == EMPTY
        with pytest.raises(BlockingIOError):
            silent.accept()  # nobody connected
    assert recorder.seen[0].form["query"] == [query]


KINDS = {
    "graphdb": ("graphdb:{url}#lab", "/repositories/lab", {"timeout"}),
    "fuseki": ("fuseki:{url}/ds", "/ds/query", {"timeout"}),
    "oxigraph-server": ("oxigraph-server:{url}", "/query", set()),
    "virtuoso": ("virtuoso:{url}", "/sparql", {"timeout"}),
    "plain": ("{url}/sparql", "/sparql", set()),
}
SELECT_ALL = "SELECT * WHERE { ?s ?p ?o }"


@pytest.mark.parametrize("kind", list(KINDS))
def test_dataset_goes_on_as_protocol_parameters_and_the_union_only_without_one(
    recorder: Recorder, kind: str
) -> None:
    location, path, timing = KINDS[kind]
    store = remote(location.format(url=recorder.url))
    limits = QueryLimits.starting_now(30, 10**6)
    store.serialize_query(SELECT_ALL, (), limits)
    store.serialize_query(f"SELECT * FROM <{G}> WHERE {{ ?s ?p ?o }}", (), limits)
    dataset = Dataset((str(G), str(S)), (str(P),))
    store.serialize_query(SELECT_ALL, (), limits, dataset)
    store.select(SELECT_ALL)
    plain, with_from, with_dataset, own = (
        {k: v for k, v in seen.params.items() if k not in timing} for seen in recorder.seen
    )
    assert {seen.path for seen in recorder.seen} == {path}
    union = {"union-default-graph": [""]} if kind == "oxigraph-server" else {}
    assert plain == own == union, "no dataset named: the union default graph"
    assert with_from == {}, "the query's own FROM is left to the server"
    assert with_dataset == {"default-graph-uri": [str(G), str(S)], "named-graph-uri": [str(P)]}
