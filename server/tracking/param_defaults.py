"""Which compared parameters are an estimator's defaults: a build step records every parameter
scikit-learn's ``get_params`` gives, so most rows of a parameter diff are defaults nobody set.

``param_defaults`` gives, per ``STEP.NAME`` parameter of the runs, the default of the estimator
that step fitted, when every run that has the step fitted the same class.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.definitions.estimators import AllowList, estimator_defaults
from server.graph import queries
from server.graph.namespaces import run_iri
from server.graph.terms import plain_row
from server.store.base import ReadableStore


def param_defaults(
    store: ReadableStore, run_ids: Iterable[str], allowed: AllowList
) -> dict[str, Any]:
    """``{"STEP.NAME": default}`` for the parameters whose estimator is known and allowed."""
    classes: dict[str, set[str]] = {}
    for run_id in run_ids:
        for row in map(
            plain_row, queries.select(store, "run_estimators", run=str(run_iri(run_id)))
        ):
            classes.setdefault(str(row["step_id"]), set()).add(str(row["estimator_class"]))
    out: dict[str, Any] = {}
    for step_id, found in sorted(classes.items()):
        if len(found) != 1:
            continue  # the runs fitted different estimators: their defaults are not comparable
        for name, value in estimator_defaults(allowed, found.pop()).items():
            out[f"{step_id}.{name}"] = value
    return out
