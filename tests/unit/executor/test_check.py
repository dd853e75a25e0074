"""The check phase (data validation) on real extracted data: every kind of violation named in
one error and in the stored report, passing data, splits, and a build's reference profile."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from executor.contract import MEDIA_TYPES, ArtifactRef
from executor.errors import DataCheckError, ParameterError
from executor.standalone.data_checks import check_table, reference_range
from executor.standalone.reference import reference_profile

if TYPE_CHECKING:
    from conftest import Steps

CLASSIFICATION = {"task": "classification"}

# What the mixed frame (tests/unit/executor/conftest.py) satisfies.
GOOD = {
    **CLASSIFICATION,
    "min_rows": 100,
    "max_rows": 1000,
    "max_missing_rate": 0.2,
    "columns": [
        {"name": "size", "type": "number", "min": -5, "max": 30, "max_missing_rate": 0.2},
        {"name": "weight", "type": "number", "min": 0, "max": 100},
        {"name": "colour", "type": "string", "allowed": ["red", "green", "blue"]},
        {"name": "label", "allowed": ["yes", "no"], "max_missing_rate": 0.05},
        {"name": "comment", "required": False, "type": "string"},
    ],
}


def stored(steps: Steps, ref: ArtifactRef) -> dict[str, Any]:
    return json.loads(steps.path(ref).read_text())


def dataset_of(steps: Steps, tmp_path: Path, frame: pd.DataFrame) -> ArtifactRef:
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    extract = {**CLASSIFICATION, "source": str(path), "target_column": "label"}
    return steps.output("extract", extract)


def test_passing_data_succeeds_and_reports_every_expectation(
    steps: Steps, mixed_dataset: ArtifactRef
) -> None:
    result = steps.ok("check", GOOD, dataset=mixed_dataset)

    ref = result.outputs["data_report"]
    assert ref.media_type == MEDIA_TYPES["data_report"] == "application/json"
    report = stored(steps, ref)
    assert report["passed"] is True and report["violations"] == []
    assert report["rows"] == 240
    named = {(c["column"], c["expectation"]) for c in report["checks"]}
    assert {(None, "min_rows"), (None, "max_rows"), (None, "max_missing_rate")} <= named
    assert {("size", "type"), ("size", "min"), ("size", "max")} <= named
    assert ("colour", "allowed_values") in named
    assert ("comment", "required") in named  # absent, optional: passes, checked no further
    assert ("comment", "type") not in named
    assert all(c["passed"] for c in report["checks"])
    assert result.summary["passed"] is True
    assert result.summary["checks"] == report["checks"]
    (size_missing,) = [
        c
        for c in report["checks"]
        if (c["column"], c["expectation"]) == ("size", "max_missing_rate")
    ]
    assert size_missing["observed"] == pytest.approx(35 / 240, abs=1e-6)  # every 7th row


def test_every_kind_of_violation_is_named_at_once(
    steps: Steps, tmp_path: Path, make_mixed_frame: Callable[..., pd.DataFrame]
) -> None:
    frame = make_mixed_frame()
    frame.loc[0, "weight"] = 250.0  # above its maximum
    frame.loc[1, "weight"] = -3.0  # below its minimum
    frame.loc[4, "colour"] = "purple"  # not an allowed category
    frame.loc[:120, "label"] = None  # too many missing
    frame = frame.drop(columns=["flag"])  # a required column gone
    frame["size"] = frame["size"].map(lambda v: "unknown" if pd.isna(v) else f"{v:.1f}")  # text now
    expectations = {
        **CLASSIFICATION,
        "min_rows": 500,
        "max_missing_rate": 0.01,
        "columns": [
            {"name": "size", "type": "number", "min": 0},
            {"name": "weight", "min": 0, "max": 100},
            {"name": "colour", "allowed": ["red", "green", "blue"]},
            {"name": "label", "max_missing_rate": 0.1},
            {"name": "flag", "type": "boolean"},
        ],
    }
    dataset = dataset_of(steps, tmp_path, frame)

    with pytest.raises(DataCheckError) as caught:
        steps.call("check", expectations, dataset=dataset)
    message = str(caught.value)
    expected_sentences = [
        "the table: min_rows 500, observed 240",
        "the table: max_missing_rate 0.01",
        "column 'size': type 'number', observed 'string'",
        "column 'size': min 0, observed 'not numeric'",
        "column 'weight': min 0, observed -3.0",
        "column 'weight': max 100, observed 250.0",
        "column 'colour': allowed_values ['blue', 'green', 'red'], observed ['purple']",
        "column 'label': max_missing_rate 0.1",
        "column 'flag': required True, observed 'absent'",
    ]
    for sentence in expected_sentences:
        assert sentence in message, sentence
    assert message.startswith("9 data expectation(s) not met: ")
    assert message.endswith("fix the data or the expectations of this step")
    assert "\n" not in message
    # The report was stored before the step failed, and names the same violations.
    report = stored(steps, caught.value.outputs["data_report"])
    assert report["passed"] is False
    assert len(report["violations"]) == 9
    assert caught.value.summary["passed"] is False


def test_a_failed_check_is_a_failed_step_whose_log_names_every_violation(
    steps: Steps, mixed_dataset: ArtifactRef, capfd: pytest.CaptureFixture[str]
) -> None:
    bad = {**CLASSIFICATION, "max_rows": 100, "columns": [{"name": "weight", "max": 50}]}
    capfd.readouterr()
    result = steps.run("check", bad, dataset=mixed_dataset)

    assert result.status == "failed"
    assert result.error is not None and result.error.type == "DataCheckError"
    assert "the table: max_rows 100, observed 240" in result.error.message
    assert "column 'weight': max 50" in result.error.message
    assert "data_report" in result.outputs  # recorded whether it passes or not
    log = capfd.readouterr().err  # the step's log (the platform keeps it as the log tail)
    assert log.count("ERROR violation: ") == 2
    assert "ERROR violation: the table: max_rows 100, observed 240" in log


def test_splits_are_checked_train_and_test_rows_together(
    steps: Steps, mixed_splits: ArtifactRef
) -> None:
    result = steps.ok("check", {**CLASSIFICATION, "min_rows": 200}, splits=mixed_splits)
    report = stored(steps, result.outputs["data_report"])
    assert report["rows"] == 237  # the rows with a target: 3 were dropped by process


def test_the_reference_profile_of_a_build_is_checked(
    steps: Steps, tmp_path: Path, make_mixed_frame: Callable[..., pd.DataFrame]
) -> None:
    train = make_mixed_frame(seed=1)
    profile = reference_profile(train.drop(columns=["label"]))
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(profile))
    from executor.contract import store_artifact

    reference = store_artifact(steps.root, path, MEDIA_TYPES["reference_profile"])

    same = dataset_of(steps, tmp_path, make_mixed_frame(seed=2))
    passed = steps.ok("check", CLASSIFICATION, dataset=same, reference_profile=reference)
    report = stored(steps, passed.outputs["data_report"])
    kinds = {(c["column"], c["expectation"]) for c in report["checks"]}
    assert ("size", "reference_range") in kinds and ("colour", "reference_categories") in kinds
    assert all(c["passed"] for c in report["checks"])

    shifted = make_mixed_frame(seed=2)
    shifted["weight"] = shifted["weight"] + 500  # far outside the training range
    shifted.loc[0, "colour"] = "purple"  # a category never seen in training
    shifted.loc[:150, "size"] = np.nan  # missing far more often than in training
    shifted = shifted.drop(columns=["flag"])
    with pytest.raises(DataCheckError) as caught:
        steps.call(
            "check",
            {**CLASSIFICATION, "reference_tolerance": 0.1},
            dataset=dataset_of(steps, tmp_path, shifted),
            reference_profile=reference,
        )
    message = str(caught.value)
    assert "column 'flag': reference_column 'present', observed 'absent'" in message
    assert "column 'weight': reference_range" in message
    assert "column 'colour': reference_categories" in message and "['purple']" in message
    assert "column 'size': reference_missing_rate" in message
    assert message.startswith("4 data expectation(s) not met")


def test_a_reference_range_comes_from_min_max_or_from_populated_bins() -> None:
    assert reference_range({"min": 1.0, "max": 4.0, "edges": [], "counts": []}) == (1.0, 4.0)
    # an older profile: few distinct values, empty outer bins → the populated bins' span
    assert reference_range({"edges": [1.0, 2.5, 4.0], "counts": [0, 3, 2, 0]}) == (1.0, 4.0)
    # quantile bins whose open outer bins hold values: the range is not known
    assert reference_range({"edges": [1.0, 2.5, 4.0], "counts": [1, 3, 2, 1]}) is None


def test_integers_with_gaps_are_still_integers() -> None:
    frame = pd.DataFrame({"n": [1.0, 2.0, np.nan], "x": [1.5, 2.0, 3.0]})
    expectations = {"columns": [{"name": "n", "type": "integer"}, {"name": "x", "type": "integer"}]}
    report = check_table(frame, expectations)
    assert [c["passed"] for c in report["checks"] if c["expectation"] == "type"] == [True, False]


@pytest.mark.parametrize(
    ("parameters", "match"),
    [
        ({"columns": [{"name": "a", "type": "decimal"}]}, "not a column type"),
        ({"columns": [{"name": "a", "min": 5, "max": 1}]}, "minimum 5 above its maximum 1"),
        ({"columns": [{"name": "a", "max_missing_rate": -0.1}]}, "outside 0 to 1"),
        ({"min_rows": 10, "max_rows": 5}, "minimum 10 above its maximum 5"),
        ({"reference_tolerance": -1}, "reference_tolerance must be a number of 0 or more"),
    ],
)
def test_bad_expectations_are_refused_naming_the_fix(
    steps: Steps, mixed_dataset: ArtifactRef, parameters: dict[str, Any], match: str
) -> None:
    with pytest.raises(ParameterError, match=match):
        steps.call("check", {**CLASSIFICATION, **parameters}, dataset=mixed_dataset)
