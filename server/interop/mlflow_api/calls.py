"""MLflow's REST calls: the ones this layer answers, and a clear error for every other one.

MLflow's client calls ``/api/2.0/mlflow/...`` (its web UI the same under ``/ajax-api/``).
A call of MLflow's API that is not here answers 501 NOT_IMPLEMENTED naming it and what to use
instead; a path under MLflow's prefixes that is no MLflow call answers 404 ENDPOINT_NOT_FOUND.
Never an HTML page: MLflow's client turns both into an ``MlflowException`` with the message.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.errors import (
    MlflowApiError,
    MlflowEndpointNotFound,
    MlflowMethodNotAllowed,
    MlflowNotSupported,
)


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # under the prefix, e.g. "runs/create"
    handler: str  # the ``MlflowTracking`` method that answers it
    summary: str


#: The prefixes MLflow's client and web UI call the tracking service under.
PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
#: The proxied artifact service (``mlflow-artifacts:`` URIs resolve to it).
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"

SUPPORTED: tuple[Call, ...] = (
    Call("POST", "experiments/create", "create_experiment", "Create an experiment"),
    Call("GET", "experiments/get", "get_experiment", "An experiment by id"),
    Call("GET", "experiments/get-by-name", "get_experiment_by_name", "An experiment by name"),
    Call("POST", "experiments/search", "search_experiments", "Search experiments"),
    Call("GET", "experiments/search", "search_experiments", "Search experiments"),
    Call("POST", "runs/create", "create_run", "Start a run"),
    Call("GET", "runs/get", "get_run", "A run with its latest metrics, params and tags"),
    Call("POST", "runs/update", "update_run", "End a run (status, end time) or rename it"),
    Call("POST", "runs/delete", "delete_run", "Mark a run deleted"),
    Call("POST", "runs/search", "search_runs", "Search runs (filter, order_by, pages)"),
    Call("POST", "runs/log-batch", "log_batch", "Log metrics, params and tags at once"),
    Call("POST", "runs/log-metric", "log_metric", "Log one metric value"),
    Call("POST", "runs/log-parameter", "log_param", "Log one param"),
    Call("POST", "runs/set-tag", "set_tag", "Set one tag"),
    Call("GET", "metrics/get-history", "metric_history", "Every logged value of a metric"),
    # The client looks for a run's logged models when it lists or downloads its files.
    Call("POST", "logged-models/search", "search_logged_models", "Logged models: none here"),
)

#: The first path part of MLflow's other calls (model registry, logged models, traces …):
#: MLflow's API, not this layer's.
MLFLOW_FAMILIES = frozenset(
    {
        "artifacts",
        "datasets",
        "experiments",
        "gateway",
        "issues",
        "label-schemas",
        "logged-models",
        "metrics",
        "model-versions",
        "mpu",
        "presigned",
        "prompt-optimization",
        "registered-models",
        "review-queues",
        "runs",
        "scorers",
        "server-info",
        "server-features",
        "traces",
        "unified-traces",
        "webhooks",
        "workspaces",
    }
)
_INSTEAD = {
    "registered-models": "Ontolab's registry: GET /api/models (a tracked run's model enters it "
    "through ontolab.start_run's log_model)",
    "model-versions": "Ontolab's registry: GET /api/models/NAME",
    "logged-models": "mlflow.log_artifact for the model file, or ontolab.start_run's log_model "
    "to register it",
}


def supported_list() -> str:
    """The supported calls, for messages."""
    names = dict.fromkeys(f"{call.method} {call.path}" for call in SUPPORTED)
    return ", ".join(names) + ", and the mlflow-artifacts file routes"


def allowed_methods(path: str) -> list[str]:
    """The methods a supported call or artifact route at ``path`` is served with ([]: none)."""
    if path == ARTIFACTS:
        return ["GET"]
    if path.startswith(ARTIFACTS + "/"):
        return ["GET", "PUT"]
    tail = _tail(path)
    if path.startswith(PREFIXES) and tail == "artifacts/list":
        return ["GET"]
    return [c.method for c in SUPPORTED if path.startswith(PREFIXES) and c.path == tail]


def _tail(path: str) -> str:
    for prefix in (*PREFIXES, "/api/3.0/mlflow", "/ajax-api/3.0/mlflow"):
        if path.startswith(prefix + "/"):
            return path[len(prefix) + 1 :]
    return path


def refusal(method: str, path: str) -> MlflowApiError:
    """The error for ``method path`` (the full request path) that no supported call matched."""
    tail = _tail(path)
    family = tail.split("/", 1)[0]
    allowed = allowed_methods(path)
    if allowed:
        return MlflowMethodNotAllowed(
            f"{method} is not allowed on {path}; use {' or '.join(allowed)} {path}", allowed
        )
    artifacts = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")
    if family in MLFLOW_FAMILIES or path.startswith(artifacts):
        instead = _INSTEAD.get(family, f"one of the supported calls: {supported_list()}")
        return MlflowNotSupported(
            f"the MLflow call {method} {path} is not supported by Ontolab's MLflow "
            f"compatibility layer; use {instead}"
        )
    return MlflowEndpointNotFound(
        f"{method} {path} is no MLflow REST call; use one of the supported calls: "
        f"{supported_list()}"
    )
