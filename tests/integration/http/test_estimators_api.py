"""Estimators from other libraries over real HTTP: LightGBM (in the default allow-list when
installed) runs, records and serves like a scikit-learn estimator; names outside the allow-list
are refused before anything runs or is imported, and /api/vocabulary offers the list.

One module-scoped platform with the default settings runs iris with LGBMClassifier and diabetes
with LGBMRegressor (20 trees each, so the runs stay quick).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import joblib
import pandas as pd
import pytest
import requests
from sklearn.datasets import load_diabetes, load_iris

from server.app import create_app
from server.platform import Platform, open_platform
from server.settings import Settings
from tests.conftest import assert_problem, wait_for_run
from tests.deployments import records
from tests.unit.server.definitions.test_estimators import TRICK_NAMES

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 30
TURTLE = "text/turtle"
# Modules on disk that the platform has no reason to import: trick names must not load them.
UNLOADED = ("tabnanny", "sklearn.semi_supervised")


def renamed(text: str, identifier: str) -> str:
    """An example definition under the experiment identifier ``identifier``."""
    return re.sub(r'dcterms:identifier "[^"]+"', f'dcterms:identifier "{identifier}"', text)


def with_build_step(text: str, identifier: str, build: str) -> str:
    """An example definition as ``identifier``, its build step (``:build``, producing
    ``:model``) replaced by the Turtle ``build``."""
    found = re.search(r":build a ol:ModelBuilding ;.*?ol:produces :model \.", text, re.S)
    assert found is not None
    return renamed(text.replace(found.group(0), build), identifier)


def with_estimator(text: str, identifier: str, estimator: str, model: str) -> str:
    """An example definition whose build step fits ``estimator`` with 20 trees, no search."""
    build = f""":build a ol:ModelBuilding ;
    ol:consumes :splits ;
    ol:estimator "{estimator}" ;
    ol:modelName "{model}" ;
    ol:hyperParameter [ ol:parameterName "n_estimators" ; ol:parameterValue 20 ] ;
    ol:produces :model ."""
    return with_build_step(text, identifier, build)


def iris(estimator: str = "LGBMClassifier", identifier: str = "iris-lgbm") -> str:
    text = (ROOT / "examples" / "iris.ttl").read_text()
    return with_estimator(text, identifier, estimator, "iris-lgbm")


def diabetes(estimator: str = "LGBMRegressor", identifier: str = "diabetes-lgbm") -> str:
    text = (ROOT / "examples" / "iris.ttl").read_text()
    text = text.replace('ol:task "classification"', 'ol:task "regression"')
    text = text.replace("sklearn:iris", "sklearn:diabetes").replace("ol:stratify true ;", "")
    threshold = 'ol:metricName "r2" ; ol:minValue 0.0'
    text = text.replace('ol:metricName "accuracy" ; ol:minValue 0.8', threshold)
    return with_estimator(text, identifier, estimator, "diabetes-lgbm")


@dataclass
class Api:
    platform: Platform
    url: str
    runs: dict[str, dict[str, Any]]
    #: Seconds a run may take, from its start to its end.
    run_timeout: ClassVar[float] = 120

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=TIMEOUT)

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(self.url + path, json=body, timeout=TIMEOUT)

    def post_turtle(self, path: str, text: str) -> requests.Response:
        headers = {"Content-Type": TURTLE}
        return requests.post(self.url + path, data=text.encode(), headers=headers, timeout=TIMEOUT)

    def run(self, text: str, identifier: str) -> dict[str, Any]:
        stored = self.post_turtle("/api/experiments", text)
        assert stored.status_code == 201, stored.text
        started = self.post("/api/runs", {"experiment": identifier})
        assert started.status_code == 202, started.text
        return wait_for_run(self.url, started.json()["run_id"], timeout=self.run_timeout)


ApiType = TypeVar("ApiType", bound=Api)


def serving_with_runs(
    data: Path, serve_app: Any, api_type: type[ApiType], runs: dict[str, tuple[str, str]]
) -> Iterator[ApiType]:
    """A module fixture's body: a platform on ``data`` served over HTTP, once each run of
    ``runs`` (name: definition and experiment identifier) has ended, kept in ``api.runs``."""
    platform = open_platform(Settings.load({"data": data}, environ={}), serve_deployments=False)
    with serve_app(create_app(platform=platform)) as url:
        api = api_type(platform, url, {})
        for name, (text, identifier) in runs.items():
            api.runs[name] = api.run(text, identifier)
        yield api
    platform.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[Api]:
    runs = {"iris": (iris(), "iris-lgbm"), "diabetes": (diabetes(), "diabetes-lgbm")}
    yield from serving_with_runs(tmp_path_factory.mktemp("learners") / "data", serve_app, Api, runs)


# --- LightGBM runs like any estimator --------------------------------------------------------


def test_a_lightgbm_classifier_run_records_metrics_and_hyperparameters(api: Api) -> None:
    run = api.runs["iris"]

    assert run["status"] == "succeeded", run
    metrics = {m["metric"]: m["value"] for m in run["metrics"]}
    assert metrics["accuracy"] > 0.8
    recorded = {h["name"]: h["value"] for h in run["hyperparameters"]}
    assert recorded["n_estimators"] == 20
    assert recorded["random_state"] == 42, "seeded like scikit-learn's estimators"
    assert "num_leaves" in recorded


#: The labels of the implementations runs executed.
IMPLEMENTATIONS = """
    PREFIX mls: <http://www.w3.org/ns/mls#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?label WHERE {
        GRAPH ?run_graph { ?run mls:executes ?implementation }
        GRAPH ?shared { ?implementation a mls:Implementation ; rdfs:label ?label }
    }"""


def test_the_run_executes_the_lightgbm_implementation(api: Api) -> None:
    labels = {str(row["label"]) for row in api.platform.store.select(IMPLEMENTATIONS)}

    assert {"lightgbm.sklearn.LGBMClassifier", "lightgbm.sklearn.LGBMRegressor"} <= labels


def test_the_registered_lightgbm_model_predicts_through_the_registry(api: Api) -> None:
    rows = records(load_iris(as_frame=True).data, 5)
    answer = api.post("/api/models/iris-lgbm/predict", {"dataframe_records": rows})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    sha256 = api.platform.registry.resolve("iris-lgbm", 1).sha256
    pipeline = joblib.load(api.platform.artifacts.path(sha256))["pipeline"]
    assert type(pipeline.named_steps["estimator"]).__name__ == "LGBMClassifier"
    assert body["predictions"] == pipeline.predict(pd.DataFrame(rows)).tolist()
    assert len(body["probabilities"][0]) == 3


def test_a_lightgbm_regressor_run_serves_predictions(api: Api) -> None:
    run = api.runs["diabetes"]
    assert run["status"] == "succeeded", run
    assert {m["metric"] for m in run["metrics"]} == {"rmse", "mae", "r2"}

    rows = records(load_diabetes(as_frame=True).data, 3)
    answer = api.post("/api/models/diabetes-lgbm/predict", {"dataframe_records": rows})

    assert answer.status_code == 200, answer.text
    assert all(isinstance(value, float) for value in answer.json()["predictions"])


# --- refusals: by name, before anything runs -------------------------------------------------


def test_a_classifier_in_a_regression_experiment_is_refused(api: Api) -> None:
    answer = api.post_turtle("/api/experiments", diabetes("LGBMClassifier", "wrong-task"))

    assert_problem(answer, 400, "does not fit the experiment's ol:task")
    assert api.get("/api/experiments/wrong-task").status_code == 404, "nothing stored"


@pytest.mark.parametrize("name", TRICK_NAMES)
@pytest.mark.parametrize("route", ["/api/experiments", "/api/experiments/validate"])
def test_a_trick_name_is_refused_and_imports_nothing(api: Api, route: str, name: str) -> None:
    assert not any(module in sys.modules for module in UNLOADED)

    answer = api.post_turtle(route, iris(name, "trick"))

    assert_problem(answer, 400, "ol:estimator is not in the allow-list", "LGBMClassifier")
    assert not any(module in sys.modules for module in UNLOADED)
    assert api.get("/api/experiments/trick").status_code == 404, "nothing stored"


def run_with_only_sklearn(
    data: Path, serve_app: Any, turtle: str, experiment: str
) -> tuple[requests.Response, dict[str, Any]]:
    """Store ``turtle`` on a platform with the default estimators, then reopen ``data`` with
    ``estimators = none`` (scikit-learn's only) and ask for a run of ``experiment``: the answer
    and the run list after it."""
    first = open_platform(Settings.load({"data": data}, environ={}), serve_deployments=False)
    with serve_app(create_app(platform=first)) as url:
        stored = requests.post(
            url + "/api/experiments",
            data=turtle.encode(),
            headers={"Content-Type": TURTLE},
            timeout=TIMEOUT,
        )
        assert stored.status_code == 201, stored.text
    first.close()
    only_sklearn = Settings.load({"data": data, "estimators": "none"}, environ={})
    second = open_platform(only_sklearn, serve_deployments=False)
    with serve_app(create_app(platform=second)) as url:
        answer = requests.post(url + "/api/runs", json={"experiment": experiment}, timeout=TIMEOUT)
        listed = requests.get(url + "/api/runs", timeout=TIMEOUT).json()
    second.close()
    return answer, listed


def test_a_version_the_settings_no_longer_allow_does_not_run(
    tmp_path: Path, serve_app: Any
) -> None:
    answer, listed = run_with_only_sklearn(tmp_path / "data", serve_app, iris(), "iris-lgbm")

    assert_problem(answer, 400, "'LGBMClassifier' is not in the allow-list", "ONTOLAB_ESTIMATORS")
    assert listed["runs"] == [], "refused before the run existed"


# --- the builder's vocabulary ----------------------------------------------------------------


def test_the_vocabulary_offers_the_lightgbm_estimators(api: Api) -> None:
    vocabulary = api.get("/api/vocabulary").json()

    by_task = vocabulary["choices_by_task"]["estimator"]
    assert "LGBMClassifier" in by_task["classification"]
    assert "LGBMRegressor" in by_task["regression"]
    assert "LGBMClassifier" not in by_task["regression"]
    build = next(s for s in vocabulary["steps"] if s["type"] == "ModelBuilding")
    estimator = next(p for p in build["parameters"] if p["name"] == "estimator")
    assert {"LGBMClassifier", "LGBMRegressor", "LogisticRegression"} <= set(estimator["in"])
