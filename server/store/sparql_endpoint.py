"""A remote store: any SPARQL 1.1 server, over the SPARQL 1.1 Protocol and the Graph Store
Protocol (GSP), with presets for GraphDB, Apache Jena Fuseki, the Oxigraph server and Virtuoso.

``ONTOLAB_STORE`` names the server (see ``server/store/__init__.py``); where each kind takes
queries, updates and whole graphs is ``server/store/presets.py``.

How the Store contract is kept over HTTP:

- Union default graph: Oxigraph is asked for it per query (``union-default-graph``); Virtuoso
  and GraphDB query all graphs by default; Fuseki needs ``tdb2:unionDefaultGraph true``.
- A query's own ``FROM`` / ``FROM NAMED`` is left to the server (the Oxigraph server is then
  not asked for the union, which would replace them); a client's protocol ``Dataset`` goes on
  as ``default-graph-uri`` / ``named-graph-uri`` parameters, which every kind takes, with the
  query's own clauses cut out (Virtuoso merges the two; the protocol says the parameters win).
- ``replace_graph`` is one request: a GSP ``PUT`` of the whole graph (Turtle) where the server
  has a graph store, else one update ``DROP SILENT GRAPH … ; INSERT DATA …`` (``INSERT … WHERE
  {}`` when blank nodes are present, which Virtuoso refuses in ``INSERT DATA``);
  ``add_to_graph`` is that insert alone. Updates are
  never retried; reads (idempotent) are retried ``ONTOLAB_STORE_RETRIES`` times on connection
  errors and HTTP 502/503/504. Every request has ``ONTOLAB_STORE_TIMEOUT``.
- Terms come back as rdflib terms. Virtuoso's quirks are absorbed: ``typed-literal`` JSON,
  booleans as ``"1"``/``"0"``, ``xsd:string`` literals (``json_results``); a result Virtuoso
  cut at its ``ResultSetMaxRows`` is refused.
- Thread-safe: one ``requests.Session`` per thread; auth objects are shared (see ``auth.py``).

A client's query (``serialize_query`` with ``QueryLimits``) is sent once, never retried, with
the time left as the HTTP read timeout, and its answer is streamed: reading stops, and the
connection is dropped, at the deadline or the size cap. The server is asked to stop too where
it can be: GraphDB and Fuseki take ``timeout`` in seconds, Virtuoso in milliseconds (it then
answers what it has, marked ``X-SQL-State: S1TAT``: refused as a timeout). The Oxigraph
server only has its own ``--timeout-s`` (start it with one). Measured on 0.5.13 with
``--timeout-s 1``: a blocking query is cancelled at the engine's next check (a COUNT over a
3-way product after 1.05 s, over a 4-way one after 6-15 s), answered with status 200 and "The
SPARQL operation has been cancelled" at the end of the body (refused as a timeout here); a
query whose results already stream is never cancelled by the server — dropping the connection
at the deadline is what stops it (the server's CPU time stays flat afterwards).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import pyoxigraph as ox
import requests
from rdflib import BNode, URIRef

from server.errors import QueryError, StoreError
from server.graph import sparql_text
from server.store import json_results
from server.store.auth import CREDENTIALS_FIX, make_auth
from server.store.base import (
    GRAPH_MEDIA_TYPES,
    RESULTS_MEDIA_TYPES,
    Dataset,
    QueryLimits,
    Row,
    Triple,
    WriteTriple,
    n_triples,
)
from server.store.oxigraph import to_rdflib
from server.store.presets import PRESETS, EndpointOptions, Endpoints, generic
from server.store.rows import row_counter

_JSON_RESULTS = "application/sparql-results+json"
_RETRY_STATUSES = frozenset({502, 503, 504})
_CHUNK = 64 * 1024
_CANCELLED = re.compile(rb"(cancel|time.?out|timed out|too long)", re.IGNORECASE)
_FORMS = {
    "SELECT": ox.QuerySolutions,
    "ASK": ox.QueryBoolean,
    "CONSTRUCT": ox.QueryTriples,
    "DESCRIBE": ox.QueryTriples,
}
_UPDATE_FIX = (
    'grant this user SPARQL Update (Virtuoso: GRANT SPARQL_UPDATE TO "SPARQL"; GraphDB and '
    f"Fuseki: a user with write access), or {CREDENTIALS_FIX}"
)


class SparqlEndpointStore:
    """A Store over HTTP: SPARQL 1.1 Protocol for queries and updates, GSP for graphs."""

    def __init__(self, name: str, endpoints: Endpoints, options: EndpointOptions) -> None:
        self._name = name
        self.endpoints = endpoints
        self._options = options
        credentials = replace(options.credentials, login_url=endpoints.login_url)
        self._auth = make_auth(credentials)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._parser = ox.Store()  # empty: only tells a query's form, and refuses updates

    def describe(self) -> str:
        return self._name

    # -- reads ----------------------------------------------------------------------------

    def select(self, query: str) -> list[Row]:
        return [
            {name: json_results.term(value) for name, value in binding.items()}
            for binding in self._bindings(query)
        ]

    def select_values(self, query: str) -> list[dict[str, Any]]:
        return [
            {name: json_results.plain(value) for name, value in binding.items()}
            for binding in self._bindings(query)
        ]

    def ask(self, query: str) -> bool:
        if self._form(query) is not ox.QueryBoolean:
            raise QueryError("expected an ASK query")
        answer = self._json(query).get("boolean")
        return answer in (True, 1, "true", "1")

    def construct(self, query: str) -> list[Triple]:
        if self._form(query) is not ox.QueryTriples:
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        reply = self._read(query, "application/n-triples")
        media_type = reply.headers.get("Content-Type", "").split(";")[0].strip()
        rdf_format = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.N_TRIPLES
        try:
            parsed = list(ox.parse(reply.content, format=rdf_format))
        except SyntaxError as exc:
            raise StoreError(f"{self.endpoints.query} sent unreadable RDF: {exc}") from exc
        return [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in parsed]

    def serialize_query(
        self,
        query: str,
        media_types: Sequence[str] = (),
        limits: QueryLimits | None = None,
        dataset: Dataset | None = None,
    ) -> tuple[bytes, str]:
        """See the Store protocol and, for ``limits``, this module's docstring."""
        offered = GRAPH_MEDIA_TYPES if self._form(query) is ox.QueryTriples else RESULTS_MEDIA_TYPES
        media_type = next((m for m in media_types if m in offered), offered[0])
        if dataset is not None:  # it replaces the query's own (Virtuoso would merge them)
            query = sparql_text.without_dataset_clauses(query)
        if limits is not None:
            return self._read_limited(query, media_type, limits, dataset), media_type
        return self._read(query, media_type, dataset).content, media_type

    def _query_params(self, query: str, dataset: Dataset | None) -> list[tuple[str, str]]:
        """The URL parameters of a query: the kind's own, the union default graph unless the
        query names a dataset, and the protocol's dataset (one parameter per graph)."""
        params = list(self.endpoints.query_params.items())
        if dataset is not None:
            params += [("default-graph-uri", iri) for iri in dataset.default_graphs]
            params += [("named-graph-uri", iri) for iri in dataset.named_graphs]
        elif not sparql_text.has_dataset_clause(query):
            params += self.endpoints.union_params.items()
        return params

    def _bindings(self, query: str) -> list[dict[str, dict[str, str]]]:
        if self._form(query) is not ox.QuerySolutions:
            raise QueryError("expected a SELECT query; use construct() or ask() for other forms")
        bindings: list[dict[str, dict[str, str]]] = self._json(query)["results"]["bindings"]
        return bindings

    def _json(self, query: str) -> dict[str, Any]:
        reply = self._read(query, _JSON_RESULTS)
        try:
            answer: dict[str, Any] = json.loads(reply.content)
        except ValueError as exc:
            raise StoreError(
                f"{self.endpoints.query} did not answer SPARQL JSON results "
                f"({reply.headers.get('Content-Type')}): {reply.text[:200]!r}; "
                "check that ONTOLAB_STORE points at a SPARQL endpoint"
            ) from exc
        return answer

    def _form(self, query: str) -> type:
        """SELECT / ASK / CONSTRUCT-or-DESCRIBE, from a local parse (an update never parses).
        The local parse evaluates the query on an empty store, which would send a SERVICE's
        request from here: a query with SERVICE (one the guard let through) is only read."""
        if sparql_text.services(query):
            return self._form_from_text(query)
        try:
            return type(self._parser.query(query))
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}; fix the query text") from exc
        except (OSError, ValueError) as exc:
            raise QueryError(f"invalid SPARQL query: {exc}; fix the query text") from exc

    def _form_from_text(self, query: str) -> type:
        kind = _FORMS.get(sparql_text.form(query) or "")
        if kind is None:
            raise QueryError(
                "SPARQL syntax error: expected SELECT, ASK, CONSTRUCT or DESCRIBE after the "
                "prologue; fix the query text"
            )
        return kind

    def _read_limited(
        self, query: str, accept: str, limits: QueryLimits, dataset: Dataset | None
    ) -> bytes:
        """One try (the deadline is the client's), the answer streamed under ``limits``."""
        url = self.endpoints.query
        left = max(limits.remaining(), 0.01)
        params = self._query_params(query, dataset)
        params += self.endpoints.timeout_params(left).items()
        try:
            reply = self._session().post(
                url,
                params=params,
                data={"query": query},
                headers={"Accept": accept},
                timeout=(min(self._options.timeout, left), left),
                stream=True,
            )
        except requests.Timeout as exc:
            raise limits.timed_out(f"{url} had not answered; the request was dropped") from exc
        except requests.RequestException as exc:
            raise self._unreachable(url, "query", exc) from exc
        with reply:  # closing a half-read reply drops the connection: the server stops writing
            if reply.status_code >= 300:
                self._refuse_error(reply, limits)
            self._refuse_cut_results(reply)
            if reply.headers.get("X-SQL-State") == "S1TAT":  # Virtuoso's partial answer
                raise limits.timed_out(f"{url} answered only part of it: refused")
            return self._body(reply, limits, accept)

    def _refuse_error(self, reply: requests.Response, limits: QueryLimits) -> None:
        """An error answer to a client's query: a timeout if the server says it stopped the
        query or the deadline has passed (Virtuoso then sends a 500 with a partial body)."""
        head = next(reply.iter_content(_CHUNK), b"")  # an error body may be huge: its start
        if reply.status_code >= 500 and (limits.remaining() <= 0 or _CANCELLED.search(head)):
            raise limits.timed_out(f"was cancelled by {reply.url}")
        self._check(reply, "query", QueryError, head.decode(errors="replace"))

    def _body(self, reply: requests.Response, limits: QueryLimits, media_type: str) -> bytes:
        chunks, size, rows = [], 0, row_counter(media_type)
        try:
            for chunk in reply.iter_content(_CHUNK):
                size += len(chunk)
                limits.check(size, rows.feed(chunk))
                chunks.append(chunk)
        except requests.RequestException as exc:
            if limits.remaining() <= 0:
                raise limits.timed_out(f"{reply.url} was still sending; dropped") from exc
            raise self._unreachable(reply.url, "query", exc) from exc
        data = b"".join(chunks)
        if data.endswith(b"The SPARQL operation has been cancelled"):  # the Oxigraph server's
            raise limits.timed_out(f"was cancelled by {reply.url} (its --timeout-s)")
        return data

    def _read(self, query: str, accept: str, dataset: Dataset | None = None) -> requests.Response:
        url = self.endpoints.query
        attempts = 1 + self._options.retries
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                reply = self._session().post(
                    url,
                    params=self._query_params(query, dataset),
                    data={"query": query},
                    headers={"Accept": accept},
                    timeout=self._options.timeout,
                )
            except requests.RequestException as exc:
                if last:
                    raise self._unreachable(url, "query", exc) from exc
            else:
                if reply.status_code not in _RETRY_STATUSES or last:
                    self._check(reply, "query", QueryError)
                    self._refuse_cut_results(reply)
                    return reply
            time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def _refuse_cut_results(self, reply: requests.Response) -> None:
        cap = reply.headers.get("X-SPARQL-MaxRows")
        if cap:
            raise StoreError(
                f"{self.endpoints.query} cut the result at {cap} rows (Virtuoso's "
                "[SPARQL] ResultSetMaxRows); raise ResultSetMaxRows in virtuoso.ini"
            )

    # -- writes ---------------------------------------------------------------------------

    def replace_graph(self, graph: URIRef, triples: Iterable[WriteTriple]) -> None:
        triples = list(triples)
        if self.endpoints.graph_store:
            self._write(
                "put",
                self.endpoints.graph_store,
                params={self.endpoints.graph_param: str(graph)},
                data=n_triples(triples).encode(),
                headers={"Content-Type": "text/turtle; charset=utf-8", "Accept": "*/*"},
            )
            return
        drop = f"DROP SILENT GRAPH {graph.n3()}"
        self.update(f"{drop} ;\n{_insert(graph, triples)}" if triples else drop)

    def add_to_graph(self, graph: URIRef, triples: Iterable[WriteTriple]) -> None:
        triples = list(triples)
        if triples:  # an empty INSERT DATA is a syntax error to Virtuoso
            self.update(_insert(graph, triples))

    def delete_graph(self, graph: URIRef) -> None:
        self.update(f"DROP SILENT GRAPH {graph.n3()}")

    def update(self, update: str) -> None:
        """Run one SPARQL Update request (never retried: it may not be idempotent)."""
        self._write(
            "post",
            self.endpoints.update,
            data={"update": update},
            headers={"Accept": f"{_JSON_RESULTS}, */*;q=0.1"},
        )

    def _write(self, method: str, url: str, **kwargs: Any) -> None:
        try:
            reply = self._session().request(method, url, timeout=self._options.timeout, **kwargs)
        except requests.RequestException as exc:
            raise self._unreachable(url, "update", exc) from exc
        self._check(reply, "update", StoreError)

    # -- plumbing -------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.auth = self._auth
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _unreachable(self, url: str, what: str, exc: requests.RequestException) -> StoreError:
        if isinstance(exc, requests.Timeout):
            return StoreError(
                f"the SPARQL endpoint {url} did not answer the {what} within "
                f"{self._options.timeout:g} s; check the server, or raise ONTOLAB_STORE_TIMEOUT"
            )
        if isinstance(exc, StoreError):
            return exc
        return StoreError(
            f"cannot reach the SPARQL endpoint {url} ({type(exc).__name__}); is the server "
            f"running? start it, or fix ONTOLAB_STORE (now {self._name})"
        )

    def _check(
        self,
        reply: requests.Response,
        what: str,
        syntax_error: type[Exception],
        body: str | None = None,
    ) -> None:
        status = reply.status_code
        if status < 300:
            return
        said = f"the SPARQL endpoint {reply.url} answered the {what} with HTTP {status}"
        detail = (reply.text if body is None else body).strip()[:300]
        if status in (401, 403):
            fix = _UPDATE_FIX if what == "update" else CREDENTIALS_FIX
            raise StoreError(f"{said} {reply.reason}: {detail!r}; {fix}")
        if status == 404:
            raise StoreError(
                f"{said}: no such endpoint; fix ONTOLAB_STORE (now {self._name}): "
                "the repository or dataset name, or the server's base URL"
            )
        if status == 400:
            raise syntax_error(f"{said}: {detail}; fix the {what} text")
        if "exceeds the limit" in detail:  # Virtuoso's cost estimate, not the real time
            raise StoreError(
                f"{said}: {detail!r}; set [SPARQL] MaxQueryCostEstimationTime = 0 in virtuoso.ini"
            )
        raise StoreError(f"{said}: {detail!r}; see the server's log")

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()


def open_endpoint(
    url: str, options: EndpointOptions, kind: str | None = None
) -> SparqlEndpointStore:
    """The store for ``kind:LOCATION`` (a preset) or a plain ``http(s)://`` URL (``kind=None``)."""
    endpoints = generic(url, options) if kind is None else PRESETS[kind](url, options)
    return SparqlEndpointStore(url if kind is None else f"{kind}:{url}", endpoints, options)


def _insert(graph: URIRef, triples: list[WriteTriple]) -> str:
    """An update that inserts ``triples`` into ``graph``: ``INSERT DATA``, or ``INSERT … WHERE
    {}`` when blank nodes are present, which Virtuoso refuses in ``INSERT DATA``."""
    body = n_triples(triples)
    if any(isinstance(term, BNode | ox.BlankNode) for triple in triples for term in triple):
        return f"INSERT {{ GRAPH {graph.n3()} {{\n{body}\n}} }} WHERE {{}}"
    return f"INSERT DATA {{ GRAPH {graph.n3()} {{\n{body}\n}} }}"
