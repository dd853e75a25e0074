"""A deployment's model server as a WSGI app: the same guards as the platform on ``/predict``.

Before, deeply nested JSON crashed ``/predict`` with a 500 and any body up to 64 MB was read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from werkzeug.test import Client

from executor.phases.build import model_bundle
from executor.phases.process import make_preprocessor
from server.serving.loaded_model import LoadedModel
from server.serving.model_server import ModelServerApp, request_policy
from server.settings import Settings

ROW = {"size": 1.0, "weight": 2.0}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    frame = pd.DataFrame({"size": np.arange(20.0), "weight": np.arange(20.0) % 7})
    target = np.where(frame["size"] > 9, "big", "small")
    preprocessor = make_preprocessor(
        ["size", "weight"], [], {"imputation": "median", "scaling": "standard"}
    )
    pipeline = Pipeline([("preprocess", preprocessor), ("estimator", LogisticRegression())])
    pipeline.fit(frame, target)
    splits = {
        "task": "classification",
        "target": "label",
        "feature_columns": ["size", "weight"],
        "feature_dtypes": {c: str(frame[c].dtype) for c in frame},
        "classes": ["big", "small"],
    }
    path = Path(tmp_path_factory.mktemp("model")) / "model.joblib"
    joblib.dump(
        model_bundle(
            pipeline, splits, {"model_name": "toy", "feature_columns": ["size", "weight"]}
        ),
        path,
    )
    return LoadedModel.load(path)


def client(model: LoadedModel, **settings: Any) -> Client:
    policy = request_policy(Settings.load({"max_predict_mb": 0.01, **settings}, environ={}))
    return Client(ModelServerApp(model, {"model": "toy"}, policy))


def predict(app: Client, body: str | bytes, **headers: str) -> Any:
    return app.post("/predict", data=body, content_type="application/json", headers=headers)


def test_a_valid_predict_still_answers(model: LoadedModel) -> None:
    answer = predict(client(model), json.dumps({"dataframe_records": [ROW]}))
    assert answer.status_code == 200, answer.text
    assert answer.json["predictions"][0] in ("big", "small")


def test_deep_json_is_a_400_naming_the_limit(model: LoadedModel) -> None:
    body = '{"dataframe_records": ' + "[" * 5000 + "]" * 5000 + "}"
    answer = predict(client(model), body)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert "deeper than 64 levels" in answer.json["detail"]
    assert "ONTOLAB_MAX_JSON_DEPTH" in answer.json["detail"]


def test_a_body_over_the_predict_limit_is_a_413_naming_the_setting(model: LoadedModel) -> None:
    body = json.dumps({"dataframe_records": [ROW] * 1000})  # ~30 KB, over 0.01 MB
    answer = predict(client(model), body)
    assert answer.status_code == 413
    assert "at most 0.01 MB" in answer.json["detail"]
    assert "ONTOLAB_MAX_PREDICT_MB" in answer.json["detail"]


def test_foreign_host_and_cross_site_predicts_are_refused(model: LoadedModel) -> None:
    body = json.dumps({"dataframe_records": [ROW]})
    rebound = predict(client(model), body, Host="evil.example:3100")
    assert rebound.status_code == 400 and "ONTOLAB_ALLOWED_HOSTS" in rebound.json["detail"]
    cross = predict(client(model), body, Origin="http://evil.example")
    assert cross.status_code == 403 and "POST refused" in cross.json["detail"]
    allowed = predict(client(model, allowed_hosts="models.example"), body, Host="models.example")
    assert allowed.status_code == 200


def test_refusals_are_counted_in_the_metrics(model: LoadedModel) -> None:
    app = client(model)
    predict(app, "[" * 100 + "]" * 100)
    metrics = app.get("/metrics").text
    assert 'endpoint="predict"' in metrics and 'status="400"' in metrics


def test_a_method_a_route_does_not_take_is_405_with_allow(model: LoadedModel) -> None:
    answer = client(model).get("/predict")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    assert "use POST" in answer.get_json()["detail"]


def test_predict_answers_carry_a_request_id_the_clients_when_sane(model: LoadedModel) -> None:
    """Before: no request id at all; a logged prediction could not be named for feedback."""
    body = json.dumps({"dataframe_records": [ROW]})
    mine = predict(client(model), body, **{"X-Request-ID": "order-42.a:b_c"})
    assert mine.headers["X-Request-ID"] == "order-42.a:b_c" == mine.json["request_id"]
    for insane in ("has space", "x" * 129, "a/b"):
        made = predict(client(model), body, **{"X-Request-ID": insane})
        assert made.headers["X-Request-ID"] == made.json["request_id"] != insane
        assert len(made.json["request_id"]) == 32
    refused = predict(client(model), "[1]")
    assert refused.status_code == 400 and refused.headers["X-Request-ID"]


def test_predictions_are_logged_by_request_id(model: LoadedModel, tmp_path: Path) -> None:
    from server.monitoring.prediction_log import LogConfig, PredictionLogWriter
    from server.monitoring.prediction_window import read_entries

    app = ModelServerApp(model, {"model": "toy"}, request_policy(Settings.load(environ={})))
    app.prediction_log = PredictionLogWriter(tmp_path, LogConfig(True, 1.0, 2, 100))
    answer = predict(Client(app), json.dumps({"dataframe_records": [ROW, ROW]}))
    app.prediction_log.close()
    (entry,) = read_entries(tmp_path)
    assert entry["request_id"] == answer.json["request_id"]
    assert entry["predictions"] == answer.json["predictions"] and entry["rows"] == 2
