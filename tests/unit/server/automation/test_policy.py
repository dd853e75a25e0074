"""The promotion policy and the alias history on real runs in the embedded store.

One module-scoped platform runs breast_cancer variants once: version 1 (logistic regression),
2 (the same fit, other bytes: a tie), 3 (a decision stump: worse, passes a lower bar), 4 (the
logistic regression on another test split: other held-out data), 5 (not validated). Each test
uses its own model state in the order written, so they run in file order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef

from server.automation.policy import challenge
from server.errors import NotFoundError, PromotionRefused, RegistryError, RegistryInputError
from server.graph import queries
from server.graph.namespaces import MLS, OL
from server.platform import Platform, open_platform
from server.registry.history import Cause
from server.registry.model import history_iri, model_iri, version_iri
from server.settings import Settings
from tests.shapes import assert_conforms
from tests.unit.server.registry import test_registry as built_runs

MODEL = built_runs.MODEL


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    settings = Settings.load({"data": tmp_path_factory.mktemp("policy") / "data"}, environ={})
    platform = open_platform(settings, serve_deployments=False)
    texts = [
        built_runs.BASE,
        built_runs.variant(max_iter=2000),
        built_runs.variant(built_runs.STUMP, min_accuracy="0.8"),
        built_runs.BASE.replace("ol:testSize 0.25", "ol:testSize 0.3"),
        built_runs.variant(validate=False, max_iter=3000),
    ]
    for text in texts:
        assert built_runs.run_text(platform, text).status == "succeeded"
    assert [v.number for v in platform.registry.model(MODEL).versions] == [1, 2, 3, 4, 5]
    yield platform
    platform.close()


def champion(platform: Platform) -> int | None:
    held = platform.registry.model(MODEL).aliases.get("champion")
    return held.version if held else None


def test_first_challenger_without_champion_is_promoted(platform: Platform) -> None:
    decision = challenge(platform.registry, MODEL, 3)
    assert decision["outcome"] == "promoted", decision["reason"]
    assert "no champion" in decision["reason"]
    assert champion(platform) == 3
    assert decision["champion_change"]["change"].startswith(f"{history_iri(MODEL)[:-8]}/change/")


def test_a_better_challenger_on_the_same_data_is_promoted(platform: Platform) -> None:
    entry = platform.registry.model(MODEL)
    stump, logistic = entry.version(3), entry.version(1)
    assert logistic.primary_value is not None and stump.primary_value is not None
    assert logistic.primary_value > stump.primary_value
    assert platform.registry.held_out(MODEL, 1) == platform.registry.held_out(MODEL, 3) != ()
    decision = challenge(platform.registry, MODEL, 1, informed_by="urn:example:firing:1")
    assert decision["outcome"] == "promoted", decision["reason"]
    assert (decision["challenger_value"], decision["champion_value"]) == (
        logistic.primary_value,
        stump.primary_value,
    )
    assert champion(platform) == 1


def test_a_tie_is_refused_and_stays_challenger_with_the_figures(platform: Platform) -> None:
    decision = challenge(platform.registry, MODEL, 2)
    assert decision["outcome"] == "refused"
    assert "does not beat" in decision["reason"]
    assert decision["challenger_value"] == decision["champion_value"] is not None
    entry = platform.registry.model(MODEL)
    assert entry.aliases["challenger"].version == 2 and entry.aliases["champion"].version == 1
    assert decision["champion_change"] is None


def test_other_held_out_data_is_refused_naming_both_checksums(platform: Platform) -> None:
    theirs, ours = platform.registry.held_out(MODEL, 1), platform.registry.held_out(MODEL, 4)
    assert theirs and ours and theirs != ours
    decision = challenge(platform.registry, MODEL, 4)
    assert decision["outcome"] == "refused"
    assert "different held-out data" in decision["reason"]
    assert ours[0][:12] in decision["reason"] and theirs[0][:12] in decision["reason"]
    assert champion(platform) == 1


def test_an_unvalidated_challenger_is_refused(platform: Platform) -> None:
    decision = challenge(platform.registry, MODEL, 5)
    assert decision["outcome"] == "refused"
    assert "did not pass its validation" in decision["reason"]
    assert champion(platform) == 1


def test_challenging_with_the_champion_or_an_unknown_version_changes_nothing(
    platform: Platform,
) -> None:
    before = platform.registry.alias_history(MODEL, "challenger")
    with pytest.raises(RegistryError, match="is the champion already"):
        challenge(platform.registry, MODEL, 1)
    with pytest.raises(NotFoundError, match="has no version 99"):
        challenge(platform.registry, MODEL, 99)
    assert platform.registry.alias_history(MODEL, "challenger") == before


def test_history_lists_every_change_newest_first_with_its_cause(platform: Platform) -> None:
    history = platform.registry.alias_history(MODEL, "champion")
    assert [(c["kind"], c["version"], c["previous"]) for c in history] == [
        ("move", 1, 3),
        ("set", 3, None),
    ]
    assert {c["cause"] for c in history} == {"gate"}
    assert all(c["informed_by"] and "/decision/" in c["informed_by"] for c in history)


def test_which_version_served_the_alias_at_a_time(platform: Platform) -> None:
    history = platform.registry.alias_history(MODEL, "champion")
    moved, first = history[0]["time"], history[1]["time"]
    at = platform.registry.alias_at
    assert at(MODEL, "champion", first)["version"] == 3
    between = datetime.fromisoformat(moved) - timedelta(microseconds=1)
    assert at(MODEL, "champion", between.isoformat())["version"] == 3
    assert at(MODEL, "champion", moved)["version"] == 1
    assert at(MODEL, "champion", datetime.now(UTC).isoformat())["version"] == 1


def test_why_it_changed_walks_to_the_decision_and_the_trigger(platform: Platform) -> None:
    latest = platform.registry.alias_history(MODEL, "champion")[0]
    chain = platform.registry.change_causes(MODEL, latest["iri"])
    kinds = [c["type"] for c in chain]
    assert kinds[:2] == ["AliasChange", "PromotionDecision"]
    decision = chain[1]
    assert decision["outcome"] == "promoted" and decision["metric"] == "accuracy"
    assert decision["challenger_value"] > decision["champion_value"]
    assert chain[-1]["iri"] == "urn:example:firing:1"  # the trigger firing it was given


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda r: r.alias_at(MODEL, "champion", "yesterday"), RegistryInputError, "ISO 8601"),
        (
            lambda r: r.alias_at(MODEL, "champion", "2001-01-01T00:00:00Z"),
            NotFoundError,
            "did not exist at 2001",
        ),
        (lambda r: r.alias_history(MODEL, "staging"), NotFoundError, "no history of an alias"),
        (lambda r: r.alias_history("no-such-model", "champion"), NotFoundError, "no model"),
        (lambda r: r.alias_history(MODEL, "Bad Alias"), RegistryInputError, "not an alias"),
        (lambda r: r.change_causes(MODEL, "urn:x"), NotFoundError, "not an alias change"),
    ],
)
def test_history_reads_refuse_bad_input(
    platform: Platform, call: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call(platform.registry)


def test_rollback_walks_back_and_then_says_there_is_nothing_left(platform: Platform) -> None:
    registry = platform.registry
    registry.set_alias(MODEL, "staging", 1)
    registry.set_alias(MODEL, "staging", 2)
    registry.set_alias(MODEL, "staging", 3, cause=Cause("manual"))
    assert registry.rollback(MODEL, "staging").version == 2
    assert registry.rollback(MODEL, "staging").version == 1
    with pytest.raises(RegistryError, match="no previous version"):
        registry.rollback(MODEL, "staging")
    assert registry.model(MODEL).aliases["staging"].version == 1
    causes = [c["cause"] for c in registry.alias_history(MODEL, "staging")]
    assert causes == ["rollback", "rollback", "manual", "manual", "manual"]
    registry.delete_alias(MODEL, "staging")
    assert registry.alias_history(MODEL, "staging")[0]["kind"] == "delete"
    gone = registry.alias_at(MODEL, "staging", datetime.now(UTC).isoformat())
    assert gone["deleted"] is True and gone["version"] is None


def test_a_champion_validated_on_other_data_is_scored_on_the_challengers_split(
    platform: Platform,
) -> None:
    ours = platform.registry.held_out(MODEL, 4)
    assert ours != platform.registry.held_out(MODEL, 1)
    decision = platform.challenge(MODEL, 4, informed_by="urn:example:firing:2")
    assert decision["champion"] == 1 and decision["champion_scoring"], decision["reason"]
    history = Graph()
    for row in queries.select(platform.store, "graph_triples", graph=history_iri(MODEL)):
        history.add((row["s"], row["p"], row["o"]))
    scoring = URIRef(decision["champion_scoring"])
    assert history.value(scoring, OL.scoredOnSha256) == Literal(ours[0])
    assert history.value(scoring, OL.scoredVersion) == version_iri(MODEL, 1)
    scored = {
        str(history.value(e, MLS.specifiedBy)).rsplit("#", 1)[-1]: float(
            history.value(e, MLS.hasValue)  # type: ignore[arg-type]
        )
        for e in history.objects(scoring, MLS.hasOutput)
    }
    assert {"accuracy", "precision", "recall", "f1"} <= set(scored)
    expected = _accuracy_of_version_1_on(platform, ours[0])
    assert scored["accuracy"] == pytest.approx(expected)
    assert decision["champion_value"] == scored["accuracy"]
    assert decision["held_out_sha256"] == list(ours)
    node = URIRef(decision["iri"])
    assert history.value(node, OL.championScoring) == scoring
    beats = decision["challenger_value"] > decision["champion_value"]
    assert decision["outcome"] == ("promoted" if beats else "refused"), decision["reason"]
    assert champion(platform) == (4 if beats else 1)


@pytest.mark.parametrize(
    ("held_out", "match"),
    [
        ((), "validated on 0 held-out data sets, not one"),
        (("a" * 64, "b" * 64), "validated on 2 held-out data sets"),
        (("0" * 64,), "splits artifact 000000000000 is not stored"),
        (("model",), "scoring it on the challenger's held-out data failed .*lacks"),
    ],
)
def test_a_champion_that_cannot_be_scored_is_refused_saying_why(
    platform: Platform, held_out: tuple[str, ...], match: str
) -> None:
    assert platform.scorer is not None
    version = platform.registry.resolve(MODEL, 1)
    # "model": the model's own bytes where a test split belongs, so the step itself fails
    held_out = tuple(version.sha256 if sha == "model" else sha for sha in held_out)
    with pytest.raises(PromotionRefused, match=match):
        platform.scorer.score(version, "classification", held_out)


def _accuracy_of_version_1_on(platform: Platform, splits_sha256: str) -> float:
    """Version 1's accuracy on a test split, computed here from the artifacts themselves."""
    import joblib
    from sklearn.metrics import accuracy_score

    model = joblib.load(platform.artifacts.path(platform.registry.resolve(MODEL, 1).sha256))
    test = joblib.load(platform.artifacts.path(splits_sha256))["test"]
    x, y = test[model["feature_columns"]], test[model["target"]]
    return float(accuracy_score(y, model["pipeline"].predict(x)))


def test_history_graph_conforms_to_the_shapes(platform: Platform) -> None:
    data = Graph()
    for graph in (history_iri(MODEL), model_iri(MODEL)):  # the versions it links are typed there
        for row in queries.select(platform.store, "graph_triples", graph=graph):
            data.add((row["s"], row["p"], row["o"]))
    assert len(data) > 20
    assert_conforms(data)
