"""The audit trail: each write asked of the API, allowed or refused, as a PROV activity.

Activities go into their own named graph (``AUDIT_GRAPH``), which only a global admin reads
through ``/sparql``. :meth:`AuditLog.record` only queues the entry; one writer thread adds
what has queued to the graph in a single write (at most every ``interval`` seconds), so a
request pays a queue put, not a store write. Entries still queued when the platform closes
are written by :meth:`AuditLog.close`; past ``max_queued`` entries the oldest unwritten wait
(``record`` blocks) rather than being dropped.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from rdflib import Literal, URIRef

from server.graph.namespaces import ID, OL, PLATFORM_AGENT, PROV, RDF, XSD, user_agent
from server.store import Store
from server.store.base import WriteTriple

AUDIT_GRAPH = URIRef("https://w3id.org/ontolab/graph/audit")
ANONYMOUS_AGENT = URIRef(f"{ID}agent/anonymous")


@dataclass(frozen=True)
class AuditEntry:
    """One write asked of the API."""

    user: str  # "" for anonymous
    method: str
    path: str
    endpoint: str
    allowed: bool
    status: int
    token_id: str = ""
    at: datetime | None = None

    def triples(self) -> list[WriteTriple]:
        activity = URIRef(f"{ID}audit/{uuid.uuid4().hex}")
        step = self.user.startswith("task:")  # a step's artifact token: the platform's run
        agent = PLATFORM_AGENT if step else user_agent(self.user) if self.user else ANONYMOUS_AGENT
        at = self.at or datetime.now(UTC)
        found: list[WriteTriple] = [
            (activity, RDF.type, PROV.Activity),
            (activity, RDF.type, OL.AuditedRequest),
            (activity, PROV.wasAssociatedWith, agent),
            (activity, PROV.startedAtTime, Literal(at.isoformat(), datatype=XSD.dateTime)),
            (activity, OL.httpMethod, Literal(self.method)),
            (activity, OL.requestPath, Literal(self.path[:2000])),
            (activity, OL.endpoint, Literal(self.endpoint)),
            (activity, OL.accessDecision, Literal("allowed" if self.allowed else "refused")),
            (activity, OL.responseStatus, Literal(self.status)),
            (agent, RDF.type, PROV.Agent),
        ]
        if self.user and not step:
            found.append((agent, RDF.type, OL.User))
        if self.token_id:
            found.append((activity, OL.viaToken, Literal(self.token_id)))
        return found


class AuditLog:
    """Queues audit entries and writes them in batches from one thread. Thread-safe."""

    def __init__(self, store: Store, interval: float = 0.5, max_queued: int = 10_000) -> None:
        self._store = store
        self._interval = interval
        self._queue: queue.Queue[AuditEntry | None] = queue.Queue(max_queued)
        self._thread = threading.Thread(target=self._write_loop, name="audit", daemon=True)
        self._thread.start()

    def record(self, entry: AuditEntry) -> None:
        self._queue.put(entry)

    def flush(self) -> None:
        """Wait until everything recorded so far is in the graph."""
        self._queue.join()

    def close(self) -> None:
        """Write what is queued and stop the writer."""
        self._queue.put(None)
        self._thread.join(10)

    def _write_loop(self) -> None:
        stop = False
        while not stop:
            batch = [self._queue.get()]
            deadline = time.monotonic() + self._interval
            while batch[-1] is not None and len(batch) < 1000:
                try:
                    batch.append(self._queue.get(timeout=max(deadline - time.monotonic(), 0)))
                except queue.Empty:
                    break
            stop = batch[-1] is None
            self._write([e for e in batch if e is not None])
            for _ in batch:
                self._queue.task_done()

    def _write(self, entries: list[AuditEntry]) -> None:
        if not entries:
            return
        triples = [t for entry in entries for t in entry.triples()]
        try:
            self._store.add_to_graph(AUDIT_GRAPH, triples)
        except Exception as exc:  # the trail must not take the server down; say so loudly
            print(f"ontolab: audit entries not written: {exc}", file=sys.stderr, flush=True)
