from __future__ import annotations

import re
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

from executor import estimators
from executor.errors import ParameterError

DEFINITIONS = Path(__file__).resolve().parents[3] / "docs" / "definitions.md"


def documented(task: str) -> list[str]:
    """The estimator names docs/definitions.md lists for ``task``."""
    section = DEFINITIONS.read_text().split("## Estimator allow-list", 1)[1]
    line = re.search(rf"{task.capitalize()}:(.*?)\.(?=\n[A-Z]\w*:|\n\n|\s*$)", section, re.DOTALL)
    assert line is not None
    return re.findall(r"`(\w+)`", line.group(1))


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_allow_list_matches_the_documentation(task: str) -> None:
    assert list(estimators.ALLOWED[task]) == documented(task)


@pytest.mark.parametrize(
    ("task", "name"), [(t, n) for t, names in estimators.ALLOWED.items() for n in names]
)
def test_every_allowed_estimator_can_be_made(task: str, name: str) -> None:
    estimator = estimators.make_estimator(name, task, {}, random_seed=5)

    assert type(estimator).__name__ == name
    if "random_state" in estimator.get_params():
        assert estimator.get_params()["random_state"] == 5


def test_a_dotted_path_is_not_an_estimator() -> None:
    with pytest.raises(ParameterError, match="'os.system' is not in the allow-list"):
        estimators.estimator_class("os.system", "classification")


def test_an_unknown_hyperparameter_lists_the_valid_ones() -> None:
    with pytest.raises(ParameterError, match=r"\(valid: C, class_weight, dual, "):
        estimators.make_estimator("LogisticRegression", "classification", {"alpha": 1}, 0)


def test_a_value_rejected_at_fit_time_names_the_hyperparameter() -> None:
    estimator = LogisticRegression(max_iter=-5)

    with pytest.raises(ParameterError, match="hyperparameter 'max_iter' of LogisticRegression"):
        estimators.fit_checked(
            "LogisticRegression", {"max_iter": -5}, lambda: estimator.fit([[0.0], [1.0]], [0, 1])
        )


def test_missing_values_point_at_imputation() -> None:
    estimator = LogisticRegression()

    with pytest.raises(ParameterError, match="does not accept missing values.*set ol:imputation"):
        estimators.fit_checked(
            "LogisticRegression", {}, lambda: estimator.fit([[float("nan")], [1.0]], [0, 1])
        )


def test_other_failures_without_hyperparameters_pass_through() -> None:
    def fail() -> None:
        raise ValueError("y has one class")

    with pytest.raises(ValueError, match="^y has one class$"):
        estimators.fit_checked("LogisticRegression", {}, fail)


# --- entries the platform resolved (ONTOLAB_ESTIMATORS) --------------------------------------


def test_a_resolved_entry_is_imported_and_seeded() -> None:
    estimator = estimators.make_estimator(
        "LGBMClassifier", "classification", {"n_estimators": 20}, 7, "lightgbm:LGBMClassifier"
    )

    assert type(estimator).__name__ == "LGBMClassifier"
    assert estimator.get_params()["n_estimators"] == 20
    assert estimator.get_params()["random_state"] == 7


def test_a_resolved_entrys_parameters_are_checked_by_name() -> None:
    with pytest.raises(
        ParameterError, match=r"not a parameter of LGBMRegressor \(valid: .*num_leaves"
    ):
        estimators.make_estimator(
            "LGBMRegressor", "regression", {"depth": 3}, 0, "lightgbm:LGBMRegressor"
        )


def test_without_an_entry_only_scikit_learn_names_resolve() -> None:
    with pytest.raises(ParameterError, match="'LGBMClassifier' is not in the allow-list"):
        estimators.estimator_class("LGBMClassifier", "classification")


@pytest.mark.parametrize(
    ("name", "entry", "message"),
    [
        ("SVC", "lightgbm:LGBMClassifier", "does not name 'SVC'"),
        ("system", "os.system", "is not module:ClassName"),
        ("__class__", "sklearn.svm:SVC.__class__", "is not module:ClassName"),
        ("Model", "no_such_library_here:Model", "cannot import .*install it where steps run"),
        ("getcwd", "os:getcwd", "is not a class with fit and predict"),
    ],
)
def test_a_bad_entry_is_refused(name: str, entry: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        estimators.estimator_class(name, "classification", entry)


def test_a_value_lightgbm_refuses_names_the_hyperparameters() -> None:
    estimator = estimators.make_estimator(
        "LGBMClassifier",
        "classification",
        {"learning_rate": -1.0},
        0,
        "lightgbm:LGBMClassifier",
    )
    given = {"learning_rate": -1.0}

    with pytest.raises(ParameterError, match=r"LGBMClassifier rejected .*learning_rate=-1.0.*fix"):
        estimators.fit_checked(
            "LGBMClassifier", given, lambda: estimator.fit([[0.0], [1.0]] * 10, [0, 1] * 10)
        )
