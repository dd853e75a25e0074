"""Writes a run's graph, and each shared graph it points to once per process.

Shared graphs (see ``server.results.shared_graphs``) are named by what they describe (an
implementation, a data source, a profile's checksum), so rewriting one gives the same triples:
they are written before the run graph that points to them, and a reader that finds the run
finds them too. The run graph itself is still one atomic write.
"""

from __future__ import annotations

import threading

from server.namespaces import run_iri
from server.records import RunRecord
from server.results import run_triples, shared_graphs
from server.store.base import WritableStore


class RunWriter:
    """Safe to share between threads; one per store."""

    def __init__(self, store: WritableStore) -> None:
        self._store = store
        self._written: set[str] = set()
        self._lock = threading.Lock()

    def write(self, record: RunRecord) -> None:
        with self._lock:
            for graph, triples in shared_graphs(record).items():
                if graph not in self._written:
                    self._store.replace_graph(graph, triples())
                    self._written.add(graph)
            self._store.replace_graph(run_iri(record.run_id), run_triples(record))
