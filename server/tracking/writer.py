"""Writes a run's graph, and each shared graph it points to once per process.

Shared graphs (see ``server.tracking.shared``) are named by what they describe (an
implementation, a data source, a profile's checksum), so rewriting one gives the same triples:
they are written before the run graph that points to them, and a reader that finds the run
finds them too.

A run graph is saved at the run's start, as each step starts and ends, and with its results.
It only grows in between (``server.tracking.results``), so the writer, which owns the graphs of the
runs it writes, remembers what it wrote for a run still going on and adds only what is new:
one atomic addition, a fraction of a delete and rewrite (nothing at all when nothing is new).
Anything else (a run it did not start, a record that takes a fact back) replaces the graph
whole, also in one atomic write.

Each run gets a number when it is first written (``ol:runNumber``, in its own graph): one more
than the last given, which the run index graph keeps (``ol:lastRunNumber``), so the run list
finds the newest runs by number without reading every run. A run the writer has not seen in
this process keeps the number its graph already states.

A run a crash left in flight (no final status in its graph, and no process running it) is
ended by ``mark_interrupted``: one addition of its final status, time and reason, like any
other final save; its graph keeps everything it stated. (A graph from before statuses were
stated once says ``running`` or ``pending``; that is taken back, so it is replaced whole.)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pyoxigraph as ox

from server.graph.namespaces import OL, run_iri
from server.graph.run_numbers import next_run_number, numbers_of
from server.store.base import Store, Triple, WriteTriple
from server.tracking.records import FINAL_RUN_STATES, RunRecord
from server.tracking.results import interrupted_triples, run_triples
from server.tracking.shared import SharedGraphs, shared_graphs


class RunWriter:
    """Safe to share between threads; one per store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._written: set[str] = set()
        self._running: dict[str, frozenset[WriteTriple]] = {}  # what each running run's graph holds
        self._numbers: dict[str, int] = {}  # by run id, the runs written by this writer
        self._lock = threading.Lock()

    def write(
        self,
        record: RunRecord,
        extra: Sequence[WriteTriple] = (),
        shared: SharedGraphs | None = None,
    ) -> None:
        """Save ``record``'s graph; ``extra``: more triples of the run graph, ``shared``: more
        shared graphs it points to (a tracked run's history, params and tags:
        ``server.tracking.tracked_results``)."""
        with self._lock:
            graphs = {**shared_graphs(record), **(shared or {})}
            for graph, triples in graphs.items():
                if graph not in self._written:
                    self._store.replace_graph(graph, triples())
                    self._written.add(graph)
            self._write_run(record, extra)

    def mark_interrupted(
        self,
        run_id: str,
        unfinished: dict[str, bool],
        noticed_at: str,
        reason: str,
        kept: list[Triple] | None = None,
    ) -> None:
        """State that run ``run_id``, which no process runs any longer, was interrupted.

        Args:
            run_id: a run whose graph states no final status.
            unfinished: its step runs with no final status (IRI → whether it had started).
            noticed_at: when the interruption was noticed (ISO 8601); the crash time is lost.
            reason: why, for the run's ``ol:errorMessage``.
            kept: for a graph that states a status that is not final (written before statuses
                were stated once), what it keeps without those: the graph is replaced with it
                plus the interruption, in one write. None: the interruption is added.
        """
        triples = interrupted_triples(run_id, unfinished, noticed_at, reason)
        with self._lock:
            self._running.pop(run_id, None)
            if kept is None:
                self._store.add_to_graph(run_iri(run_id), triples)
            else:
                self._store.replace_graph(run_iri(run_id), [*kept, *triples])

    def _write_run(self, record: RunRecord, extra: Sequence[WriteTriple] = ()) -> None:
        graph = run_iri(record.run_id)
        number = ox.Literal(self._number(record.run_id))
        triples = frozenset([*run_triples(record), *extra, (_node(graph), _RUN_NUMBER, number)])
        before = self._running.pop(record.run_id, None)
        if before is not None and before <= triples:
            if new := triples - before:
                self._store.add_to_graph(graph, new)
        else:
            self._store.replace_graph(graph, triples)
        if record.status not in FINAL_RUN_STATES:
            self._running[record.run_id] = triples

    def _number(self, run_id: str) -> int:
        """The run's number: the one its graph states, or the next one, given now."""
        if run_id in self._numbers:
            return self._numbers[run_id]
        stated = numbers_of(self._store, [run_iri(run_id)])
        number = stated[0] if stated else next_run_number(self._store)
        self._numbers[run_id] = number
        return number


_RUN_NUMBER = ox.NamedNode(str(OL.runNumber))


def _node(iri: object) -> ox.NamedNode:
    return ox.NamedNode(str(iri))
