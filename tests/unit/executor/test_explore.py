from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from executor.artifacts import Dataset, write_dataset
from executor.contract import ArtifactRef, store_artifact
from executor.errors import InputError

if TYPE_CHECKING:
    from conftest import Steps

EXPLORE = {"task": "classification"}


def strict_json(path: Path) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"profile holds {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


def by_name(profile: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {column["name"]: column for column in profile["columns"]}


@pytest.fixture
def odd_dataset(steps: Steps, tmp_path: Path) -> ArtifactRef:
    """Gaps, a constant column, an empty column, booleans, categories and dates."""
    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0, np.nan, 4.0, 5.0, np.inf],
            "same": [3, 3, 3, 3, 3, 3],
            "empty": [np.nan] * 6,
            "ok": [True, False, True, True, False, True],
            "colour": ["red", "blue", None, "red", "red", "green"],
            "when": pd.to_datetime(["2024-01-02", None, "2024-03-04", None, None, "2023-12-31"]),
            "y": [0, 1, 0, 1, 1, 0],
        }
    )
    path = tmp_path / "odd.parquet"
    write_dataset(path, Dataset(frame, "y", "test"))
    return store_artifact(steps.root, path, "application/vnd.apache.parquet")


def test_iris_profile_describes_every_column(steps: Steps, iris_dataset: ArtifactRef) -> None:
    result = steps.ok("explore", EXPLORE, dataset=iris_dataset)

    profile = strict_json(steps.path(result.outputs["profile"]))
    assert profile["rows"] == 150
    assert profile["target_column"] == "target"
    columns = by_name(profile)
    assert len(columns) == 5
    petal = columns["petal length (cm)"]
    assert petal["kind"] == "numeric"
    assert (petal["count"], petal["missing"]) == (150, 0)
    assert petal["min"] == pytest.approx(1.0)
    assert petal["max"] == pytest.approx(6.9)
    assert petal["quantiles"]["0.5"] == pytest.approx(4.35)
    assert len(petal["histogram"]["edges"]) == len(petal["histogram"]["counts"]) + 1 == 21
    for column in columns.values():
        assert sum(column["histogram"]["counts"]) == column["count"]


def test_iris_correlation_is_a_square_numeric_matrix(
    steps: Steps, iris_dataset: ArtifactRef
) -> None:
    result = steps.ok("explore", EXPLORE, dataset=iris_dataset)

    correlation = strict_json(steps.path(result.outputs["profile"]))["correlation"]
    assert len(correlation["columns"]) == 5
    matrix = np.array(correlation["matrix"])
    assert matrix.shape == (5, 5)
    np.testing.assert_allclose(np.diag(matrix), 1.0)
    np.testing.assert_allclose(matrix, matrix.T)
    petal = correlation["columns"].index("petal length (cm)")
    width = correlation["columns"].index("petal width (cm)")
    assert matrix[petal, width] > 0.9


def test_summary_has_one_entry_per_column(steps: Steps, iris_dataset: ArtifactRef) -> None:
    summary = steps.ok("explore", EXPLORE, dataset=iris_dataset).summary

    assert summary["rows"] == 150
    first = summary["columns"][0]
    assert set(first) == {
        "name",
        "dtype",
        "count",
        "missing",
        "unique",
        "mean",
        "std",
        "min",
        "max",
    }
    assert first["name"] == "sepal length (cm)"
    assert first["dtype"] == "float64"
    assert first["mean"] == pytest.approx(5.8433, abs=1e-4)


def test_gaps_constants_and_categories_give_strict_json(
    steps: Steps, odd_dataset: ArtifactRef
) -> None:
    result = steps.ok("explore", EXPLORE, dataset=odd_dataset)

    profile = strict_json(steps.path(result.outputs["profile"]))
    columns = by_name(profile)
    x = columns["x"]
    assert (x["count"], x["missing"], x["infinite"]) == (5, 1, 1)
    assert sum(x["histogram"]["counts"]) == 4
    assert columns["same"]["std"] == 0.0
    assert columns["empty"]["mean"] is None and "histogram" not in columns["empty"]
    assert columns["ok"]["kind"] == "boolean"
    assert columns["ok"]["top_values"] == [
        {"value": True, "count": 4},
        {"value": False, "count": 2},
    ]
    colour = columns["colour"]
    assert (colour["kind"], colour["missing"], colour["unique"]) == ("categorical", 1, 3)
    assert colour["top_values"][0] == {"value": "red", "count": 3}
    assert columns["when"]["kind"] == "datetime"
    assert columns["when"]["min"].startswith("2023-12-31")
    correlation = profile["correlation"]
    same = correlation["columns"].index("same")
    assert all(value is None for value in correlation["matrix"][same])


def test_summary_numbers_are_null_for_non_numeric_columns(
    steps: Steps, odd_dataset: ArtifactRef
) -> None:
    columns = {
        c["name"]: c for c in steps.ok("explore", EXPLORE, dataset=odd_dataset).summary["columns"]
    }

    assert columns["colour"]["mean"] is None
    assert columns["when"]["max"] is None
    assert columns["empty"]["std"] is None
    assert columns["x"]["max"] == 5.0


def test_a_missing_dataset_input_is_an_input_error(steps: Steps) -> None:
    with pytest.raises(InputError, match="the explore step needs a dataset input but none"):
        steps.call("explore", EXPLORE)


def test_a_dataset_absent_from_the_store_is_reported_as_an_input_error(steps: Steps) -> None:
    ghost = ArtifactRef(sha256="ab" * 32, size=10, media_type="application/vnd.apache.parquet")

    result = steps.run("explore", EXPLORE, dataset=ghost)

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.type == "InputError"
    assert f"dataset artifact {'ab' * 32} is not in the store" in result.error.message
    assert result.error.message.endswith("re-run the step that produced it")


def test_a_corrupted_artifact_fails_its_checksum(steps: Steps, iris_dataset: ArtifactRef) -> None:
    steps.path(iris_dataset).write_bytes(b"not parquet")

    with pytest.raises(InputError, match="does not match its checksum"):
        steps.call("explore", EXPLORE, dataset=iris_dataset)
