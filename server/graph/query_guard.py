"""Queries run on behalf of a client (``/sparql``, ``/api/queries``) run under limits.

- **No SERVICE** but to the endpoints listed in ``ONTOLAB_SPARQL_SERVICE_ALLOW``: a federated
  query makes the server send requests wherever the query says (and echo what comes back). The
  query is tokenized — strings, comments, IRIs and prefixed names that merely contain the word
  are not SERVICE — and every ``SERVICE [SILENT] endpoint`` is resolved (prefixes included);
  a variable or relative endpoint is always refused.
- **A time limit** (``ONTOLAB_SPARQL_TIMEOUT``): at the deadline the client gets 504. The
  embedded store stops a query at its next row; one that yields no row for a long time (ORDER
  BY, GROUP BY / COUNT, SERVICE evaluate everything first; a FILTER may reject nearly every
  row) cannot be interrupted and runs on in its worker thread until it yields a row or ends
  (see ``server/store/oxigraph.py``); a remote store is asked to stop it too.
- **Read-only**: an update (``INSERT``, ``DROP``, ``LOAD``…) sent as a query is refused as such
  (``ReadOnlyError``, the same answer ``/sparql`` gives an ``update=``), before any store sees it.
- **A row cap** (``ONTOLAB_SPARQL_MAX_ROWS``) besides the size cap: a SELECT answer with more
  rows is refused, never cut (``server/store/rows.py`` counts them as they are serialized).
- **A bounded number at once** (``ONTOLAB_SPARQL_MAX_RUNNING``): each query runs in a worker
  thread holding one slot until the query has really ended — also after its client got the
  504 — so runaway queries can never burn more than that many cores, and the rest of the API
  keeps its threads. With every slot taken, a client waits up to ``SLOT_WAIT`` seconds, then
  gets 503 with ``Retry-After``.

``run_named`` runs a named query (``server.graph.queries``) for ``/api/queries`` the same way.
The platform's own queries (runs, leaderboard, lineage…) do not come through here.
"""

from __future__ import annotations

import io
import queue
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib.query import Result

from server.errors import (
    RETRY_AFTER,
    QueryBusyError,
    QueryError,
    ReadOnlyError,
    ServiceRefusedError,
)
from server.graph import queries
from server.graph.sparql_text import is_update, services, shape
from server.graph.terms import python_value
from server.store.base import Dataset, QueryLimits, ReadableStore

if TYPE_CHECKING:
    from server.settings import Settings

ALLOW_SETTING = "ONTOLAB_SPARQL_SERVICE_ALLOW"
RUNNING_SETTING = "ONTOLAB_SPARQL_MAX_RUNNING"
#: How long a client waits for a free slot before its 503.
SLOT_WAIT = 1.0
#: How long after the deadline a client waits for its query to stop by itself (a streaming
#: one stops within milliseconds) before it is answered that the query is still running.
GRACE = 1.0
#: The deepest bracket nesting and the most tree-building tokens a client's query may have:
#: far beyond any query a person or a tool writes, far below what overflows a worker's stack.
MAX_DEPTH = 256
MAX_OPERATORS = 2000
#: Each worker thread's stack. Oxigraph's parser and planner recurse once per level of a
#: query's tree; the default 8 MiB overflowed (a segfault of the whole platform) at about
#: 3,000 nested braces or 4,000 chained OPTIONALs, measured. Address space only: pages are
#: committed as they are touched.
WORKER_STACK = 64 * 1024 * 1024
_STACK_LOCK = threading.Lock()
_JSON_RESULTS = "application/sparql-results+json"
#: What a client that sends an update to a query endpoint is told, whichever way it came.
READ_ONLY = (
    "this SPARQL endpoint is read-only: it runs queries (SELECT, ASK, CONSTRUCT, DESCRIBE), "
    "never SPARQL Update; change the graph through the platform's API (submit definitions, "
    "start runs, upload datasets) or load RDF with `ontolab store import FILE`"
)


def refuse_update(query: str) -> None:
    """Raise ``ReadOnlyError`` for an update sent as a query (``DROP ALL``, ``INSERT DATA``…),
    which the store would only answer with a syntax error."""
    if is_update(query):
        raise ReadOnlyError(f"the text is a SPARQL Update; {READ_ONLY}")


def refuse_service(query: str, allowed: frozenset[str]) -> None:
    """Raise ``ServiceRefusedError`` unless every SERVICE of ``query`` names, as an absolute
    IRI, an endpoint in ``allowed``."""
    for service in services(query):
        if service.iri is None:
            raise ServiceRefusedError(
                f"SERVICE {service.written} is refused: only an endpoint written as an absolute "
                f"IRI and listed in {ALLOW_SETTING} may be queried (never a variable or a "
                "relative IRI); write the endpoint's IRI, or remove the SERVICE"
            )
        if service.iri not in allowed:
            listed = ", ".join(sorted(allowed)) or "none"
            raise ServiceRefusedError(
                f"SERVICE <{service.iri}> is refused: a federated query makes this server send "
                f"requests to other hosts, so only the endpoints listed in {ALLOW_SETTING} "
                f"(now: {listed}) may be queried; remove the SERVICE, or have the operator "
                f"add the endpoint to {ALLOW_SETTING}"
            )


def refuse_deep(query: str) -> None:
    """Raise ``QueryError`` for a query nested deeper or built of more operators than the
    parser may safely take (see ``MAX_DEPTH``, ``MAX_OPERATORS``)."""
    found = shape(query)
    if found.depth > MAX_DEPTH or found.operators > MAX_OPERATORS:
        raise QueryError(
            f"the query nests {found.depth} levels of brackets and has {found.operators} "
            f"operators and pattern keywords; this server parses at most {MAX_DEPTH} levels and "
            f"{MAX_OPERATORS} operators; write it flatter (VALUES or IN instead of long chains "
            "of || or UNION)"
        )


def _start_worker(thread: threading.Thread) -> None:
    """Start ``thread`` with a ``WORKER_STACK``-sized stack (the size is process-wide while
    set, so it is set and restored under a lock)."""
    with _STACK_LOCK:
        previous = threading.stack_size(WORKER_STACK)
        try:
            thread.start()
        finally:
            threading.stack_size(previous)


# --- time and slots ---------------------------------------------------------------------------


@dataclass
class _Job:
    """One query's outcome, handed from its worker thread to the waiting request."""

    done: threading.Event = field(default_factory=threading.Event)
    answer: tuple[bytes, str] | None = None
    error: BaseException | None = None


class QueryGuard:
    """Runs client queries on ``store`` under the limits above. Thread-safe: one per app."""

    def __init__(
        self,
        store: ReadableStore,
        *,
        timeout: float = 30.0,
        max_running: int = 2,
        max_bytes: int = 100_000_000,
        max_rows: int = 100_000,
        service_allow: frozenset[str] = frozenset(),
        grace: float = GRACE,
        slot_wait: float = SLOT_WAIT,
    ) -> None:
        self._store = store
        self._grace = grace
        self._slot_wait = slot_wait
        self.timeout = timeout
        self.max_running = max_running
        self._max_bytes = max_bytes
        self._max_rows = max_rows
        self._allowed = service_allow
        self._slots = threading.BoundedSemaphore(max_running)
        # As many long-lived workers as slots, started on first use: starting a thread per
        # query cost ~2.5 ms under a busy GIL (measured), 5x the query itself.
        self._work: queue.SimpleQueue[tuple[_Job, str, Sequence[str], QueryLimits, Dataset | None]]
        self._work = queue.SimpleQueue()
        self._workers_lock = threading.Lock()
        self._workers_started = False

    @classmethod
    def from_settings(cls, store: ReadableStore, settings: Settings) -> QueryGuard:
        return cls(
            store,
            timeout=settings.sparql_timeout,
            max_running=settings.sparql_max_running,
            max_bytes=int(settings.sparql_max_result_mb * 1_000_000),
            max_rows=settings.sparql_max_rows,
            service_allow=settings.service_endpoints,
        )

    def serialize_query(
        self, query: str, media_types: Sequence[str] = (), dataset: Dataset | None = None
    ) -> tuple[bytes, str]:
        """``Store.serialize_query`` for a client: no update, SERVICE checked, in a slot, on
        time, under the size and row caps; on ``dataset`` (the protocol's) when given."""
        refuse_update(query)
        refuse_deep(query)
        refuse_service(query, self._allowed)
        if not self._slots.acquire(timeout=self._slot_wait):
            raise QueryBusyError(
                f"{self.max_running} SPARQL queries are already running, the most this server "
                f"runs at once ({RUNNING_SETTING}); retry in {RETRY_AFTER} s, or raise "
                f"{RUNNING_SETTING} if the machine has cores to spare"
            )
        limits = QueryLimits.starting_now(self.timeout, self._max_bytes, self._max_rows)
        job = _Job()
        try:
            self._start_workers()
        except BaseException:
            self._slots.release()
            raise
        # A worker is free: we hold a slot.
        self._work.put((job, query, media_types, limits, dataset))
        return self._wait(job, limits)

    def run_named(
        self, name: str, values: dict[str, Any], dataset: Dataset | None = None
    ) -> dict[str, Any]:
        """Run the named query ``name`` with ``values`` bound, as ``serialize_query`` does:
        ``{"columns", "rows"}`` (values plain, unbound ones None) or ``{"boolean"}`` for ASK.

        Read through the standard SPARQL JSON results, so every column is kept (also those no
        row binds) and the query's form needs no guess. QueryError for a query that builds a
        graph; NotFoundError / QueryError from ``queries`` for an unknown name or bad values.
        """
        text = queries.load(name).render(**values)
        data, media_type = self.serialize_query(text, [_JSON_RESULTS], dataset)
        if media_type != _JSON_RESULTS:
            raise QueryError(
                f"query {name!r} builds a graph, not a table; run it at /sparql instead"
            )
        result = Result.parse(io.BytesIO(data), format="json")
        if result.type == "ASK":
            return {"boolean": bool(result.askAnswer)}
        columns = [str(v) for v in result.vars or ()]
        rows = []
        for binding in result.bindings:
            row = {
                str(var): python_value(term) for var, term in binding.items() if term is not None
            }
            rows.append({column: row.get(column) for column in columns})
        return {"columns": columns, "rows": rows}

    def _start_workers(self) -> None:
        with self._workers_lock:
            if self._workers_started:
                return
            for number in range(self.max_running):
                worker = threading.Thread(
                    target=self._serve,
                    name=f"ontolab-client-query-{number}",
                    daemon=True,  # a query that cannot be stopped must not hold up shutdown
                )
                _start_worker(worker)
            self._workers_started = True

    def _serve(self) -> None:
        while True:
            self._run(*self._work.get())

    def _run(
        self,
        job: _Job,
        query: str,
        media_types: Sequence[str],
        limits: QueryLimits,
        dataset: Dataset | None,
    ) -> None:
        # Runs in the worker: pyoxigraph's results must be read and dropped on the thread
        # that made them, and the slot is only given back once the store is done.
        try:
            job.answer = self._store.serialize_query(query, media_types, limits, dataset)
        except BaseException as exc:  # handed to the request thread, raised there
            # Drop the locals of the frames it went through (the lines stay for the log):
            # they may hold pyoxigraph results, which must not be freed on another thread.
            traceback.clear_frames(exc.__traceback__)
            job.error = exc
        finally:
            self._slots.release()
            job.done.set()

    def _wait(self, job: _Job, limits: QueryLimits) -> tuple[bytes, str]:
        if not job.done.wait(max(0.0, limits.remaining()) + self._grace):
            raise limits.timed_out(
                "is still running: a query is only stopped between two rows of its answer, and "
                "this one has yielded none for a while (ORDER BY, GROUP BY, aggregates and "
                "SERVICE evaluate everything first; a FILTER may reject nearly every row), so "
                f"it keeps one of the {self.max_running} query slots ({RUNNING_SETTING}) until "
                "it yields a row or ends"
            )
        if job.error is not None:
            raise job.error
        assert job.answer is not None  # set whenever error is not
        return job.answer
