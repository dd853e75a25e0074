"""Run numbers: each run's ``ol:runNumber`` is in its own graph; the run index graph keeps the
last number given (``ol:lastRunNumber``). Read by the writer that gives them, the upgrade that
gives them to older runs, and the run list that finds the newest runs by them.

A store only this process can open (embedded Oxigraph: ``exclusive``) keeps the last number in
memory, read once (the index or the highest number a run states, whichever is higher, so a
crash between index writes loses nothing), and writes the index every ``INDEX_EVERY`` numbers
and at ``flush``. Rewriting the index at every run left a deletion marker per run in RocksDB
that every later read of the index stepped over: at 40,000 runs, reading one number cost more
than writing the run. A shared store (a server other processes write) is read afresh each time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from weakref import WeakKeyDictionary

from rdflib import Literal

from server.graph.namespaces import OL, RUN_INDEX_GRAPH
from server.store.base import ReadableStore, Store

INDEX_EVERY = 256


class _Counter:
    def __init__(self, last: int) -> None:
        self.last = last
        self.written = last


_COUNTERS: WeakKeyDictionary[object, _Counter] = WeakKeyDictionary()
_LOCK = threading.RLock()


def last_run_number(store: ReadableStore) -> int:
    """The highest run number given in ``store``; 0 for none."""
    counter = _counter(store)
    return _stored_last(store) if counter is None else counter.last


def next_run_number(store: Store) -> int:
    """Give the next run number (the index is written before it is used, or, on an exclusive
    store, the number is kept in memory: see the module's docstring)."""
    with _LOCK:
        counter = _counter(store)
        if counter is None:  # read afresh: another process may have given one
            number = _stored_last(store) + 1
            _write_index(store, number)
            return number
        counter.last += 1
        if counter.last - counter.written >= INDEX_EVERY:
            _write_index(store, counter.last)
            counter.written = counter.last
        return counter.last


def flush(store: Store) -> None:
    """Write the last number given to the index, if it is not there yet (before closing)."""
    with _LOCK:
        counter = _COUNTERS.get(store)
        if counter is not None and counter.last > counter.written:
            _write_index(store, counter.last)
            counter.written = counter.last


def forget(store: ReadableStore) -> None:
    """Read the last number from the store again next time (after the index was rewritten)."""
    with _LOCK:
        _COUNTERS.pop(store, None)


def numbers_of(store: ReadableStore, runs: Iterable[object]) -> list[int]:
    """The numbers the given runs' graphs state, in no order."""
    values = " ".join(f"<{run}>" for run in runs)
    rows = store.select_values(
        f"SELECT ?n WHERE {{ VALUES ?run {{ {values} }} "
        f"GRAPH ?run {{ ?run <{OL.runNumber}> ?n }} }}"
    )
    return [int(row["n"]) for row in rows]


def _counter(store: ReadableStore) -> _Counter | None:
    if not getattr(store, "exclusive", False):
        return None
    with _LOCK:
        counter = _COUNTERS.get(store)
        if counter is None:
            counter = _COUNTERS[store] = _Counter(max(_indexed_last(store), _highest(store)))
        return counter


def _stored_last(store: ReadableStore) -> int:
    """The index's number, or, when it has none (a store from before run numbers), the highest
    a run states."""
    indexed = _indexed_last(store)
    return indexed if indexed else _highest(store)


def _indexed_last(store: ReadableStore) -> int:
    rows = store.select_values(
        f"SELECT ?n WHERE {{ GRAPH <{RUN_INDEX_GRAPH}> {{ <{RUN_INDEX_GRAPH}> "
        f"<{OL.lastRunNumber}> ?n }} }}"
    )
    return int(rows[0]["n"]) if rows else 0


def _highest(store: ReadableStore) -> int:
    rows = store.select_values(f"SELECT (MAX(?n) AS ?top) WHERE {{ ?run <{OL.runNumber}> ?n }}")
    return int(rows[0].get("top") or 0) if rows else 0


def _write_index(store: Store, number: int) -> None:
    store.replace_graph(RUN_INDEX_GRAPH, [(RUN_INDEX_GRAPH, OL.lastRunNumber, Literal(number))])
