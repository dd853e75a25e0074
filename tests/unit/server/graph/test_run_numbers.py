"""Run numbers on a store only this process opens: kept in memory, the index written now and
then, and nothing given twice after a crash that skipped the last index write."""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal

from server.graph import run_numbers
from server.graph.namespaces import OL, run_iri
from server.store import open_store
from server.store.base import Store


def _indexed(store: Store) -> int:
    return run_numbers._indexed_last(store)


def _give(store: Store, count: int) -> list[int]:
    numbers = []
    for _ in range(count):
        number = run_numbers.next_run_number(store)
        run = run_iri(f"{number:016x}")
        store.replace_graph(run, [(run, OL.runNumber, Literal(number))])
        numbers.append(number)
    return numbers


def test_an_exclusive_store_writes_its_index_every_so_often_and_at_flush(tmp_path: Path) -> None:
    store = open_store(f"oxigraph:{tmp_path}")
    try:
        assert store.exclusive
        assert _give(store, 3) == [1, 2, 3]
        assert run_numbers.last_run_number(store) == 3
        assert _indexed(store) == 0, "not rewritten at every run"
        _give(store, run_numbers.INDEX_EVERY)
        assert _indexed(store) == run_numbers.INDEX_EVERY  # when it was 256 numbers behind
        run_numbers.flush(store)
        assert _indexed(store) == run_numbers.INDEX_EVERY + 3
    finally:
        store.close()


def test_after_a_crash_the_highest_number_a_run_states_wins_over_a_stale_index(
    tmp_path: Path,
) -> None:
    store = open_store(f"oxigraph:{tmp_path}")
    try:
        _give(store, 5)
        run_numbers.flush(store)
        _give(store, 2)  # runs 6 and 7, then the process dies before the next index write
        run_numbers.forget(store)  # as the next process to open the store
        assert _indexed(store) == 5
        assert run_numbers.last_run_number(store) == 7
        assert _give(store, 1) == [8]
    finally:
        store.close()


def test_a_shared_store_is_read_afresh_and_its_index_written_each_time() -> None:
    store = open_store("oxigraph:memory")  # in memory: a stand-in for a server's store
    store.exclusive = False  # type: ignore[misc]  # as a remote store reports
    try:
        assert _give(store, 2) == [1, 2]
        assert _indexed(store) == 2
        # another process gives number 3
        store.replace_graph(
            run_numbers.RUN_INDEX_GRAPH,
            [(run_numbers.RUN_INDEX_GRAPH, OL.lastRunNumber, Literal(3))],
        )
        assert _give(store, 1) == [4]
    finally:
        store.close()
