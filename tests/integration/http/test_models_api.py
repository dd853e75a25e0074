"""The models API over real HTTP: registry reads, aliases, the promotion gate, predict.

One module-scoped platform behind waitress runs breast_cancer (version 1), again with another
``max_iter`` (version 2: the same fit, other bytes), once without its validate step (version 3),
and diabetes once (regression).
Tests that move aliases use their own alias names, so their order does not matter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.datasets import load_breast_cancer, load_diabetes

from server import definitions
from server.app import create_app
from server.platform import Platform, open_platform
from server.registry.model import ModelEntry, ModelVersion, model_iri
from server.registry.triples import entry_triples
from server.settings import Settings
from tests.conftest import LiveServer
from tests.deployments import records
from tests.unit.server.serving.test_serving import write_artifact

ROOT = Path(__file__).resolve().parents[3]
CANCER = "breast-cancer-classifier"
DIABETES = "diabetes-ridge"
TIMEOUT = 30
PROBLEM_JSON = "application/problem+json"


@dataclass
class Api:
    platform: Platform
    url: str
    cancer_rows: list[dict[str, float]]
    diabetes_rows: list[dict[str, float]]

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=TIMEOUT)

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(self.url + path, json=body, timeout=TIMEOUT)

    def put(self, path: str, body: Any) -> requests.Response:
        return requests.put(self.url + path, json=body, timeout=TIMEOUT)

    def delete(self, path: str) -> requests.Response:
        return requests.delete(self.url + path, timeout=TIMEOUT)

    def pipeline(self, name: str, version: int) -> Any:
        sha256 = self.platform.registry.resolve(name, version).sha256
        return joblib.load(self.platform.artifacts.path(sha256))["pipeline"]


def run_text(platform: Platform, text: str, fmt: str = "turtle") -> None:
    version = definitions.submit(platform.store, definitions.parse(text, fmt)).version
    record = platform.runs.run(version)
    assert record.status == "succeeded", record.error


def without_validation(text: str) -> str:
    text = text.replace(":build, :validate .", ":build .")
    text = text[: text.index(":validate a ol:ModelValidation")]
    nodes = (":raw", "ol:Dataset"), (":splits", "ol:Dataset"), (":profile", "ol:DataProfile")
    return text + "".join(f"{node} a {cls} .\n" for node, cls in (*nodes, (":model", "ol:Model")))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[Api]:
    settings = Settings.load({"data": tmp_path_factory.mktemp("models") / "data"}, environ={})
    platform = open_platform(settings, serve_deployments=False)
    cancer = (ROOT / "examples" / "breast_cancer.ttl").read_text()
    run_text(platform, cancer)
    run_text(platform, cancer.replace("ol:parameterValue 1000 ]", "ol:parameterValue 2000 ]"))
    run_text(platform, without_validation(cancer.replace("1000 ]", "3000 ]")))
    run_text(platform, (ROOT / "examples" / "diabetes.jsonld").read_text(), "json-ld")
    with serve_app(create_app(platform=platform)) as url:
        yield Api(
            platform,
            url,
            records(load_breast_cancer(as_frame=True).data, 5),
            records(load_diabetes(as_frame=True).data, 5),
        )
    platform.close()


def problem(answer: requests.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM_JSON)
    body = answer.json()
    assert body["status"] == status
    return dict(body)


# --- reading the registry -------------------------------------------------------------------


def test_list_models_gives_names_latest_versions_and_aliases(api: Api) -> None:
    answer = api.get("/api/models")
    assert answer.status_code == 200
    models = {m["name"]: m for m in answer.json()["models"]}
    assert set(models) == {CANCER, DIABETES}
    assert models[CANCER]["latest_version"] == 3 and models[CANCER]["versions"] == 3
    assert models[CANCER]["task"] == "classification"
    assert models[DIABETES]["latest_version"] == 1 and models[DIABETES]["task"] == "regression"


def test_model_details_list_versions_with_run_metrics_and_validation(api: Api) -> None:
    body = api.get(f"/api/models/{CANCER}").json()
    assert body["name"] == CANCER and body["latest_version"] == 3
    first, second, third = body["versions"]
    assert [v["version"] for v in (first, second, third)] == [1, 2, 3]
    assert first["sha256"] != second["sha256"], "one version per distinct model"
    assert first["run_id"] != second["run_id"]
    assert first["passed_validation"] is True
    assert first["primary_metric"] == "accuracy"
    assert first["primary_value"] == first["metrics"]["accuracy"] > 0.9
    assert set(first["metrics"]) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert third["passed_validation"] is False
    assert third["validation_note"] == "not validated" and third["metrics"] == {}
    run = api.get(f"/api/runs/{first['run_id']}")
    assert run.status_code == 200, "the version names a run the runs API knows"


def test_one_version_and_regression_primary_metric(api: Api) -> None:
    body = api.get(f"/api/models/{DIABETES}/versions/1").json()
    assert body["version"] == 1 and body["passed_validation"] is True
    assert body["primary_metric"] == "r2"
    assert set(body["metrics"]) == {"rmse", "mae", "r2"}
    assert ">= 0.3" in body["validation_note"] and "<= 70" in body["validation_note"]


def test_unknown_model_version_and_alias_are_404_naming_what_exists(api: Api) -> None:
    body = problem(api.get("/api/models/nope"), 404)
    assert CANCER in body["detail"] and DIABETES in body["detail"]
    body = problem(api.get(f"/api/models/{CANCER}/versions/7"), 404)
    assert "has no version 7; it has versions 1, 2, 3" in body["detail"]
    body = problem(api.get(f"/api/models/{CANCER}/versions/latest"), 404)
    assert "numbered 1, 2, 3" in body["detail"]
    body = problem(api.post(f"/api/models/{DIABETES}/aliases/gone/predict", {"inputs": {}}), 404)
    assert "no alias 'gone'" in body["detail"]


def test_input_schema_lists_the_training_columns(api: Api) -> None:
    body = api.get(f"/api/models/{CANCER}/versions/1/schema").json()
    assert body["version"] == 1 and body["task"] == "classification"
    assert [c["name"] for c in body["columns"]] == list(api.cancer_rows[0])
    assert body["columns"][0] == {
        "name": "mean radius",
        "type": "number",
        "dtype": "float64",
        "nullable": True,
    }


# --- aliases and the promotion gate ---------------------------------------------------------


def test_alias_put_moves_and_delete_removes(api: Api) -> None:
    base = f"/api/models/{CANCER}/aliases/challenger"
    answer = api.put(base, {"version": 3})  # not gated: an unvalidated version is fine here
    assert answer.status_code == 200, answer.text
    change = answer.json().pop("change")  # the ol:AliasChange recorded in the model's history
    assert change.startswith(f"https://w3id.org/ontolab/id/model/{CANCER}/change/")
    assert {k: v for k, v in answer.json().items() if k != "change"} == {
        "model": CANCER,
        "alias": "challenger",
        "version": 3,
        "previous": None,
        "gated": False,
        "compared": None,
        "switches": [],
    }
    moved = api.put(base, {"version": 1}).json()
    assert (moved["version"], moved["previous"]) == (1, 3)
    shown = api.get(base).json()
    assert shown["alias"] == "challenger" and shown["version"] == 1
    assert "challenger" in api.get(f"/api/models/{CANCER}").json()["aliases"]
    deleted = api.delete(base)
    assert deleted.status_code == 200
    assert deleted.json() == {"model": CANCER, "alias": "challenger", "version": 1, "deleted": True}
    assert "challenger" not in api.get(f"/api/models/{CANCER}").json()["aliases"]
    assert "no alias 'challenger'" in problem(api.delete(base), 404)["detail"]


def test_champion_put_is_gated_and_refuses_an_unvalidated_version(api: Api) -> None:
    body = problem(api.put(f"/api/models/{CANCER}/aliases/champion", {"version": 3}), 409)
    assert body["title"] == "Promotion refused"
    assert "did not pass its validation thresholds (not validated)" in body["detail"]
    assert body["compared"] == {"version": 3, "passed_validation": False}
    body = problem(
        api.put(f"/api/models/{CANCER}/aliases/staging", {"version": 3, "gate": True}), 409
    )
    assert "not validated" in body["detail"]


def test_promote_with_must_beat_current_compares_primary_metrics(api: Api) -> None:
    base = f"/api/models/{CANCER}/versions"
    first = api.post(f"{base}/1/promote", {"alias": "prod"})
    assert first.status_code == 200, first.text
    assert first.json()["gated"] is True and first.json()["version"] == 1
    accuracy = api.get(f"{base}/1").json()["primary_value"]
    refused = problem(
        api.post(f"{base}/2/promote", {"alias": "prod", "must_beat_current": True}), 409
    )
    assert "does not beat" in refused["detail"] and f"{accuracy:.4f}" in refused["detail"]
    assert refused["compared"]["candidate"] == {"version": 2, "value": accuracy}
    assert refused["compared"]["current"] == {"version": 1, "value": accuracy}
    assert api.get(f"/api/models/{CANCER}/aliases/prod").json()["version"] == 1
    moved = api.post(f"{base}/2/promote", {"alias": "prod"}).json()
    assert (moved["version"], moved["previous"]) == (2, 1)


def test_promote_defaults_to_champion(api: Api) -> None:
    answer = api.post(f"/api/models/{DIABETES}/versions/1/promote", {})
    assert answer.status_code == 200, answer.text
    assert answer.json()["alias"] == "champion"
    assert api.get(f"/api/models/{DIABETES}").json()["aliases"] == {"champion": 1}


def test_bad_alias_bodies_are_400(api: Api) -> None:
    base = f"/api/models/{CANCER}/aliases"
    assert '"version"' in problem(api.put(f"{base}/x", {"version": "one"}), 400)["detail"]
    assert (
        "true or false" in problem(api.put(f"{base}/x", {"version": 1, "gate": 1}), 400)["detail"]
    )
    assert "not an alias name" in problem(api.put(f"{base}/Bad!", {"version": 1}), 400)["detail"]


# --- predict --------------------------------------------------------------------------------


def test_predict_records_match_sklearn_with_probabilities(api: Api) -> None:
    answer = api.post(f"/api/models/{CANCER}/predict", {"dataframe_records": api.cancer_rows})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    pipeline = api.pipeline(CANCER, 3)
    frame = pd.DataFrame(api.cancer_rows)
    assert body["predictions"] == pipeline.predict(frame).tolist()
    np.testing.assert_allclose(body["probabilities"], pipeline.predict_proba(frame), rtol=1e-9)
    assert body["classes"] == [0, 1]
    assert body["model"] == {"name": CANCER, "version": 3}


def test_predict_split_and_single_record_by_version_and_alias(api: Api) -> None:
    columns = list(api.cancer_rows[0])[::-1]
    split = {"columns": columns, "data": [[r[c] for c in columns] for r in api.cancer_rows]}
    by_split = api.post(f"/api/models/{CANCER}/versions/1/predict", {"dataframe_split": split})
    assert by_split.status_code == 200, by_split.text
    expected = api.pipeline(CANCER, 1).predict(pd.DataFrame(api.cancer_rows)).tolist()
    assert by_split.json()["predictions"] == expected
    assert by_split.json()["model"] == {"name": CANCER, "version": 1}
    api.put(f"/api/models/{CANCER}/aliases/single", {"version": 2})
    one = api.post(f"/api/models/{CANCER}/aliases/single/predict", {"inputs": api.cancer_rows[2]})
    assert one.status_code == 200, one.text
    assert one.json()["predictions"] == expected[2:3]
    assert one.json()["model"] == {"name": CANCER, "version": 2, "alias": "single"}
    assert len(one.json()["probabilities"][0]) == 2


def test_regression_predict_matches_sklearn_without_probabilities(api: Api) -> None:
    answer = api.post(f"/api/models/{DIABETES}/predict", {"records": api.diabetes_rows})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "probabilities" not in body and "classes" not in body
    expected = api.pipeline(DIABETES, 1).predict(pd.DataFrame(api.diabetes_rows))
    np.testing.assert_allclose(body["predictions"], expected, rtol=1e-9)


@pytest.mark.parametrize(
    ("change", "detail", "field"),
    [
        (lambda r: {k: v for k, v in r.items() if k != "bmi"}, 'row 1: missing field "bmi"', "bmi"),
        (
            lambda r: {**r, "bmi": "high"},
            'row 1, field "bmi": expected a number, got "high"',
            "bmi",
        ),
        (lambda r: {**r, "height": 1.8}, 'row 1: unknown field "height"', "height"),
    ],
    ids=["missing", "wrong-type", "unknown"],
)
def test_bad_rows_are_400_naming_row_and_field(
    api: Api, change: Any, detail: str, field: str
) -> None:
    batch = [api.diabetes_rows[0], change(api.diabetes_rows[1])]
    body = problem(api.post(f"/api/models/{DIABETES}/predict", {"dataframe_records": batch}), 400)
    assert body["title"] == "Invalid prediction input"
    assert detail in body["detail"]
    assert (body["field"], body["row"]) == (field, 1)


def test_empty_and_malformed_predict_bodies_are_400(api: Api) -> None:
    url = f"/api/models/{CANCER}/predict"
    body = problem(api.post(url, {"dataframe_records": []}), 400)
    assert '"dataframe_records" is empty' in body["detail"]
    body = problem(api.post(url, {"columns": ["a"]}), 400)
    assert "exactly one of" in body["detail"] and body["field"] == "columns"
    answer = requests.post(api.url + url, data="not json", timeout=TIMEOUT)
    assert "JSON object" in problem(answer, 400)["detail"]


# --- an unusable stored artifact --------------------------------------------------------------


def register_artifact(platform: Platform, name: str, artifact: Path) -> None:
    """Register ``artifact`` as version 1 of ``name``, as if a run had built it."""
    ref = platform.artifacts.put(artifact, "application/octet-stream")
    version = ModelVersion(
        name=name,
        number=1,
        run_id="0" * 16,
        artifact="https://example.org/output/build",
        sha256=ref.sha256,
        created="2026-01-01T00:00:00+00:00",
        passed=True,
        note="validated",
    )
    entry = ModelEntry(name, "classification", [version])
    platform.store.replace_graph(model_iri(name), entry_triples(entry))


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"these bytes are no pickle", "cannot unpickle the model artifact"),
        ({"feature_columns": ["a"]}, "is not an Ontolab model bundle (missing 'pipeline')"),
    ],
    ids=["not-a-pickle", "not-a-bundle"],
)
def test_an_unusable_model_artifact_is_a_500_model_artifact_error_not_a_404(
    live_server: LiveServer, tmp_path: Path, content: Any, detail: str
) -> None:
    artifact = write_artifact(tmp_path / "model.joblib", content)
    register_artifact(live_server.platform, "broken", artifact)
    assert requests.get(live_server("/api/models/broken"), timeout=TIMEOUT).status_code == 200
    answers = [
        requests.get(live_server("/api/models/broken/versions/1/schema"), timeout=TIMEOUT),
        requests.post(
            live_server("/api/models/broken/predict"), json={"inputs": {"a": 1}}, timeout=TIMEOUT
        ),
    ]
    for answer in answers:
        body = problem(answer, 500)
        assert body["type"].endswith("/ModelArtifactError")
        assert body["title"] == "Model artifact unusable"
        assert detail in body["detail"] and "build step" in body["detail"]
