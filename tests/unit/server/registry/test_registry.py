"""The model registry on real runs: versions per run, what a failed run leaves, aliases, the
promotion gate, and the registry graph itself.

One module-scoped platform runs breast_cancer variants once (the step cache makes the repeats
cheap); the tests read the registry they built. Tests that change aliases use their own alias
names, so they do not depend on each other's order.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal
from rdflib.namespace import XSD
from rdflib.term import Node

from ontology import ONTOLOGY_FILE
from server import definitions
from server.errors import NotFoundError, PromotionRefused, RegistryInputError
from server.graph.namespaces import OL, run_iri
from server.platform import Platform, open_platform
from server.registry.gate import check_promotion
from server.registry.model import Alias, ModelEntry, ModelVersion, model_iri, version_iri
from server.registry.service import Registry
from server.settings import Settings
from server.tracking.records import RunRecord
from tests.reasoner import reason

ROOT = Path(__file__).resolve().parents[4]
MODEL = "breast-cancer-classifier"
BASE = (ROOT / "examples" / "breast_cancer.ttl").read_text()


HYPERPARAMETERS = """ol:hyperParameter [ ol:parameterName "C" ; ol:parameterValue 1.0 ] ,
                      [ ol:parameterName "max_iter" ; ol:parameterValue 1000 ] ;"""
STUMP = (
    '"DecisionTreeClassifier" ;\n'
    '    ol:hyperParameter [ ol:parameterName "max_depth" ; ol:parameterValue 1 ] ;'
)


def variant(
    estimator: str = "", min_accuracy: str = "0.9", validate: bool = True, max_iter: int = 1000
) -> str:
    """The breast_cancer example with another estimator (and its hyperparameters), another
    accuracy threshold, no validate step, or another ``max_iter`` (the same fit, other bytes:
    the estimator's parameters are pickled with it, so it registers as a version of its own)."""
    text = BASE.replace("ol:parameterValue 1000 ]", f"ol:parameterValue {max_iter} ]")
    if estimator:
        text = text.replace('"LogisticRegression" ;', estimator).replace(HYPERPARAMETERS, "")
    text = text.replace("ol:minValue 0.9 ]", f"ol:minValue {min_accuracy} ]")
    if not validate:
        text = text.replace(":build, :validate .", ":build .")
        text = text[: text.index(":validate a ol:ModelValidation")]
        text += ":raw a ol:Dataset . :splits a ol:Dataset . :profile a ol:DataProfile .\n"
        text += ":model a ol:Model .\n"
    return text


@dataclass
class Built:
    platform: Platform
    runs: dict[str, RunRecord]

    @property
    def registry(self) -> Registry:
        return self.platform.registry


def run_text(platform: Platform, text: str) -> RunRecord:
    version = definitions.submit(platform.store, definitions.parse(text)).version
    return platform.runs.run(version)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    settings = Settings.load({"data": tmp_path_factory.mktemp("registry") / "data"}, environ={})
    platform = open_platform(settings, serve_deployments=False)
    runs = {
        "first": run_text(platform, BASE),  # version 1
        "rerun": run_text(platform, BASE),  # every step cached, the same model: version 1
        "second": run_text(platform, variant(max_iter=2000)),  # version 2
        "missed": run_text(platform, variant(min_accuracy="0.999")),  # fails: nothing
        "unvalidated": run_text(platform, variant(validate=False, max_iter=3000)),  # version 3
        # version 4: a worse model that passes a lower bar
        "stump": run_text(platform, variant(STUMP, min_accuracy="0.8")),
    }
    yield Built(platform, runs)
    platform.close()


def test_each_successful_run_adds_the_next_version(built: Built) -> None:
    entry = built.registry.model(MODEL)
    assert [v.number for v in entry.versions] == [1, 2, 3, 4]
    runs = built.runs
    assert [v.run_id for v in entry.versions] == [
        runs["first"].run_id,
        runs["second"].run_id,
        runs["unvalidated"].run_id,
        runs["stump"].run_id,
    ]
    first = entry.version(1)
    build = runs["first"].steps["build"].result
    assert build is not None
    assert first.sha256 == build.outputs["model"].sha256
    assert first.artifact == f"{run_iri(runs['first'].run_id)}/output/build"
    assert first.created == runs["first"].ended_at


def test_a_cached_rerun_registers_no_duplicate_of_the_same_checksum(built: Built) -> None:
    rerun = built.runs["rerun"]
    assert rerun.status == "succeeded"
    assert all(step.cache_hit for step in rerun.steps.values())
    entry = built.registry.model(MODEL)
    checksum = entry.version(1).sha256
    assert [v.number for v in entry.versions if v.sha256 == checksum] == [1]
    assert len({v.sha256 for v in entry.versions}) == len(entry.versions)
    assert rerun.run_id not in {v.run_id for v in entry.versions}
    [again] = built.registry.register_run(rerun)  # the re-run points at the existing version
    assert (again.number, again.run_id) == (1, built.runs["first"].run_id)
    assert [v.number for v in built.registry.model(MODEL).versions] == [1, 2, 3, 4]


def test_a_failed_run_registers_nothing(built: Built) -> None:
    missed = built.runs["missed"]
    assert missed.status == "failed"
    assert missed.steps["validate"].status == "failed"
    assert missed.run_id not in {v.run_id for v in built.registry.model(MODEL).versions}
    assert built.registry.register_run(missed) == []


def test_versions_record_validation_metrics_and_primary_metric(built: Built) -> None:
    entry = built.registry.model(MODEL)
    first, unvalidated, stump = entry.version(1), entry.version(3), entry.version(4)
    validate = built.runs["first"].steps["validate"].result
    assert validate is not None
    assert first.passed is True
    assert first.metrics == pytest.approx(validate.metrics)
    assert set(first.metrics) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert first.primary_metric == "accuracy"
    assert first.primary_value == pytest.approx(validate.metrics["accuracy"])
    assert first.higher_is_better is True
    assert "accuracy" in first.note and ">= 0.9" in first.note
    assert unvalidated.passed is False and unvalidated.note == "not validated"
    assert unvalidated.metrics == {} and unvalidated.primary_value is None
    assert stump.passed is True
    assert stump.primary_value is not None and first.primary_value is not None
    assert stump.primary_value < first.primary_value


def test_models_lists_names_latest_versions_and_aliases(built: Built) -> None:
    built.registry.set_alias(MODEL, "listed", 2)
    [listed] = built.registry.models()
    assert listed["name"] == MODEL
    assert listed["task"] == "classification"
    assert listed["latest_version"] == 4 and listed["versions"] == 4
    assert listed["aliases"]["listed"] == 2


def test_alias_set_move_and_delete(built: Built) -> None:
    registry = built.registry
    change = registry.set_alias(MODEL, "challenger", 3)  # not gated: any version
    assert (change.version, change.previous, change.gated) == (3, None, False)
    assert registry.resolve(MODEL, alias="challenger").number == 3
    moved = registry.set_alias(MODEL, "challenger", 4)
    assert (moved.version, moved.previous) == (4, 3)
    assert registry.model(MODEL).aliases_of(4) == ["challenger"]
    assert registry.delete_alias(MODEL, "challenger").version == 4
    with pytest.raises(NotFoundError, match="no alias 'challenger'"):
        registry.resolve(MODEL, alias="challenger")


def test_gate_refuses_an_unvalidated_version_saying_why(built: Built) -> None:
    with pytest.raises(PromotionRefused, match="did not pass its validation thresholds") as caught:
        built.registry.promote(MODEL, 3, "gated-a")
    assert "not validated" in str(caught.value)
    assert "promote a version that passed (1, 2, 4)" in str(caught.value)
    assert caught.value.status == 409
    with pytest.raises(PromotionRefused, match="not validated"):
        built.registry.set_alias(MODEL, "champion", 3)  # champion is always gated
    assert "gated-a" not in built.registry.model(MODEL).aliases


def test_gate_refuses_a_worse_version_naming_both_numbers(built: Built) -> None:
    registry = built.registry
    entry = registry.model(MODEL)
    better, worse = entry.version(1), entry.version(4)
    registry.promote(MODEL, 1, "gated-b")
    with pytest.raises(PromotionRefused, match="does not beat") as caught:
        registry.promote(MODEL, 4, "gated-b", must_beat_current=True)
    message = str(caught.value)
    assert f"{worse.primary_value:.4f}" in message and f"{better.primary_value:.4f}" in message
    assert "accuracy" in message and "higher is better" in message
    assert caught.value.compared == {
        "metric": "accuracy",
        "candidate": {"version": 4, "value": worse.primary_value},
        "current": {"version": 1, "value": better.primary_value},
        "higher_is_better": True,
    }
    assert registry.resolve(MODEL, alias="gated-b").number == 1, "the alias did not move"


def test_gate_accepts_a_better_version_and_a_tie_needs_no_must_beat(built: Built) -> None:
    registry = built.registry
    registry.promote(MODEL, 4, "gated-c")
    change = registry.promote(MODEL, 1, "gated-c", must_beat_current=True)
    assert (change.version, change.previous, change.gated) == (1, 4, True)
    assert change.compared is not None and change.compared["current"]["version"] == 4
    with pytest.raises(PromotionRefused, match="does not beat"):  # an equal score is no win
        registry.promote(MODEL, 2, "gated-c", must_beat_current=True)
    assert registry.promote(MODEL, 2, "gated-c").version == 2


def test_unknown_names_versions_and_bad_aliases_say_what_exists(built: Built) -> None:
    registry = built.registry
    with pytest.raises(NotFoundError, match=f"registered: {MODEL}"):
        registry.model("no-such-model")
    with pytest.raises(NotFoundError, match="has no version 9; it has versions 1, 2, 3, 4"):
        registry.resolve(MODEL, 9)
    with pytest.raises(RegistryInputError, match="not an alias name"):
        registry.set_alias(MODEL, "Champion!", 1)
    with pytest.raises(RegistryInputError, match="not a model name"):
        registry.model("Bad Name")


def test_registry_graph_has_no_blank_nodes_and_links_runs(built: Built) -> None:
    store = built.platform.store
    graph = model_iri(MODEL)
    rows = store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert rows
    assert not any(isinstance(term, BNode) for row in rows for term in row.values())
    node = version_iri(MODEL, 1)
    facts = {(str(r["p"]), str(r["o"])) for r in rows if r["s"] == node}
    assert (str(OL.registeredFromRun), str(run_iri(built.runs["first"].run_id))) in facts
    assert (str(OL.passedValidation), str(Literal(True))) in facts
    assert (str(OL.primaryMeasure), str(OL.accuracy)) in facts


def test_predict_through_the_registry_uses_the_chosen_version(built: Built) -> None:
    from sklearn.datasets import load_breast_cancer

    row = {str(k): float(v) for k, v in load_breast_cancer(as_frame=True).data.iloc[0].items()}
    serving = built.platform.serving
    answer = serving.predict(MODEL, {"inputs": row}, version=4)
    assert answer["model"] == {"name": MODEL, "version": 4}
    assert answer["predictions"] in ([0], [1])
    latest = serving.predict(MODEL, {"inputs": row})
    assert latest["model"]["version"] == 4
    first = built.registry.resolve(MODEL, 1)
    assert serving.load(first) is serving.load(first), "a version's model is loaded once"


def version(number: int, value: float | None, metric: str = "rmse") -> ModelVersion:
    return ModelVersion(
        name="m",
        number=number,
        run_id="0" * 16,
        artifact="https://example.org/a",
        sha256="0" * 64,
        created="2026-01-01T00:00:00+00:00",
        passed=True,
        note="ok",
        primary_metric=metric,
        primary_value=value,
        higher_is_better=metric != "rmse",
    )


def test_lower_is_better_measures_are_compared_the_other_way() -> None:
    entry = ModelEntry("m", "regression", [version(1, 50.0), version(2, 40.0), version(3, 60.0)])
    entry.aliases["champion"] = Alias("champion", 1, "2026-01-01T00:00:00+00:00")
    assert check_promotion(entry, entry.version(2), "champion", True)["higher_is_better"] is False
    with pytest.raises(PromotionRefused, match="60.0000 does not beat 50.0000.*lower is better"):
        check_promotion(entry, entry.version(3), "champion", True)


def hermit_friendly(term: Node) -> Node:
    """HermiT cannot parse microsecond fractions in xsd:dateTime, which the graphs hold."""
    if isinstance(term, Literal) and term.datatype == XSD.dateTime:
        stamp = term.toPython()
        return Literal(stamp.isoformat(timespec="seconds"), datatype=XSD.dateTime)
    return term


def test_reasoner_finds_ontology_runs_and_registry_consistent(built: Built, tmp_path: Path) -> None:
    owlready2 = pytest.importorskip("owlready2")
    if shutil.which(owlready2.JAVA_EXE) is None:
        pytest.fail(
            "Java is not on PATH, so the OWL reasoner cannot run; run ./installation.sh --dev"
        )
    graph = Graph().parse(ONTOLOGY_FILE)
    for row in built.platform.store.select("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"):
        graph.add((row["s"], row["p"], hermit_friendly(row["o"])))
    # rdf:JSON (hyperparameter values) is outside OWL 2's datatype map; xsd still checked.
    reason(graph, tmp_path, ignore_unsupported_datatypes=True)
