"""Data validation steps end to end on real steps: bad data fails the run before any model is
built, naming every violation; good data passes; the report is in the run graph either way; a
reference model version is resolved through the registry and its build's profile checked."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from server import definitions
from server.errors import NotFoundError
from server.graph.namespaces import output_iri, run_iri, step_run_iri
from server.platform import Platform
from server.registry.model import version_iri
from server.tracking import catalog
from server.tracking.records import RunRecord

# A check step between extract and the rest; SOURCE and EXPECT are filled in per test.
DEFINITION = """
@prefix ol: <https://w3id.org/ontolab/ns#> . @prefix : <https://example.org/checked#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
:experiment a ol:Experiment ; dcterms:identifier "IDENT" ; ol:task "classification" ;
    ol:hasStep :extract, :check, :process, :build, :validate .
:extract a ol:DataExtraction ; ol:source "SOURCE" ; ol:targetColumn "target" ; ol:produces :raw .
:check a ol:DataValidation ; ol:consumes :raw ; EXPECT ol:produces :data_report .
:process a ol:DataProcessing ; ol:consumes :raw ; ol:randomSeed 7 ; ol:produces :splits .
:build a ol:ModelBuilding ; ol:consumes :splits ; ol:estimator "LogisticRegression" ;
    ol:modelName "checked-model" ; ol:produces :model .
:validate a ol:ModelValidation ; ol:consumes :model, :splits ; ol:produces :report .
"""
GOOD = """ol:minRows 100 ; ol:maxMissingRate 0.0 ;
    ol:expectColumn [ ol:columnName "petal length (cm)" ; ol:columnType "number" ;
                      ol:minValue 0 ; ol:maxValue 10 ] ,
                    [ ol:columnName "target" ; ol:columnType "integer" ;
                      ol:allowedValue 0, 1, 2 ] ;"""
BAD = """ol:minRows 1000 ;
    ol:expectColumn [ ol:columnName "sepal length (cm)" ; ol:maxValue 5.0 ] ,
                    [ ol:columnName "target" ; ol:allowedValue 0, 1 ] ,
                    [ ol:columnName "colour" ; ol:columnType "string" ] ;"""


def run(
    platform: Platform, expect: str, ident: str = "checked", source: str = "sklearn:iris"
) -> RunRecord:
    text = DEFINITION.replace("IDENT", ident).replace("SOURCE", source).replace("EXPECT", expect)
    version = definitions.submit(platform.store, definitions.parse(text)).version
    return platform.runs.run(version)


def report_rows(platform: Platform, run_id: str) -> list[dict]:
    rows = platform.store.select(
        f"""PREFIX ol: <https://w3id.org/ontolab/ns#>
        SELECT ?report ?passed ?violations ?dataset ?column ?expectation ?observed ?ok WHERE {{
          GRAPH <{run_iri(run_id)}> {{
            <{step_run_iri(run_id, "check")}> ol:hasDataValidationReport ?report .
            ?report a ol:DataValidationReport ; ol:passed ?passed ;
                    ol:violationCount ?violations ; ol:checkedDataset ?dataset ;
                    ol:hasExpectationCheck ?check .
            ?check a ol:ExpectationCheck ; ol:expectation ?expectation ; ol:passed ?ok .
            OPTIONAL {{ ?check ol:columnName ?column }}
            OPTIONAL {{ ?check ol:observedValue ?observed }}
          }} }}"""
    )
    return [{k: v.toPython() if v is not None else None for k, v in r.items()} for r in rows]  # type: ignore[union-attr]


@pytest.mark.slow
def test_bad_data_fails_the_run_before_any_model_is_built(platform: Platform) -> None:
    record = run(platform, BAD)

    assert record.status == "failed"
    statuses = {sid: s.status for sid, s in record.steps.items()}
    assert statuses["check"] == "failed"
    assert statuses["build"] == statuses["validate"] == "skipped"
    assert record.steps["build"].result is None  # never started: nothing trained
    message = record.error or ""
    for sentence in (
        "the table: min_rows 1000, observed 150",
        "column 'sepal length (cm)': max 5.0, observed 7.9",
        "column 'target': allowed_values ['0', '1'], observed ['2']",
        "column 'colour': required True, observed 'absent'",
    ):
        assert sentence in message, sentence
    assert "\n" not in message
    details = catalog.run_details(platform.store, record.run_id)
    assert "model" not in {a["kind"] for a in details["artifacts"]}
    assert platform.registry.models() == []
    rows = report_rows(platform, record.run_id)
    assert {r["passed"] for r in rows} == {False}
    assert {r["violations"] for r in rows} == {4}
    failed = {(r.get("column"), r["expectation"]) for r in rows if not r["ok"]}
    assert failed == {
        (None, "min_rows"),
        ("sepal length (cm)", "max"),
        ("target", "allowed_values"),
        ("colour", "required"),
    }
    observed = {(r.get("column"), r["expectation"]): r.get("observed") for r in rows}
    assert observed[("sepal length (cm)", "max")] == pytest.approx(7.9)


@pytest.mark.slow
def test_good_data_passes_and_its_report_is_in_the_graph(platform: Platform) -> None:
    record = run(platform, GOOD)

    assert record.status == "succeeded", record.error
    check = record.steps["check"]
    assert check.status == "succeeded"
    assert "check" in record.steps["build"].depends_on  # models wait for every check
    rows = report_rows(platform, record.run_id)
    assert {r["report"] for r in rows} == {str(output_iri(record.run_id, "check"))}
    assert {r["passed"] for r in rows} == {True} and {r["violations"] for r in rows} == {0}
    assert {r["dataset"] for r in rows} == {str(output_iri(record.run_id, "extract"))}
    assert all(r["ok"] for r in rows)
    assert check.result is not None
    checks = check.result.summary["checks"]
    assert len(checks) == 9  # rows, missing rate, 4 on petal length, 3 on the target
    # one ol:ExpectationCheck per expectation the step reported
    assert {(r.get("column"), r["expectation"]) for r in rows} == {
        (c["column"], c["expectation"]) for c in checks
    }


def shifted_iris_csv() -> bytes:
    frame = load_iris(as_frame=True).frame
    frame["petal length (cm)"] = frame["petal length (cm)"] + 20.0  # far outside training
    frame.loc[:40, "sepal width (cm)"] = np.nan
    buffer = io.StringIO()
    pd.DataFrame(frame).to_csv(buffer, index=False)
    return buffer.getvalue().encode()


# The profile is of the training rows; the tolerance lets the test rows' range pass too.
REFERENCE = (
    'ol:referenceModel "checked-model" ; ol:referenceVersion 1 ; ol:referenceTolerance 0.1 ;'
)


@pytest.mark.slow
def test_a_reference_model_version_is_resolved_and_its_profile_checked(
    platform: Platform,
) -> None:
    assert run(platform, GOOD).status == "succeeded"  # registers checked-model version 1

    same = run(platform, REFERENCE, ident="same-data")
    assert same.status == "succeeded", same.error
    graph = f"<{run_iri(same.run_id)}>"
    linked = platform.store.select(
        f"""PREFIX ol: <https://w3id.org/ontolab/ns#>
        SELECT ?version ?profile WHERE {{ GRAPH {graph} {{
          ?report a ol:DataValidationReport ; ol:referenceModelVersion ?version ;
                  ol:checkedAgainst ?profile }} }}"""
    )
    assert [str(r["version"]) for r in linked] == [str(version_iri("checked-model", 1))]
    assert str(linked[0]["profile"]).endswith("/output/build/reference_profile")
    summary = same.steps["check"].result.summary  # type: ignore[union-attr]
    assert summary["reference"]["model"] == "checked-model" and summary["reference"]["version"] == 1
    kinds = {c["expectation"] for c in summary["checks"]}
    assert {"reference_column", "reference_kind", "reference_range"} <= kinds

    platform.datasets.upload("shifted", shifted_iris_csv(), "text/csv", "shifted.csv")
    drifted = run(platform, REFERENCE, ident="drifted", source="dataset:shifted@1")
    assert drifted.status == "failed"
    assert drifted.steps["build"].status == "skipped"
    message = drifted.error or ""
    assert "column 'petal length (cm)': reference_range" in message
    assert "column 'sepal width (cm)': reference_missing_rate 0.1" in message


@pytest.mark.slow
def test_an_unknown_reference_is_refused_before_the_run_exists(platform: Platform) -> None:
    text = (
        DEFINITION.replace("IDENT", "unknown-ref")
        .replace("SOURCE", "sklearn:iris")
        .replace("EXPECT", 'ol:referenceModel "no-such-model" ;')
    )
    version = definitions.submit(platform.store, definitions.parse(text)).version
    refused = "check step 'check' compares with model 'no-such-model'"
    with pytest.raises(NotFoundError, match=refused):
        platform.runs.run(version)
    assert catalog.list_runs(platform.store) == []  # no run was made
