"""A run started by a trigger firing challenges the champion when it ends (the platform wires
``policy.challenge_run`` to ``TriggerService.on_run_finished``): here a worse model, refused,
with the firing as the decision's cause. The promoted path, with the switch, is
tests/integration/test_operations_loop.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server import definitions
from server.automation.firings import firing_iri
from server.definitions.ui_document import to_graph
from server.graph import queries
from server.graph.terms import plain_row
from server.platform import Platform, open_platform
from server.settings import Settings
from tests.documents import iris_document

MODEL = "iris-promo"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    settings = Settings.load({"data": tmp_path / "data", "triggers": False}, environ={})
    opened = open_platform(settings, serve_deployments=False)
    yield opened
    opened.close()


def submit(platform: Platform, **build: object) -> None:
    document = iris_document("promo", model=MODEL, **build)  # type: ignore[arg-type]
    definitions.submit(platform.store, to_graph(document))


def test_a_triggered_run_challenges_and_a_worse_model_is_refused_citing_the_firing(
    platform: Platform,
) -> None:
    submit(platform, estimator="LogisticRegression")
    version = definitions.get_version(platform.store, "promo")
    assert platform.runs.run(version).status == "succeeded"
    assert platform.challenge(MODEL, 1)["outcome"] == "promoted"  # no champion yet

    submit(platform, estimator="DecisionTreeClassifier", hyper={"max_depth": 1})
    trigger = platform.triggers.create("promo", {"kind": "manual"})
    firing = platform.triggers.fire("promo", trigger.id)
    assert firing.run_id is not None, firing.detail
    assert platform.runs.wait(firing.run_id, 180), "the triggered run did not end"

    entry = platform.registry.model(MODEL)
    assert entry.aliases["champion"].version == 1 and entry.aliases["challenger"].version == 2
    cause = str(firing_iri(trigger.iri, firing.id))
    [row] = [
        plain_row(r) for r in queries.select(platform.store, "firing_consequences", firing=cause)
    ]
    assert row["number"] == 2 and row["decision_outcome"] == "refused"
    assert "does not beat" in row["reason"]
    assert row["challenger_value"] < row["champion_value"]
    assert row.get("scoring") is None, "the same test split: nothing to score again"
    assert row.get("change") is None and row.get("switch") is None
    why = platform.registry.change_causes(
        MODEL, platform.registry.alias_history(MODEL, "challenger")[0]["iri"]
    )
    assert [c["iri"] for c in why][2] == cause
