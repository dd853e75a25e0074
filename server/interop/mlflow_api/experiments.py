"""MLflow experiments over Ontolab's: an MLflow experiment is an Ontolab experiment, its
``experiment_id`` the Ontolab identifier (``GET /api/experiments/ID``).

An experiment created through MLflow (or ``ontolab.start_run``) is a tracked experiment whose
label is the name it was given; a native experiment (a submitted definition) is listed too,
named by its identifier, so MLflow's client can search its runs. MLflow's default experiment
``"0"`` is the tracked experiment named ``Default``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from server import definitions
from server.errors import MlflowAlreadyExists, MlflowApiError, MlflowNotFound
from server.interop.mlflow_api import filters
from server.interop.mlflow_api.messages import millis
from server.store.base import Store

if TYPE_CHECKING:
    from server.runs.tracked import TrackedRuns

#: MLflow's id of the experiment runs go to when a script sets none, and its name.
DEFAULT_ID = "0"
DEFAULT_NAME = "Default"
#: The task of an experiment made for tracked runs (``store_tracked_experiment``).
_TRACKED_TASK = "tracked"


@dataclass(frozen=True)
class MlflowExperiment:
    experiment_id: str
    name: str
    created: int | None  # ms since the epoch
    updated: int | None

    def to_json(self) -> dict[str, Any]:
        """MLflow's Experiment message."""
        body: dict[str, Any] = {
            "experiment_id": self.experiment_id,
            "name": self.name,
            "artifact_location": artifact_location(self.experiment_id),
            "lifecycle_stage": "active",
            "tags": [],
        }
        if self.created is not None:
            body["creation_time"] = self.created
            body["last_update_time"] = self.updated
        return body


def artifact_location(experiment_id: str) -> str:
    """The experiment's artifact root: the ``mlflow-artifacts:`` scheme makes MLflow's client
    upload and download through this server (with a plain path it writes files itself)."""
    return f"mlflow-artifacts:/{experiment_id}"


class Experiments:
    """Experiments as MLflow sees them, read from the store on each call."""

    def __init__(self, store: Store, tracked: TrackedRuns) -> None:
        self._store = store
        self._tracked = tracked

    def all(self) -> list[MlflowExperiment]:
        """Every experiment, oldest identifier first."""
        return [_experiment(row) for row in definitions.list_experiments(self._store)]

    def get(self, experiment_id: str) -> MlflowExperiment:
        if experiment_id == DEFAULT_ID:
            experiment_id = self._tracked.ensure_experiment(DEFAULT_NAME)
        return self._first(
            lambda experiment: experiment.experiment_id == experiment_id,
            f"no experiment with id {experiment_id!r}; list them with "
            "POST /api/2.0/mlflow/experiments/search or create one with mlflow.set_experiment",
        )

    def by_name(self, name: str) -> MlflowExperiment:
        return self._first(
            lambda experiment: experiment.name == name,
            f"no experiment named {name!r}; create it with mlflow.create_experiment or "
            "mlflow.set_experiment",
        )

    def _first(self, matches: Callable[[MlflowExperiment], bool], missing: str) -> MlflowExperiment:
        """The first experiment that ``matches``; else MLflow's RESOURCE_DOES_NOT_EXIST saying
        ``missing``."""
        found = next((experiment for experiment in self.all() if matches(experiment)), None)
        if found is None:
            raise MlflowNotFound(missing)
        return found

    def create(self, name: str) -> str:
        """A new tracked experiment named ``name``; its id."""
        if any(experiment.name == name for experiment in self.all()):
            raise MlflowAlreadyExists(
                f"an experiment named {name!r} exists already; use mlflow.set_experiment to "
                "log to it, or choose another name"
            )
        return self._tracked.ensure_experiment(name)

    def resolve(self, experiment_id: str) -> str:
        """The Ontolab identifier a run of ``experiment_id`` goes to; the experiment must exist
        (``"0"``: the Default experiment, made on first use)."""
        return self.get(experiment_id).experiment_id

    def search(self, filter_text: str | None, view_type: str | None) -> list[MlflowExperiment]:
        """The experiments whose name and times match an MLflow experiment filter
        (``name``, ``creation_time``, ``last_update_time``); deleted ones do not exist here."""
        if view_type == "DELETED_ONLY":
            return []
        conditions = filters.parse_filter(filter_text)
        return [e for e in self.all() if all(_holds(c, e) for c in conditions)]


def _experiment(row: dict[str, Any]) -> MlflowExperiment:
    identifier = str(row["identifier"])
    tracked = row.get("task") == _TRACKED_TASK
    name = str(row.get("label") or identifier) if tracked else identifier
    updated = row.get("updated")
    if isinstance(updated, datetime):
        updated = updated.isoformat()
    stamp = millis(str(updated)) if updated is not None else None
    return MlflowExperiment(identifier, name, stamp, stamp)


def _holds(condition: filters.Comparison, experiment: MlflowExperiment) -> bool:
    if condition.kind == "tags":
        return False  # Ontolab experiments carry no MLflow tags
    fields: dict[str, Any] = {
        "run_name": experiment.name,  # the filter reads a bare ``name`` as a run's name
        "created": experiment.created,
        "start_time": experiment.created,
    }
    if condition.kind != "attributes" or condition.key not in fields:
        raise MlflowApiError(
            f"experiments cannot be filtered on {condition.field}; filter on name, e.g. "
            "name LIKE 'churn%'"
        )
    return filters.holds(condition, fields[condition.key])
