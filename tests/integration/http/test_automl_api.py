"""The AutoML step over real HTTP: a real search on iris through the platform, its trials in
the graph (SPARQL over /sparql) and in GET /api/runs/ID/trials, the best trial as the step's
model; a search cut short by its step's time-out keeps the trials it finished; bad budgets and
candidates are refused with 400 before anything is stored.

One module-scoped platform runs an AutoML step of 6 trials over cheap candidates, and one whose
search is killed by its step time-out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import assert_problem
from tests.integration.http.test_estimators_api import Api as EstimatorsApi
from tests.integration.http.test_estimators_api import (
    renamed,
    run_with_only_sklearn,
    serving_with_runs,
    with_build_step,
)

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 30
TURTLE = "text/turtle"


def automl_iris(identifier: str, step: str, extra: str = "") -> str:
    """examples/iris.ttl with its build step replaced by an AutoML step stating ``step``."""
    build = f""":build a ol:AutoML ;
    ol:consumes :splits ;
    {step}
    ol:modelName "{identifier}" ;
    ol:produces :model .{extra}"""
    return with_build_step((ROOT / "examples" / "iris.ttl").read_text(), identifier, build)


def iris_plain() -> str:
    """examples/iris.ttl under another identifier: a run without AutoML steps."""
    return renamed((ROOT / "examples" / "iris.ttl").read_text(), "iris-plain")


SEARCH = """ol:trialBudget 6 ;
    ol:candidateEstimator "LogisticRegression", "KNeighborsClassifier", "SVC" ;
    ol:randomSeed 3 ;"""
# Far more trials than 6 s of time-out allow: the step is killed mid-search.
CUT_SHORT = """ol:timeBudget 600 ;
    ol:candidateEstimator "LogisticRegression", "KNeighborsClassifier", "SVC" ;
    ol:requires [ ol:timeoutSeconds 6 ] ;"""


class Api(EstimatorsApi):
    """The estimators tests' served platform, with runs to the end and SPARQL over HTTP."""

    run_timeout = 240

    def sparql(self, query: str) -> list[dict[str, str]]:
        answer = requests.post(
            self.url + "/sparql",
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=TIMEOUT,
        )
        assert answer.status_code == 200, answer.text
        rows = answer.json()["results"]["bindings"]
        return [{k: v["value"] for k, v in row.items()} for row in rows]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[Api]:
    runs = {
        "search": (automl_iris("iris-automl", SEARCH), "iris-automl"),
        "cut": (automl_iris("iris-cut", CUT_SHORT), "iris-cut"),
    }
    yield from serving_with_runs(tmp_path_factory.mktemp("automl") / "data", serve_app, Api, runs)


TRIALS_QUERY = """
PREFIX ol: <https://w3id.org/ontolab/ns#>
PREFIX mls: <http://www.w3.org/ns/mls#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?number ?estimator ?status ?mean ?best WHERE {
  GRAPH <https://w3id.org/ontolab/id/run/RUN_ID> {
    ?step_run ol:hasTrial ?trial .
    ?trial a ol:Trial, prov:Activity, mls:Run ;
           ol:trialNumber ?number ;
           ol:estimatorName ?estimator ;
           ol:status ?status .
    OPTIONAL { ?trial ol:meanScore ?mean }
    OPTIONAL { ?step_run ol:bestTrial ?chosen . FILTER(?chosen = ?trial) }
  }
  BIND(BOUND(?chosen) AS ?best)
} ORDER BY ?number
"""


def trials_by_sparql(api: Api, run_id: str) -> list[dict[str, str]]:
    return api.sparql(TRIALS_QUERY.replace("RUN_ID", run_id))


def test_an_automl_run_records_every_trial_in_the_graph(api: Api) -> None:
    run = api.runs["search"]
    assert run["status"] == "succeeded", run

    rows = trials_by_sparql(api, run["run_id"])
    assert [int(r["number"]) for r in rows] == list(range(6))
    assert [r["estimator"] for r in rows[:2]] == [
        "RandomForestClassifier",
        "HistGradientBoostingClassifier",
    ]
    assert {r["status"] for r in rows} == {"succeeded"}
    assert sum(r["best"] == "true" for r in rows) == 1


def test_the_best_trial_is_the_model_and_no_worse_than_the_default(api: Api) -> None:
    run = api.runs["search"]
    rows = trials_by_sparql(api, run["run_id"])
    (best,) = [r for r in rows if r["best"] == "true"]

    assert float(best["mean"]) >= float(rows[0]["mean"])
    assert float(best["mean"]) == max(float(r["mean"]) for r in rows)
    run_node = f"<https://w3id.org/ontolab/id/run/{run['run_id']}>"
    executed = api.sparql(
        f"""PREFIX mls: <http://www.w3.org/ns/mls#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?label WHERE {{
          GRAPH {run_node} {{ {run_node} mls:executes ?i }}
          GRAPH ?shared {{ ?i rdfs:label ?label }}
        }}"""
    )
    assert [r["label"].rsplit(".", 1)[-1] for r in executed] == [best["estimator"]]
    model = api.get("/api/models/iris-automl")
    assert model.status_code == 200, "the best trial's model is registered like any other"


def test_the_trials_api_lists_settings_and_fold_scores(api: Api) -> None:
    run = api.runs["search"]
    answer = api.get(f"/api/runs/{run['run_id']}/trials")

    assert answer.status_code == 200, answer.text
    trials = answer.json()["trials"]
    assert [t["number"] for t in trials] == list(range(6))
    assert all(t["step_id"] == "build" and t["scoring"] == "accuracy" for t in trials)
    assert all(len(t["fold_scores"]) == 5 for t in trials)
    for trial in trials:
        assert trial["mean_score"] == pytest.approx(sum(trial["fold_scores"]) / 5)
    searched = [t for t in trials if t["kind"] == "search"]
    assert searched and all(t["params"] for t in searched), "drawn settings are recorded"
    assert trials[0]["params"]["random_state"] == 3


def test_trials_of_an_unknown_run_are_404(api: Api) -> None:
    assert_problem(api.get("/api/runs/0123456789abcdef/trials"), 404, "no run")


def test_a_search_killed_by_its_time_out_keeps_its_finished_trials(api: Api) -> None:
    run = api.runs["cut"]
    assert run["status"] == "failed", run

    rows = trials_by_sparql(api, run["run_id"])
    assert rows, "the trials finished before the time-out are recorded"
    assert rows[0]["estimator"] == "RandomForestClassifier"
    listed = api.get(f"/api/runs/{run['run_id']}/trials").json()["trials"]
    assert [t["number"] for t in listed] == [int(r["number"]) for r in rows]


def test_compare_shows_each_runs_trials_and_the_best_trials_side_by_side(api: Api) -> None:
    search, cut = api.runs["search"], api.runs["cut"]
    answer = api.get(f"/api/compare?runs={search['run_id']},{cut['run_id']}")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {"metrics", "params", "differing_params", "best"} <= body.keys(), "kept as they were"
    first, second = body["runs"]
    listed = api.get(f"/api/runs/{search['run_id']}/trials").json()["trials"]
    assert first["trials"] == listed, "the same trials as the run view's"
    assert [t["number"] for t in second["trials"]] == [
        int(r["number"]) for r in trials_by_sparql(api, cut["run_id"])
    ]
    (best,) = [t for t in first["trials"] if t["best"]]
    assert best["estimator"] and best["params"] and len(best["fold_scores"]) == 5
    assert best["fit_seconds"] >= 0
    assert not any(t["best"] for t in second["trials"]), "a killed search chose no model"
    assert body["best_trials"] == {"accuracy": [search["run_id"]]}


def test_compare_of_runs_without_automl_steps_has_empty_trials(api: Api) -> None:
    other = api.run(iris_plain(), "iris-plain")
    answer = api.get(f"/api/compare?runs={other['run_id']},{api.runs['search']['run_id']}")

    assert answer.status_code == 200, answer.text
    assert answer.json()["runs"][0]["trials"] == []
    assert answer.json()["best_trials"] == {"accuracy": [api.runs["search"]["run_id"]]}


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("ol:timeBudget 0 ;", "ol:timeBudget is one number of seconds above 0"),
        ("ol:trialBudget 0 ;", "ol:trialBudget is one whole number of trials, 1 or more"),
        ('ol:candidateEstimator "LogisticRegresion" ;', "an AutoML step needs a budget"),
        (
            'ol:trialBudget 5 ; ol:candidateEstimator "LogisticRegresion" ;',
            "ol:candidateEstimator is not in the allow-list; use one of these class names: "
            "for classification LogisticRegression",
        ),
        (
            'ol:trialBudget 5 ; ol:candidateEstimator "Ridge" ;',
            "an ol:candidateEstimator does not fit the experiment's ol:task",
        ),
        (
            'ol:trialBudget 5 ; ol:estimator "SVC" ;',
            "an AutoML step chooses its estimator; remove ol:estimator",
        ),
    ],
)
def test_bad_automl_input_is_refused_and_nothing_is_stored(
    api: Api, step: str, message: str
) -> None:
    answer = api.post_turtle("/api/experiments", automl_iris("iris-bad", step))

    assert_problem(answer, 400, message)
    assert api.get("/api/experiments/iris-bad").status_code == 404


def test_a_candidate_the_allow_list_no_longer_holds_is_refused_before_the_run(
    tmp_path: Path, serve_app: Any
) -> None:
    step = 'ol:trialBudget 3 ; ol:candidateEstimator "LGBMClassifier" ;'
    turtle = automl_iris("iris-lgbm-automl", step)
    answer, listed = run_with_only_sklearn(tmp_path / "data", serve_app, turtle, "iris-lgbm-automl")

    assert_problem(
        answer, 400, "ol:candidateEstimator 'LGBMClassifier' is not in the allow-list", "SVC"
    )
    assert listed["runs"] == [], "refused before the run existed"
