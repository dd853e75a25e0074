"""A custom model for the wine example: called by the :ensemble code step."""

from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline


def ensemble(splits: dict, params: dict):
    """A soft-voting ensemble behind the process step's preprocessing, fitted on train rows.

    The model takes raw rows (the feature columns of the splits), like a build step's model.
    """
    voting = VotingClassifier(
        [
            ("linear", LogisticRegression(max_iter=1000)),
            ("forest", RandomForestClassifier(n_estimators=100, random_state=7)),
            ("neighbors", KNeighborsClassifier(n_neighbors=params.get("neighbors", 5))),
        ],
        voting="soft",
    )
    model = make_pipeline(clone(splits["preprocessor"]), voting)
    train = splits["train"]
    return model.fit(train[splits["feature_columns"]], train[splits["target"]])
