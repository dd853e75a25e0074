"""The benchmark's tasks, written once as parquet train/test files both sides read.

scikit-learn's iris, wine, breast_cancer, digits and diabetes, and two tables made here with a
fixed seed, large enough that Ontolab's AutoML validates on a holdout (over 10,000 train rows):
``mixed`` (numeric and categorical columns with missing values, binary target) and ``wide``
(240 numeric columns of which 20 carry signal, binary target). Every task is split 75/25 with
seed 0 (stratified for classification). Needs numpy, pandas, pyarrow, scikit-learn only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.model_selection import train_test_split

SEED = 0
TASKS = {
    "iris": "classification",
    "wine": "classification",
    "breast_cancer": "classification",
    "digits": "classification",
    "diabetes": "regression",
    "mixed": "classification",
    "wide": "classification",
}


def bundled(name: str) -> pd.DataFrame:
    frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
    frame.columns = [str(c) for c in frame.columns]
    return frame


def mixed(rows: int = 20_000) -> pd.DataFrame:
    """Numbers, categories and flags with gaps; the label depends on interactions of them."""
    rng = np.random.default_rng(SEED)
    age = rng.normal(45, 12, rows)
    income = rng.lognormal(10, 0.6, rows)
    score = rng.uniform(0, 1, rows)
    city = rng.choice(
        ["north", "south", "east", "west", "centre"], rows, p=[0.3, 0.25, 0.2, 0.15, 0.1]
    )
    plan = rng.choice(["basic", "plus", "pro"], rows)
    channel = rng.choice([f"c{i}" for i in range(12)], rows)
    flag = rng.choice(["yes", "no"], rows)
    logit = (
        0.04 * (age - 45)
        + 0.8 * np.log(income / 22_000)
        + np.where(city == "south", 0.9, 0.0)
        - np.where(plan == "basic", 0.7, 0.0)
        + 1.5 * np.sin(6 * score)
        + np.where((plan == "pro") & (flag == "yes"), 1.2, 0.0)
        + np.where(np.isin(channel, ["c3", "c7", "c9"]), -0.8, 0.2)
        + rng.normal(0, 0.8, rows)
    )
    frame = pd.DataFrame(
        {
            "age": age.round(0),
            "income": income.round(2),
            "score": score,
            "visits": rng.poisson(3, rows).astype(float),
            "city": city,
            "plan": plan,
            "channel": channel,
            "flag": flag,
            "label": np.where(logit > 0, "churn", "stay"),
        }
    ).astype({c: object for c in ("city", "plan", "channel", "flag", "label")})
    for column, share in (
        ("age", 0.08),
        ("income", 0.12),
        ("visits", 0.05),
        ("city", 0.07),
        ("plan", 0.04),
        ("flag", 0.1),
    ):
        frame.loc[rng.uniform(size=rows) < share, column] = np.nan
    return frame


def wide(rows: int = 16_000, columns: int = 240, informative: int = 20) -> pd.DataFrame:
    """Many columns, few of them useful; classes from a signal both linear and not in them."""
    rng = np.random.default_rng(SEED + 1)
    x = rng.normal(size=(rows, columns))
    x[:, informative:] += 0.5 * x[:, :1]  # noise columns correlate a little with a signal one
    y = (
        x[:, :10] @ rng.uniform(0.5, 2.0, 10)
        + 3 * np.sin(x[:, 10] * x[:, 11])
        + 2 * np.abs(x[:, 12])
        + x[:, 13:20].prod(axis=1).clip(-3, 3)
        + rng.normal(0, 1.0, rows)
    )
    frame = pd.DataFrame(x, columns=[f"f{i:03d}" for i in range(columns)])
    # Classes, not the value: on a loaded 2-core machine the default RandomForestRegressor
    # (every column at every split) alone took longer than the 60 s budget on this table.
    frame["target"] = np.where(y > np.median(y), "high", "low")
    return frame


def frame_of(name: str) -> tuple[pd.DataFrame, str]:
    if name == "mixed":
        return mixed(), "label"
    if name == "wide":
        return wide(), "target"
    return bundled(name), "target"


def write(folder: Path) -> None:
    """Each task as ``NAME/train.parquet``, ``NAME/test.parquet`` and ``NAME/task.json``."""
    for name, task in TASKS.items():
        frame, target = frame_of(name)
        stratify = frame[target] if task == "classification" else None
        train, test = train_test_split(frame, test_size=0.25, random_state=SEED, stratify=stratify)
        out = folder / name
        out.mkdir(parents=True, exist_ok=True)
        train.to_parquet(out / "train.parquet")
        test.to_parquet(out / "test.parquet")
        (out / "task.json").write_text(json.dumps({"task": task, "target": target}))
