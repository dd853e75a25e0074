"""Writes a run's graph, and each shared graph it points to once per process.

Shared graphs (see ``server.results.shared_graphs``) are named by what they describe (an
implementation, a data source, a profile's checksum), so rewriting one gives the same triples:
they are written before the run graph that points to them, and a reader that finds the run
finds them too.

A run graph is saved at the run's start, as each step starts and ends, and with its results.
It only grows in between (``server.results``), so the writer, which owns the graphs of the
runs it writes, remembers what it wrote for a run still going on and adds only what is new:
one atomic addition, a fraction of a delete and rewrite (nothing at all when nothing is new).
Anything else (a run it did not start, a record that takes a fact back) replaces the graph
whole, also in one atomic write.
"""

from __future__ import annotations

import threading

from server.namespaces import run_iri
from server.records import FINAL_RUN_STATES, RunRecord
from server.results import run_triples, shared_graphs
from server.store.base import WritableStore, WriteTriple


class RunWriter:
    """Safe to share between threads; one per store."""

    def __init__(self, store: WritableStore) -> None:
        self._store = store
        self._written: set[str] = set()
        self._running: dict[str, frozenset[WriteTriple]] = {}  # what each running run's graph holds
        self._lock = threading.Lock()

    def write(self, record: RunRecord) -> None:
        with self._lock:
            for graph, triples in shared_graphs(record).items():
                if graph not in self._written:
                    self._store.replace_graph(graph, triples())
                    self._written.add(graph)
            self._write_run(record)

    def _write_run(self, record: RunRecord) -> None:
        graph = run_iri(record.run_id)
        triples = frozenset(run_triples(record))
        before = self._running.pop(record.run_id, None)
        if before is not None and before <= triples:
            if new := triples - before:
                self._store.add_to_graph(graph, new)
        else:
            self._store.replace_graph(graph, triples)
        if record.status not in FINAL_RUN_STATES:
            self._running[record.run_id] = triples
