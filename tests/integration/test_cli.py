"""The ``ontolab`` command as a user runs it: real processes, real data dir, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

INVALID = """
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://example.org/bad#> .
:experiment a ol:Experiment ; dcterms:identifier "bad" ; ol:task "classification" ;
    ol:hasStep :extract .
:extract a ol:DataExtraction ; ol:source "sklearn:iris" ; ol:produces :raw .
"""

CYCLE = """
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://example.org/loop#> .
:experiment a ol:Experiment ; dcterms:identifier "loop" ; ol:task "classification" ;
    ol:hasStep :extract, :process, :build, :validate .
:extract a ol:DataExtraction ; ol:source "sklearn:iris" ; ol:targetColumn "target" ;
    ol:produces :raw .
:process a ol:DataProcessing ; ol:consumes :raw ; ol:dependsOn :validate ; ol:produces :splits .
:build a ol:ModelBuilding ; ol:consumes :splits ; ol:estimator "GaussianNB" ; ol:produces :model .
:validate a ol:ModelValidation ; ol:consumes :model, :splits ; ol:produces :report .
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_validate_prints_the_plan(ontolab, examples: Path) -> None:  # type: ignore[no-untyped-def]
    done = ontolab("validate", str(examples / "wine.ttl"))
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
    assert "build_logreg, build_forest" in done.stdout or "build" in done.stdout


def test_invalid_definition_exits_non_zero_naming_node_and_property(ontolab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = ontolab("submit", write(tmp_path, "bad.ttl", INVALID))
    assert done.returncode == 1
    assert ":extract ol:targetColumn" in done.stderr
    assert "Traceback" not in done.stderr
    listed = ontolab("runs", "list")
    assert listed.returncode == 0 and "(none)" in listed.stdout


def test_cycle_exits_non_zero_naming_the_steps(ontolab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = ontolab("run", write(tmp_path, "loop.ttl", CYCLE))
    assert done.returncode == 1
    assert "cycle" in done.stderr
    assert all(step in done.stderr for step in ("process", "build", "validate"))


def test_a_source_outside_the_data_roots_is_refused_by_name(ontolab, examples, tmp_path) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "elsewhere" / "iris.csv"
    outside.parent.mkdir()
    outside.write_text("a,target\n1,0\n2,1\n")
    text = (examples / "iris.ttl").read_text()
    leaking = write(tmp_path, "leak.ttl", text.replace('"sklearn:iris"', f'"{outside}"'))
    for command in ("validate", "submit", "run"):
        done = ontolab(command, leaking)
        assert done.returncode == 1, done.stdout
        assert f"(value: {outside})" in done.stderr and "ONTOLAB_DATA_ROOTS" in done.stderr
        assert "Traceback" not in done.stderr
    listed = ontolab("runs", "list")
    assert listed.returncode == 0 and "(none)" in listed.stdout
    inside = write(tmp_path, "inside.ttl", text.replace('"sklearn:iris"', '"data/iris.csv"'))
    assert ontolab("validate", inside).returncode == 0


def test_missing_file_is_one_clear_line(ontolab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = ontolab("submit", str(tmp_path / "nope.ttl"))
    assert done.returncode == 1
    assert done.stderr.strip().startswith("ontolab: cannot read")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_submit_run_list_show_sparql_lineage(ontolab, examples: Path) -> None:  # type: ignore[no-untyped-def]
    submitted = ontolab("submit", str(examples / "breast_cancer.ttl"))
    assert submitted.returncode == 0, submitted.stderr
    assert "stored as new version 1" in submitted.stdout

    ran = ontolab("run", "breast_cancer")
    assert ran.returncode == 0, ran.stderr
    for step in ("extract", "explore", "process", "build", "validate"):
        assert f"{step}" in ran.stdout
    assert "succeeded" in ran.stdout and "accuracy" in ran.stdout

    listed = ontolab("runs", "list", "--experiment", "breast_cancer")
    run_id = listed.stdout.splitlines()[1].split()[0]
    assert len(run_id) == 16

    shown = ontolab("runs", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    assert "roc_auc" in shown.stdout and "max_iter" in shown.stdout and "sha256" in shown.stdout

    count = ontolab(
        "sparql",
        "PREFIX ol: <https://w3id.org/ontolab/ns#> "
        "SELECT (COUNT(?r) AS ?runs) WHERE { ?r a ol:Run }",
    )
    assert count.returncode == 0, count.stderr
    assert count.stdout.split()[-1] == "1"

    named = ontolab(
        "sparql",
        "--name",
        "run_metrics",
        "--param",
        f"run=https://w3id.org/ontolab/id/run/{run_id}",
    )
    assert "accuracy" in named.stdout

    lineage = ontolab("lineage", "breast-cancer-classifier")
    assert lineage.returncode == 0, lineage.stderr
    assert "source:sklearn:breast_cancer" in lineage.stdout
    assert "prov:wasDerivedFrom" in lineage.stdout


@pytest.mark.slow
def test_run_and_show_print_limits_local_cannot_enforce(ontolab, examples: Path) -> None:  # type: ignore[no-untyped-def]
    warning = (
        "warning: step 'build' sets ol:cpus 1.0 and ol:memory \"1g\" but the local provisioner "
        "cannot enforce resource limits, so the step ran without them; to enforce them, run it "
        "on the docker or swarm provisioner (ONTOLAB_PROVISIONER=docker, or ol:provisioner "
        '"docker" on the experiment)'
    )
    ran = ontolab("run", str(examples / "breast_cancer.ttl"))  # its build step sets both
    assert ran.returncode == 0, ran.stderr
    assert warning in ran.stdout.splitlines()
    run_id = ontolab("runs", "list").stdout.splitlines()[1].split()[0]
    shown = ontolab("runs", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    assert warning in shown.stdout.splitlines()


@pytest.mark.slow
def test_failed_run_exits_non_zero(ontolab, examples: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    strict = (examples / "breast_cancer.ttl").read_text().replace("0.9", "0.9999")
    assert "0.9999" in strict
    done = ontolab("run", write(tmp_path, "strict.ttl", strict))
    assert done.returncode == 1
    assert "failed" in done.stdout
    assert "below the minimum 0.9999" in done.stdout


def test_bad_sparql_is_one_clear_line(ontolab) -> None:  # type: ignore[no-untyped-def]
    done = ontolab("sparql", "SELEKT nothing")
    assert done.returncode == 1
    assert "SPARQL syntax error" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_closed_output_stops_the_printing_never_the_run(tmp_path: Path, examples: Path) -> None:
    # `ontolab run … | head -1`: the reader goes away after the first line.
    env = {**os.environ, "ONTOLAB_DATA": str(tmp_path / "data")}
    command = [sys.executable, "-m", "server.cli", "run", str(examples / "iris.ttl")]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path
    ) as cli:
        assert cli.stdout is not None and cli.stderr is not None
        first = cli.stdout.readline().decode()
        cli.stdout.close()
        errors = cli.stderr.read().decode()
        returncode = cli.wait(timeout=300)
    assert " running" in first
    assert returncode == 141, errors  # 128 + SIGPIPE, as Unix tools exit under `| head`
    assert "Traceback" not in errors and "BrokenPipe" not in errors
    run_id = first.split(" run ", 1)[1].split()[0]
    shown = subprocess.run(
        [sys.executable, "-m", "server.cli", "runs", "show", run_id],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert shown.returncode == 0, shown.stderr
    assert f"run {run_id}: iris v1 — succeeded" in shown.stdout
    steps = shown.stdout.split("steps:")[1].split("metrics:")[0]
    assert steps.count("succeeded") == 5
    assert "running" not in steps and "pending" not in steps


UNSATISFIABLE = (
    "\n:CleanAndTrain a owl:Class ; rdfs:subClassOf ol:DataProcessing, ol:ModelBuilding .\n"
)


def test_validate_reason_names_what_the_owl_reasoner_refuses(
    ontolab, tmp_path: Path, examples: Path
) -> None:  # type: ignore[no-untyped-def]
    iris = (examples / "iris.ttl").read_text()
    consistent = ontolab("validate", "--reason", str(examples / "iris.ttl"))
    assert consistent.returncode == 0, consistent.stderr
    assert "OWL (HermiT): consistent" in consistent.stdout
    owl = "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
    path = write(tmp_path, "unsat.ttl", owl + iris + UNSATISFIABLE)
    assert ontolab("validate", path).returncode == 0, "SHACL alone finds nothing wrong"
    refused = ontolab("validate", "--reason", path)
    assert refused.returncode == 1
    assert "unsatisfiable): :CleanAndTrain" in refused.stderr
    assert "Traceback" not in refused.stderr and "valid" not in refused.stdout


def test_validate_reason_without_java_says_how_to_install_it(
    tmp_path: Path, examples: Path
) -> None:
    env = {**os.environ, "ONTOLAB_DATA": str(tmp_path / "data"), "PATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "validate", "--reason", str(examples / "iris.ttl")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 1
    assert "no `java` is on PATH" in done.stderr
    assert "apt-get install default-jre-headless" in done.stderr


def test_submit_bundles_the_code_folder_beside_the_definition(ontolab, examples: Path) -> None:  # type: ignore[no-untyped-def]
    example = str(examples / "wine_custom_code.ttl")
    checked = ontolab("validate", example)
    assert checked.returncode == 0, checked.stderr
    assert "features" in checked.stdout and "ensemble" in checked.stdout
    first, again = ontolab("submit", example), ontolab("submit", example)
    assert first.returncode == 0 and "stored as new version 1" in first.stdout, first.stderr
    assert "unchanged" in again.stdout  # the same files zip to the same sha256
    done = ontolab("run", "wine_custom")
    assert done.returncode == 0, done.stderr
    assert "validate_ensemble" in done.stdout


def test_code_steps_without_their_folder_are_refused(
    ontolab, tmp_path: Path, examples: Path
) -> None:  # type: ignore[no-untyped-def]
    text = (examples / "wine_custom_code.ttl").read_text()
    path = write(tmp_path, "lonely.ttl", text.replace('ol:codeFolder "wine_custom_code" ;', ""))
    done = ontolab("submit", path)
    assert done.returncode == 1
    assert "has code steps (ensemble, features) but no code came with it" in done.stderr
