"""The examples' definitions built with the SDK's ``Experiment`` (shared by unit and SDK tests)."""

from __future__ import annotations

from ontolab import Experiment

IRIS_COMMENT = (
    "Predicts the species of an iris from its sepal and petal sizes with a random forest "
    "tuned by a 3-fold grid search over 4 candidates; fails if test accuracy drops below 0.8."
)


def example(identifier: str, label: str, comment: str) -> Experiment:
    """A classification experiment as examples/IDENTIFIER.ttl starts it: no steps yet; its
    nodes in the examples' namespace."""
    return Experiment(
        identifier,
        task="classification",
        label=label,
        comment=comment,
        namespace=f"https://w3id.org/ontolab/examples/{identifier}#",
    )


def iris_experiment() -> Experiment:
    """examples/iris.ttl, built in Python."""
    return (
        example("iris", "Iris species", IRIS_COMMENT)
        .extract(source="sklearn:iris", target_column="target", produces="raw")
        .explore(produces="profile")
        .process(scaling="none", test_size=0.3, random_seed=42, stratify=True, produces="splits")
        .build(
            estimator="RandomForestClassifier",
            model_name="iris-forest",
            random_seed=42,
            search_strategy="grid",
            search_folds=3,
            search_scoring="accuracy",
            search_space={"n_estimators": [50, 100], "max_depth": [3, 5]},
            produces="model",
        )
        .validate(thresholds={"accuracy": 0.8}, produces="report")
    )
