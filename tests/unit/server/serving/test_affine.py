"""The compiled numeric preprocessing gives the pipeline's own numbers, or is not used."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, RobustScaler, StandardScaler

from server.serving.affine import compile_affine


@pytest.fixture
def frame() -> pd.DataFrame:
    data = load_diabetes(as_frame=True).data
    data.iloc[::7, 2] = np.nan
    return data


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler(), "passthrough"])
@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent"])
def test_numeric_impute_and_scale_compile_to_the_same_numbers(
    frame: pd.DataFrame, scaler: object, strategy: str
) -> None:
    columns = list(frame.columns)
    steps = [("impute", SimpleImputer(strategy=strategy)), ("scale", scaler)]
    preprocess = ColumnTransformer([("numeric", Pipeline(steps), columns[::-1])]).fit(frame)
    compiled = compile_affine(preprocess, columns)
    assert compiled is not None
    expected = preprocess.transform(frame)
    np.testing.assert_allclose(compiled(frame.to_numpy()), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "transformer",
    [
        Pipeline([("scale", RobustScaler())]),
        Pipeline([("scale", StandardScaler()), ("impute", SimpleImputer())]),
    ],
    ids=["robust-scaler", "impute-after-scale"],
)
def test_anything_else_is_left_to_the_pipeline(frame: pd.DataFrame, transformer: object) -> None:
    preprocess = ColumnTransformer([("numeric", transformer, list(frame.columns))])
    preprocess.fit(frame.fillna(0.0))
    assert compile_affine(preprocess, list(frame.columns)) is None


def test_categorical_columns_are_not_compiled() -> None:
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    preprocess = ColumnTransformer(
        [("num", StandardScaler(), ["x"]), ("cat", OneHotEncoder(), ["c"])]
    ).fit(data)
    assert compile_affine(preprocess, ["x", "c"]) is None
