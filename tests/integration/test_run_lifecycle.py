"""Run lifecycle on real steps: failures, skipping, thresholds, step cache, triples."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace

import pytest

from executor.contract import artifact_path, sha256_of
from server import definitions
from server.errors import PlanError
from server.graph import queries
from server.graph.namespaces import OL, PROV, run_iri, step_run_iri
from server.graph.standard_types import ontology_types
from server.platform import Platform
from server.settings import Settings
from server.tracking import catalog
from server.tracking.records import RunRecord, as_started
from server.tracking.results import run_triples
from server.tracking.writer import RunWriter

DEFINITION = """
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://example.org/life#> .
:experiment a ol:Experiment ; dcterms:identifier "life" ; ol:task "classification" ;
    ol:hasStep :extract, :explore, :process, :build, :validate .
:extract a ol:DataExtraction ; ol:source "sklearn:iris" ; ol:targetColumn "target" ;
    ol:produces :raw .
:explore a ol:DataExploration ; ol:consumes :raw ; ol:produces :profile .
:process a ol:DataProcessing ; ol:consumes :raw ; ol:randomSeed 7 ; ol:produces :splits .
:build a ol:ModelBuilding ; ol:consumes :splits ; ol:estimator "LogisticRegression" ;
    ol:hyperParameter [ ol:parameterName "max_iter" ; ol:parameterValue MAXITER ] ;
    ol:produces :model .
:validate a ol:ModelValidation ; ol:consumes :model, :splits ;
    ol:threshold [ ol:metricName "accuracy" ; ol:minValue MINACC ] ; ol:produces :report .
"""


@pytest.fixture
def settings(store_settings: Settings) -> Settings:
    """Every test here runs on each store: embedded, Oxigraph server, Virtuoso."""
    return store_settings


def run(platform: Platform, max_iter: str = "500", min_accuracy: str = "0.5", **kw) -> RunRecord:
    text = DEFINITION.replace("MAXITER", max_iter).replace("MINACC", min_accuracy)
    version = definitions.submit(platform.store, definitions.parse(text)).version
    return platform.runs.run(version, **kw)


def twin(record: RunRecord, run_id: str) -> RunRecord:
    """A copy of ``record`` as the run ``run_id``: a run to write beside the first."""
    copy = deepcopy(record)
    copy.run_id = run_id
    return copy


@pytest.mark.slow
def test_threshold_miss_fails_the_run_naming_metric_value_and_threshold(platform: Platform) -> None:
    record = run(platform, min_accuracy="0.999")
    assert record.status == "failed"
    validate = record.steps["validate"]
    assert validate.status == "failed"
    assert validate.result and validate.result.error
    message = validate.result.error.message
    assert "accuracy" in message and "0.999" in message
    accuracy = validate.result.metrics["accuracy"]
    assert f"{accuracy:.3f}"[:4] in message
    details = catalog.run_details(platform.store, record.run_id)
    assert "validate" in details["error"] and "accuracy" in details["error"]
    assert {m["metric"] for m in details["metrics"]} >= {"accuracy", "f1"}, "metrics still kept"
    check = platform.store.select(
        f"""PREFIX ol: <https://w3id.org/ontolab/ns#>
        SELECT ?passed ?observed WHERE {{ GRAPH <{run_iri(record.run_id)}> {{
          ?c a ol:ThresholdCheck ; ol:passed ?passed ; ol:observedValue ?observed }} }}"""
    )
    assert [r["passed"].toPython() for r in check] == [False]  # type: ignore[union-attr]


@pytest.mark.slow
def test_failed_step_skips_its_dependents_only(platform: Platform) -> None:
    record = run(platform, max_iter='"many"')
    assert record.status == "failed"
    statuses = {sid: s.status for sid, s in record.steps.items()}
    assert statuses == {
        "extract": "succeeded",
        "explore": "succeeded",
        "process": "succeeded",
        "build": "failed",
        "validate": "skipped",
    }
    build = record.steps["build"]
    assert build.result and build.result.error and "max_iter" in build.result.error.message
    steps = {s["step_id"]: s for s in catalog.run_details(platform.store, record.run_id)["steps"]}
    assert steps["validate"]["status"] == "skipped"
    assert "'build'" in steps["validate"]["error_message"]
    assert steps["build"]["error_type"] == "ParameterError"


@pytest.mark.slow
def test_step_cache_reuses_identical_work_and_says_so(platform: Platform) -> None:
    first = run(platform)
    second = run(platform)
    assert all(not s.cache_hit for s in first.steps.values())
    assert all(s.cache_hit for s in second.steps.values())
    assert second.steps["build"].reused_from == str(step_run_iri(first.run_id, "build"))
    steps = catalog.run_details(platform.store, second.run_id)["steps"]
    assert all(s["cache_hit"] is True and s["reused_from"] for s in steps)

    def metric_values(run_id: str) -> list[tuple[str, float]]:
        rows = catalog.run_details(platform.store, run_id)["metrics"]
        return [(r["metric"], r["value"]) for r in rows]

    assert metric_values(second.run_id) == metric_values(first.run_id)
    changed = run(platform, max_iter="600")
    hits = {sid: s.cache_hit for sid, s in changed.steps.items()}
    assert hits == {
        "extract": True,
        "explore": True,
        "process": True,
        "build": False,
        "validate": False,
    }


@pytest.mark.slow
def test_a_cached_output_damaged_on_disk_is_a_miss_and_the_rerun_repairs_it(
    platform: Platform,
) -> None:
    first = run(platform)
    build = first.steps["build"].result
    assert build is not None
    model = artifact_path(platform.artifacts.root, build.outputs["model"].sha256)
    damaged = bytearray(model.read_bytes())
    damaged[-1] ^= 0xFF  # same size: a size check alone would call it a hit
    model.write_bytes(bytes(damaged))
    second = run(platform)
    assert second.status == "succeeded"
    assert second.steps["process"].cache_hit and not second.steps["build"].cache_hit
    assert sha256_of(model) == build.outputs["model"].sha256


@pytest.mark.slow
def test_a_run_warns_of_limits_its_provisioner_cannot_enforce(platform: Platform) -> None:
    plain = run(platform)
    assert plain.warnings == []
    assert catalog.run_details(platform.store, plain.run_id)["warnings"] == []
    limited = DEFINITION.replace(
        ":build a ol:ModelBuilding ;",
        ':build a ol:ModelBuilding ; ol:requires [ ol:cpus 0.5 ; ol:memory "256m" ] ;',
    )
    text = limited.replace("MAXITER", "500").replace("MINACC", "0.5")
    version = definitions.submit(platform.store, definitions.parse(text)).version
    record = platform.runs.run(version)
    assert record.status == "succeeded", record.error
    details = catalog.run_details(platform.store, record.run_id)
    assert details["warnings"] == record.warnings
    assert len(record.warnings) == 1
    for fragment in ("step 'build'", 'ol:cpus 0.5 and ol:memory "256m"', "local provisioner"):
        assert fragment in record.warnings[0]
    assert "ONTOLAB_PROVISIONER=docker" in record.warnings[0]


def test_no_cache_runs_everything(platform: Platform) -> None:
    run(platform)
    again = run(platform, use_cache=False)
    assert not any(s.cache_hit for s in again.steps.values())


@pytest.mark.slow
def test_run_graph_is_prov_and_ml_schema(platform: Platform) -> None:
    record = run(platform)
    graph = f"<{run_iri(record.run_id)}>"
    ask = platform.store.ask
    prefixes = """PREFIX ol: <https://w3id.org/ontolab/ns#> PREFIX prov: <http://www.w3.org/ns/prov#>
    PREFIX mls: <http://www.w3.org/ns/mls#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> """
    assert ask(
        prefixes
        + f"""ASK {{ GRAPH {graph} {{ ?run a ol:Run ;
        prov:startedAtTime ?s ; prov:endedAtTime ?e ; ol:status "succeeded" . }}
        ol:Run rdfs:subClassOf prov:Activity, mls:Run . }}"""
    )
    assert ask(
        prefixes
        + f"""ASK {{ GRAPH {graph} {{ ?m a mls:ModelEvaluation ;
        mls:specifiedBy ol:accuracy ; mls:hasValue ?v . FILTER(datatype(?v) = xsd:double) }} }}"""
    )
    assert ask(
        prefixes
        + f"""ASK {{ GRAPH {graph} {{ ?build ol:hasHyperParameterSetting ?h }}
        GRAPH ?h {{ ?h a mls:HyperParameterSetting ; ol:parameterName "max_iter" ;
        mls:hasValue 500 ; mls:specifiedBy ?parameter . }}
        ?implementation mls:hasHyperParameter ?parameter .
        ol:hasHyperParameterSetting rdfs:subPropertyOf mls:hasInput . }}"""
    )
    assert ask(
        prefixes
        + f"""ASK {{ GRAPH {graph} {{ ?model a ol:Model ; ol:hasSignature ?signature }}
        GRAPH ?signature {{ ?signature a ol:ModelSignature ;
        ol:featureColumn "sepal length (cm)" ; ol:libraryVersion ?library . }} }}"""
    )
    assert ask(
        prefixes
        + f"""ASK {{ GRAPH {graph} {{ ?model a ol:Model ;
        prov:wasGeneratedBy ?step ; ol:sha256 ?sha ; ol:byteSize ?size .
        ?step prov:used ?splits . ?model prov:wasDerivedFrom ?splits . }} }}"""
    )
    assert ask(
        prefixes
        + f"""ASK {{ GRAPH {graph} {{ ?dataset ol:hasDataProfile ?profile }}
        GRAPH ?profile {{ ?profile ol:hasColumnProfile ?c .
        ?c ol:columnName "sepal length (cm)" ; ol:mean ?mean . }} }}"""
    )
    assert ask(
        prefixes
        + f"""PREFIX olm: <https://w3id.org/ontolab/metric#>
        ASK {{ GRAPH {graph} {{ ?run olm:accuracy ?v ; mls:hasOutput ?m .
        ?m mls:specifiedBy ol:accuracy ; mls:hasValue ?v . }} }}"""
    )
    steps = platform.store.select(
        prefixes
        + f"""SELECT ?step WHERE {{ GRAPH {graph} {{
        ?step a ol:StepRun ; prov:startedAtTime ?s ; prov:endedAtTime ?e }} }}"""
    )
    assert len(steps) == 5


@pytest.mark.slow
def test_run_details_derive_phase_duration_and_cache_use(platform: Platform) -> None:
    record = run(platform)
    steps = {s["step_id"]: s for s in catalog.run_details(platform.store, record.run_id)["steps"]}
    assert {sid: s["phase"] for sid, s in steps.items()} == {
        sid: s.phase for sid, s in record.steps.items()
    }, "the phase comes from the step's type in the definition"
    for sid, step in steps.items():
        expected = (step["ended"] - step["started"]).total_seconds()
        assert step["duration"] == pytest.approx(expected) and step["duration"] >= 0, sid
        assert step["cache_hit"] is False, sid


@pytest.mark.slow
def test_runs_share_one_profile_and_implementation_graph(platform: Platform) -> None:
    first, second = run(platform), run(platform, use_cache=False)
    prefixes = (
        "PREFIX ol: <https://w3id.org/ontolab/ns#> PREFIX mls: <http://www.w3.org/ns/mls#> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    )
    profiles = {
        str(row["profile"])
        for record in (first, second)
        for row in platform.store.select(
            prefixes + f"SELECT ?profile WHERE {{ GRAPH <{run_iri(record.run_id)}> "
            "{ ?dataset ol:hasDataProfile ?profile } }"
        )
    }
    assert len(profiles) == 1, "the same data gives the same profile, named by its checksum"
    columns = platform.store.select(
        prefixes + f"SELECT ?c WHERE {{ <{profiles.pop()}> ol:hasColumnProfile ?c }}"
    )
    assert len(columns) == 5, "iris: four features and the target, stored once for both runs"
    names = platform.store.select(
        prefixes
        + """SELECT ?g WHERE { GRAPH ?g { ?p a mls:HyperParameter ; rdfs:label "max_iter" } }"""
    )
    assert len(names) == 1, "the implementation's hyperparameters live in one shared graph"
    for record in (first, second):
        hyperparameters = catalog.run_details(platform.store, record.run_id)["hyperparameters"]
        assert {"step_id": "build", "name": "max_iter", "value": 500} in hyperparameters
    settings = platform.store.select(
        prefixes
        + """SELECT ?g WHERE { GRAPH ?g { ?s a mls:HyperParameterSetting ;
        ol:parameterName "max_iter" } }"""
    )
    assert len(settings) == 1, "one setting per hyperparameter value, shared by both runs"
    signatures = platform.store.select(
        prefixes + "SELECT DISTINCT ?s WHERE { ?model ol:hasSignature ?s }"
    )
    assert len(signatures) == 1, "both models expect the same columns: one signature"


def graph_size(platform: Platform, run_id: str) -> int:
    return len(queries.select(platform.store, "graph_triples", graph=str(run_iri(run_id))))


@pytest.mark.slow
def test_a_started_run_reads_as_running_and_its_results_add_to_its_graph(
    platform: Platform,
) -> None:
    finished = run(platform)
    twin = replace(finished, run_id=finished.run_id[::-1])
    writer = RunWriter(platform.store)
    writer.write(as_started(twin))
    details = catalog.run_details(platform.store, twin.run_id)
    assert details["status"] == "running" and "ended" not in details
    assert {s["status"] for s in details["steps"]} == {"pending"}
    started = graph_size(platform, twin.run_id)
    assert not platform.store.ask(
        f"ASK {{ GRAPH <{run_iri(twin.run_id)}> {{ ?node <{OL.status}> ?status }} }}"
    ), "nothing is stated that the results would take back"

    going = as_started(twin)
    going.steps["extract"].started_at, going.steps["extract"].status = twin.started_at, "running"
    writer.write(going)
    steps = catalog.run_details(platform.store, twin.run_id)["steps"]
    assert {s["step_id"]: s["status"] for s in steps} == {
        sid: "running" if sid == "extract" else "pending" for sid in twin.steps
    }, "a step run with a start and no stated status is running"

    writer.write(twin)
    details = catalog.run_details(platform.store, twin.run_id)
    assert details["status"] == "succeeded"
    assert {s["status"] for s in details["steps"]} == {"succeeded"}
    assert graph_size(platform, twin.run_id) == graph_size(platform, finished.run_id) > started
    measured = catalog.run_details(platform.store, finished.run_id)["metrics"]
    assert [m["value"] for m in details["metrics"]] == [m["value"] for m in measured]


@pytest.mark.slow
def test_a_record_that_takes_a_fact_back_replaces_the_graph(platform: Platform) -> None:
    finished = run(platform)
    writer = RunWriter(platform.store)
    started = as_started(finished)
    writer.write(started)
    writer.write(replace(started, started_at="2020-01-01T00:00:00+00:00"))
    starts = platform.store.select(
        f"SELECT ?t WHERE {{ GRAPH <{run_iri(finished.run_id)}> "
        f"{{ ?run <{PROV.startedAtTime}> ?t }} }}"
    )
    assert [row["t"].toPython().year for row in starts] == [2020], "the old start is gone"
    writer.write(finished)
    writer.write(replace(finished, status="failed", error="marked failed"))
    details = catalog.run_details(platform.store, finished.run_id)
    assert (details["status"], details["error"]) == ("failed", "marked failed")
    stated = set(ontology_types().expand(run_triples(finished)))  # with the standard types
    # and the error, and the run number the writer gives a run
    assert graph_size(platform, finished.run_id) == len(stated) + 2


ORPHAN = """
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://example.org/orphan#> .
:experiment a ol:Experiment ; dcterms:identifier "orphan" ; ol:task "classification" ;
    ol:hasStep :extract, :process .
:extract a ol:DataExtraction ; ol:source "sklearn:iris" ; ol:targetColumn "target" ;
    ol:produces :raw .
:process a ol:DataProcessing ; ol:consumes :elsewhere ; ol:produces :splits .
"""


def test_input_nobody_produces_is_refused_before_anything_runs(platform: Platform) -> None:
    version = definitions.submit(platform.store, definitions.parse(ORPHAN)).version
    with pytest.raises(
        PlanError, match=r"'process' consumes <https://example.org/orphan#elsewhere>"
    ):
        platform.runs.run(version)
    assert catalog.list_runs(platform.store) == []
