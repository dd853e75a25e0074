from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from executor.artifacts import read_dataset
from executor.contract import MEDIA_TYPES
from executor.errors import InputError, ParameterError

if TYPE_CHECKING:
    from conftest import Steps


def extract(**parameters: object) -> dict[str, object]:
    return {"task": "classification", **parameters}


def test_bundled_iris_becomes_a_parquet_dataset_with_its_target(steps: Steps) -> None:
    result = steps.ok("extract", extract(source="sklearn:iris", target_column="target"))

    ref = result.outputs["dataset"]
    assert ref.media_type == MEDIA_TYPES["dataset"]
    dataset = read_dataset(steps.path(ref))
    assert dataset.frame.shape == (150, 5)
    assert dataset.target_column == "target"
    assert dataset.source == "sklearn:iris"
    assert result.summary["rows"] == 150
    assert result.summary["columns"] == 5
    assert result.summary["target_column"] == "target"
    assert len(result.summary["feature_columns"]) == 4
    assert "target" not in result.summary["feature_columns"]


@pytest.mark.parametrize("drop", ["weight", ["weight", "flag"]])
def test_a_csv_file_loses_the_dropped_columns(
    steps: Steps, mixed_csv: Path, drop: str | list[str]
) -> None:
    parameters = extract(source=str(mixed_csv), target_column="label", drop_column=drop)
    result = steps.ok("extract", parameters)

    dropped = [drop] if isinstance(drop, str) else drop
    frame = read_dataset(steps.path(result.outputs["dataset"])).frame
    assert len(frame) == 240
    assert not set(dropped) & set(frame.columns)
    assert result.summary["feature_columns"] == [
        c for c in ("size", "weight", "colour", "flag") if c not in dropped
    ]
    assert result.parameters["drop_column"] == dropped


def test_a_parquet_file_is_read_whole(
    steps: Steps, tmp_path: Path, make_mixed_frame: Callable[..., pd.DataFrame]
) -> None:
    path = tmp_path / "table.parquet"
    make_mixed_frame(rows=30).to_parquet(path)

    result = steps.ok("extract", extract(source=str(path), target_column="label"))

    frame = read_dataset(steps.path(result.outputs["dataset"])).frame
    pd.testing.assert_frame_equal(frame, pd.read_parquet(path))


def test_the_same_data_gives_the_same_artifact(steps: Steps) -> None:
    parameters = extract(source="sklearn:wine", target_column="target")

    first, second = steps.ok("extract", parameters), steps.ok("extract", parameters)

    assert first.outputs == second.outputs


def test_an_unknown_bundled_dataset_lists_the_sources(steps: Steps) -> None:
    result = steps.run("extract", extract(source="sklearn:titanic", target_column="target"))

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.type == "ParameterError"
    assert "sklearn:iris, sklearn:wine, sklearn:breast_cancer, sklearn:diabetes" in (
        result.error.message
    )
    assert result.outputs == {}


def test_an_unknown_file_kind_is_a_parameter_error(steps: Steps) -> None:
    with pytest.raises(ParameterError, match=r"'data.xlsx' is not a known kind of source; set"):
        steps.call("extract", extract(source="data.xlsx", target_column="target"))


def test_a_missing_file_is_an_input_error(steps: Steps, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"

    with pytest.raises(InputError, match=rf"source file '{re.escape(str(missing))}' does not"):
        steps.call("extract", extract(source=str(missing), target_column="target"))


def test_a_missing_target_column_lists_the_columns(steps: Steps, mixed_csv: Path) -> None:
    expected = (
        "target column 'outcome' is not in the data (columns: size, weight, colour, flag, label); "
        "set ol:targetColumn to one of them"
    )
    with pytest.raises(ParameterError, match=re.escape(expected)):
        steps.call("extract", extract(source=str(mixed_csv), target_column="outcome"))


def test_dropping_an_absent_column_is_refused(steps: Steps) -> None:
    parameters = extract(source="sklearn:iris", target_column="target", drop_column="colour")

    with pytest.raises(ParameterError, match="drop column 'colour' is not in the data"):
        steps.call("extract", parameters)


def test_dropping_the_target_is_refused(steps: Steps) -> None:
    parameters = extract(source="sklearn:iris", target_column="target", drop_column="target")

    with pytest.raises(ParameterError, match="the target column 'target' cannot be dropped"):
        steps.call("extract", parameters)


def test_the_source_is_required(steps: Steps) -> None:
    with pytest.raises(ParameterError, match="^source is required; add ol:source to the step$"):
        steps.call("extract", extract(target_column="target"))
