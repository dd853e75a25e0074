"""Run numbers: given once per run, in the order runs enter the store, by any writer."""

from __future__ import annotations

import pytest

from server.graph.namespaces import RUN_INDEX_GRAPH, run_iri
from server.graph.run_numbers import last_run_number, numbers_of
from server.platform import Platform
from server.tracking import run_index
from server.tracking.writer import RunWriter
from tests.integration.test_run_lifecycle import run, twin


@pytest.mark.slow
def test_each_run_keeps_its_number_and_the_next_follows_the_last_given(
    platform: Platform,
) -> None:
    finished = run(platform)
    assert run_index.summaries(platform.store, [finished.run_id])[0].number == 1
    first, second = RunWriter(platform.store), RunWriter(platform.store)
    first.write(twin(finished, "a" * 16))
    second.write(twin(finished, "b" * 16))  # another writer of the same store
    first.write(twin(finished, "a" * 16))  # saved again: the same number
    RunWriter(platform.store).write(twin(finished, "a" * 16))  # a writer that never saw it
    numbers = {
        r.run_id: r.number for r in run_index.summaries(platform.store, ["a" * 16, "b" * 16])
    }
    assert numbers == {"a" * 16: 2, "b" * 16: 3}
    assert last_run_number(platform.store) == 3

    # The index graph lost: the next number still follows the highest a run states.
    platform.store.delete_graph(RUN_INDEX_GRAPH)
    assert last_run_number(platform.store) == 3
    RunWriter(platform.store).write(twin(finished, "c" * 16))
    assert numbers_of(platform.store, [run_iri("c" * 16)]) == [4]

    _, newest = run_index.select(platform.store, run_index.Selection(limit=2))
    assert [r.run_id for r in newest] == ["c" * 16, "b" * 16]
    _, page = run_index.select(platform.store, run_index.Selection(limit=2, offset=2))
    assert [(r.run_id, r.number) for r in page] == [("a" * 16, 2), (finished.run_id, 1)]
    # A gap (a deleted run) is stepped over, and the page still holds as many as asked.
    platform.store.delete_graph(run_iri("b" * 16))
    total, page = run_index.select(platform.store, run_index.Selection(limit=3))
    assert total == 3 and [r.number for r in page] == [4, 2, 1]
