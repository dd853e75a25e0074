"""The breast_cancer example as a plain script: the same work Ontolab's five steps do.

Same data, same split (stratified, 25 % test, seed 42), same preprocessing (median
imputation, standard scaling), same estimator (LogisticRegression C=1.0, max_iter=1000,
random_state=42), the same column profile and metrics, and the dataset, profile, splits, model
and report written to disk. Run: python plain_breast_cancer.py OUTDIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def profile(frame: pd.DataFrame) -> dict[str, object]:
    columns = {}
    for name in frame.columns:
        values = frame[name].dropna().to_numpy(dtype=float)
        counts, edges = np.histogram(values, bins=20)
        columns[name] = {
            "count": int(values.size),
            "missing": int(frame[name].isna().sum()),
            "unique": int(frame[name].nunique()),
            "mean": float(values.mean()),
            "std": float(values.std(ddof=1)),
            "min": float(values.min()),
            "max": float(values.max()),
            "quantiles": np.quantile(values, (0.05, 0.25, 0.5, 0.75, 0.95)).tolist(),
            "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
        }
    corr = frame.corr(numeric_only=True)
    return {"columns": columns, "correlations": corr.round(12).to_numpy().tolist()}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    frame = load_breast_cancer(as_frame=True).frame
    frame.to_parquet(out / "dataset.parquet")
    (out / "profile.json").write_text(json.dumps(profile(frame)))

    features = [c for c in frame.columns if c != "target"]
    train, test = train_test_split(frame, test_size=0.25, random_state=42, stratify=frame["target"])
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                features,
            )
        ]
    )
    preprocess.fit(train[features])
    joblib.dump({"train": train, "test": test, "preprocessor": preprocess}, out / "splits.joblib")

    model = Pipeline(
        [
            ("preprocess", preprocess),
            ("estimator", LogisticRegression(C=1.0, max_iter=1000, random_state=42)),
        ]
    )
    model.fit(train[features], train["target"])
    joblib.dump(model, out / "model.joblib")

    predicted = model.predict(test[features])
    scores = model.predict_proba(test[features])[:, 1]
    truth = test["target"]
    metrics = {
        "accuracy": accuracy_score(truth, predicted),
        "precision": precision_score(truth, predicted),
        "recall": recall_score(truth, predicted),
        "f1": f1_score(truth, predicted),
        "roc_auc": roc_auc_score(truth, scores),
    }
    (out / "report.json").write_text(json.dumps(metrics))
    for name, value in metrics.items():
        print(f"{name:10} {value:.4f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
