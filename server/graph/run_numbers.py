"""Run numbers: each run's ``ol:runNumber`` is in its own graph; the run index graph keeps the
last number given (``ol:lastRunNumber``). Read by the writer that gives them, the upgrade that
gives them to older runs, and the run list that finds the newest runs by them."""

from __future__ import annotations

from collections.abc import Iterable

from server.graph.namespaces import OL, RUN_INDEX_GRAPH
from server.store.base import ReadableStore


def last_run_number(store: ReadableStore) -> int:
    """The highest run number given in ``store``: the index graph's, or, when it has none (a
    store from before run numbers), the highest a run states; 0 for none."""
    rows = store.select_values(
        f"SELECT ?n WHERE {{ GRAPH <{RUN_INDEX_GRAPH}> {{ <{RUN_INDEX_GRAPH}> "
        f"<{OL.lastRunNumber}> ?n }} }}"
    )
    if rows:
        return int(rows[0]["n"])
    rows = store.select_values(f"SELECT (MAX(?n) AS ?top) WHERE {{ ?run <{OL.runNumber}> ?n }}")
    return int(rows[0].get("top") or 0) if rows else 0


def numbers_of(store: ReadableStore, runs: Iterable[object]) -> list[int]:
    """The numbers the given runs' graphs state, in no order."""
    values = " ".join(f"<{run}>" for run in runs)
    rows = store.select_values(
        f"SELECT ?n WHERE {{ VALUES ?run {{ {values} }} "
        f"GRAPH ?run {{ ?run <{OL.runNumber}> ?n }} }}"
    )
    return [int(row["n"]) for row in rows]
