"""The trigger queries on each store (embedded, Oxigraph server, Virtuoso): triggers listed with
their settings, a new dataset version found once, firing times read back by a second service,
firings listed, removed triggers gone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server import definitions
from server.automation import TriggerService
from server.definitions.ui_document import to_graph
from server.graph.clock import ManualClock
from server.platform import Platform, open_platform
from server.settings import Settings
from tests.documents import quick_document

CSV = b"a,b,target\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n"


@pytest.fixture
def platform(tmp_path: Path, store_url: str) -> Iterator[Platform]:
    settings = Settings.load(
        {"data": tmp_path / "data", "store": store_url or None, "triggers": False}, environ={}
    )
    clock = ManualClock(datetime(2026, 3, 1, 10, 2, tzinfo=UTC))
    opened = open_platform(settings, serve_deployments=False, clock=clock)
    yield opened
    opened.close()


@pytest.mark.slow
def test_trigger_queries_answer_alike_on_every_store(platform: Platform) -> None:
    definitions.submit(platform.store, to_graph(quick_document()))
    platform.datasets.upload("tiny", CSV, "text/csv")
    triggers = platform.triggers
    watch = {"kind": "drift", "threshold": 0.3, "deployments": ["d2", "d1"], "windows": 2}
    drift = triggers.create("quick", watch)
    new_data = triggers.create("quick", {"kind": "new_data", "dataset": "tiny"})
    manual = triggers.create("quick", {"kind": "manual", "cooldown_seconds": 600})
    listed = {t.id: t for t in triggers.listing("quick")}
    assert listed[drift.id].deployments == ("d1", "d2") and listed[drift.id].windows == 2
    assert listed[new_data.id].baseline_version == 1

    assert triggers.tick() == []
    second, _ = platform.datasets.upload("tiny", CSV + b"9,10,x\n", "text/csv")
    [firing] = triggers.tick()
    assert firing.dataset_version == second.iri and firing.outcome == "started"
    assert firing.run_id is not None and platform.runs.wait(firing.run_id, 180)
    assert triggers.tick() == [], "version 2 is handled"
    assert triggers.fire("quick", manual.id).outcome == "started"
    for run in platform.runs.active():
        assert platform.runs.wait(run.run_id, 180)

    later = ManualClock(datetime(2026, 3, 1, 10, 3, tzinfo=UTC))  # a minute after the run
    other = TriggerService(platform.settings, platform.store, platform.runs, later)
    assert other.fire("quick", manual.id).outcome == "cooldown", "read from the graph"
    assert [f.outcome for f in triggers.firings("quick", manual.id)] == ["cooldown", "started"]
    [read] = triggers.firings("quick", new_data.id)
    assert read.dataset_version == second.iri and read.observed_value == 2
    triggers.remove("quick", drift.id)
    assert {t.id for t in triggers.listing("quick")} == {new_data.id, manual.id}
