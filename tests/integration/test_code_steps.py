"""Code steps end to end on the local provisioner: the author's module is imported only in the
step process, lineage passes through the step, a raising function fails the run with its
traceback in the step log and nothing registered, the cache keys on the code, and a stored
version runs again from its stored bundle alone."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from server import definitions
from server.definitions.code_bundles import bundle_beside
from server.graph.namespaces import code_bundle_iri, output_iri, step_run_iri
from server.platform import Platform
from server.runs.service import check_definition, plan_version

DEFINITION = """
@prefix ol:      <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix :        <https://w3id.org/ontolab/examples/coded#> .

:experiment a ol:Experiment ;
    dcterms:identifier "coded" ;
    ol:task "classification" ;
    ol:hasStep :extract, :features, :process, :build, :validate .
:extract a ol:DataExtraction ; ol:source "sklearn:iris" ; ol:targetColumn "target" ;
    ol:produces :raw .
:features a ol:CodeStep ; ol:consumes :raw ; ol:function "marked_features:FUNCTION" ;
    ol:outputKind "dataset" ; ol:requirement "pandas>=2" ; ol:produces :engineered .
:process a ol:DataProcessing ; ol:consumes :engineered ; ol:produces :splits .
:build a ol:ModelBuilding ; ol:consumes :splits ; ol:estimator "LogisticRegression" ;
    ol:produces :model .
:validate a ol:ModelValidation ; ol:consumes :model, :splits ; ol:produces :report .
:raw a ol:Dataset . :engineered a ol:Dataset . :splits a ol:Dataset . :model a ol:Model .
:report a ol:EvaluationReport .
"""

# Writes a marker naming the importing process: the platform's own process must never do it.
MODULE = """
import os
from pathlib import Path

Path(MARKER).write_text(str(os.getpid()))


def add_area(dataset, params):
    frame = dataset.copy()
    frame["petal_area"] = frame["petal length (cm)"] * frame["petal width (cm)"]
    return frame


def boom(dataset):
    raise ValueError("petal widths are missing")
"""


def write_experiment(folder: Path, function: str = "add_area", extra: str = "") -> Path:
    """The definition and its code/ folder beside it; the path of the definition."""
    (folder / "code").mkdir(parents=True, exist_ok=True)
    marker = folder / "imported.pid"
    module = MODULE.replace("MARKER", repr(str(marker))) + extra
    (folder / "code" / "marked_features.py").write_text(module)
    path = folder / "coded.ttl"
    path.write_text(DEFINITION.replace("FUNCTION", function))
    return path


def submit(platform: Platform, path: Path) -> definitions.ExperimentVersion:
    graph = definitions.parse(path.read_text(), "turtle")
    bundle_beside(path, graph, platform.artifacts.put)
    return definitions.submit(platform.store, graph).version


def test_the_platform_process_never_imports_the_authors_module(
    platform: Platform, tmp_path: Path
) -> None:
    path = write_experiment(tmp_path)
    marker = tmp_path / "imported.pid"
    graph = definitions.parse(path.read_text(), "turtle")
    bundle_beside(path, graph)
    check_definition(graph)  # validate and plan, as POST /api/experiments/validate does
    version = submit(platform, path)
    plan_version(platform.store, version)
    assert not marker.exists() and "marked_features" not in sys.modules
    record = platform.runs.run(version)
    assert record.status == "succeeded", record.error
    assert "marked_features" not in sys.modules
    assert marker.read_text() != str(os.getpid())  # imported, by the step's own process


def test_lineage_passes_through_the_code_step(platform: Platform, tmp_path: Path) -> None:
    record = platform.runs.run(submit(platform, write_experiment(tmp_path)))
    assert record.status == "succeeded", record.error
    run_id = record.run_id
    bundle = record.pipeline.code_bundle
    assert bundle is not None
    features, engineered = step_run_iri(run_id, "features"), output_iri(run_id, "features")
    raw, code = output_iri(run_id, "extract"), code_bundle_iri(bundle.sha256)
    asked = f"""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX ol: <https://w3id.org/ontolab/ns#>
        ASK {{ GRAPH ?g {{
            <{features}> prov:used <{raw}>, <{code}> ;
                ol:codeBundle <{code}> ;
                ol:requirement "pandas>=2" ;
                ol:codeFunction "marked_features:add_area" .
            <{code}> ol:sha256 "{bundle.sha256}" .
            <{engineered}> prov:wasGeneratedBy <{features}> ;
                prov:wasDerivedFrom <{raw}> ;
                a ol:Dataset .
            <{step_run_iri(run_id, "process")}> prov:used <{engineered}> .
        }} }}
    """
    assert platform.store.ask(asked)
    versioned = f"""
        PREFIX ol: <https://w3id.org/ontolab/ns#>
        ASK {{ GRAPH <{record.pipeline.version.graph}> {{
            ?experiment ol:codeBundle <{code_bundle_iri(bundle.sha256)}> .
            <{code_bundle_iri(bundle.sha256)}> ol:byteSize {bundle.size} ;
                <http://www.w3.org/ns/dcat#mediaType> "application/zip" .
        }} }}
    """
    assert platform.store.ask(versioned)
    assert platform.artifacts.has(bundle)


def test_a_raising_function_fails_the_run_with_its_traceback_and_registers_nothing(
    platform: Platform, tmp_path: Path
) -> None:
    record = platform.runs.run(submit(platform, write_experiment(tmp_path, "boom")))
    assert record.status == "failed"
    assert record.error == "step 'features' failed: ValueError: petal widths are missing"
    step = record.steps["features"]
    assert step.result is not None and not step.result.outputs
    log = (platform.settings.runs_dir / record.run_id / "features" / "step.log").read_text()
    assert "Traceback" in log and "in boom" in log and "petal widths are missing" in log
    assert {record.steps[s].status for s in ("process", "build", "validate")} == {"skipped"}
    features = step_run_iri(record.run_id, "features")
    generated = f"""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        ASK {{ GRAPH ?g {{ ?entity prov:wasGeneratedBy <{features}> }} }}
    """
    assert not platform.store.ask(generated)


@pytest.mark.parametrize("changed", [False, True])
def test_the_step_cache_keys_on_the_code(platform: Platform, tmp_path: Path, changed: bool) -> None:
    path = write_experiment(tmp_path)
    first = platform.runs.run(submit(platform, path))
    if changed:
        write_experiment(tmp_path, extra="\n# a change\n")
    second = platform.runs.run(submit(platform, path))
    assert first.status == second.status == "succeeded"
    assert second.steps["extract"].cache_hit
    assert second.steps["features"].cache_hit is not changed
    assert (second.pipeline.version.number == 2) is changed


def test_a_stored_version_runs_again_from_its_stored_bundle_alone(
    platform: Platform, tmp_path: Path
) -> None:
    version = submit(platform, write_experiment(tmp_path))
    shutil.rmtree(tmp_path / "code")
    record = platform.runs.run(version, use_cache=False)
    assert record.status == "succeeded", record.error
    assert not record.steps["features"].cache_hit
