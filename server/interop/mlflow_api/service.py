"""The MLflow tracking calls, answered from ``TrackedRuns``: each takes a request's protobuf JSON
(a dict) and returns the answer's. Runs created here are tracked runs of source ``mlflow``.

MLflow lets a script keep logging to a run it marked FINISHED; Ontolab does not (a run that
ended takes nothing more: 409 INVALID_STATE, "start a new run"), so a finished run's results
stay what they were when it ended.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

from server.errors import MlflowApiError, MlflowNotFound, NotFoundError
from server.interop.mlflow_api import filters, messages, search
from server.interop.mlflow_api.experiments import Experiments
from server.interop.mlflow_api.messages import (
    FROM_MLFLOW_STATUS,
    RUN_NAME_TAG,
    TO_MLFLOW_STATUS,
    USER_TAG,
    int64,
    text,
)
from server.store.base import Store
from server.tracking import run_index

if TYPE_CHECKING:
    from executor.contract import ArtifactRef
    from server.runs.tracked import TrackedRun, TrackedRuns

Json = dict[str, Any]
_SOURCE = "mlflow"


def artifact_uri(experiment_id: str, run_id: str) -> str:
    """Where MLflow's client puts a run's files: through this server (``mlflow-artifacts:``)."""
    return f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"


#: Refuses (PermissionDenied) unless the caller may read every experiment given; the second
#: argument names the request in the message (``server.auth.visibility.require_visible``).
Require = Callable[[Iterable[str], str], None]


class MlflowTracking:
    """MLflow's tracking service over one platform's store and tracked runs.

    ``visible``: the experiments the caller may read (auth on, experiment grants only), which
    its searches are cut to; ``require`` refuses a request naming any other. Both None: every
    experiment (auth off, a global role). The routes' rules check the rest before a call."""

    def __init__(
        self,
        store: Store,
        tracked: TrackedRuns,
        started_by: str | None = None,
        visible: frozenset[str] | None = None,
        require: Require | None = None,
    ) -> None:
        self._store = store
        self._tracked = tracked
        self._started_by = started_by  # the caller's agent IRI, for the runs it creates
        self._visible = visible
        self._require = require
        self.experiments = Experiments(store, tracked)

    def _readable(self, experiment_ids: Iterable[str], what: str) -> None:
        """Refuse ``what`` unless the caller may read each of ``experiment_ids``; checked before
        an id is looked up, so a refusal never tells whether the experiment exists."""
        if self._visible is not None and self._require is not None:
            self._require(experiment_ids, what)

    # --- experiments --------------------------------------------------------------------

    def create_experiment(self, body: Mapping[str, Any]) -> Json:
        name = text(body, "name")
        assert name is not None
        return {"experiment_id": self.experiments.create(name)}

    def get_experiment(self, body: Mapping[str, Any]) -> Json:
        experiment_id = text(body, "experiment_id")
        assert experiment_id is not None
        return {"experiment": self.experiments.get(experiment_id).to_json()}

    def get_experiment_by_name(self, body: Mapping[str, Any]) -> Json:
        name = text(body, "experiment_name")
        assert name is not None
        what = f"experiments/get-by-name {name!r}"
        try:
            found = self.experiments.by_name(name)
        except MlflowNotFound:
            self._readable([name], what)  # no grant reaches a name that names nothing
            raise
        self._readable([found.experiment_id], what)
        return {"experiment": found.to_json()}

    def search_experiments(self, body: Mapping[str, Any]) -> Json:
        found = self.experiments.search(
            text(body, "filter", required=False), text(body, "view_type", required=False)
        )
        if self._visible is not None:
            found = [e for e in found if e.experiment_id in self._visible]
        offset = search.read_page_token(text(body, "page_token", required=False))
        limit = search.max_results(int64(body.get("max_results"), "max_results"))
        page = found[offset : offset + limit]
        answer: Json = {"experiments": [e.to_json() for e in page]}
        if offset + limit < len(found):
            answer["next_page_token"] = search.page_token(offset + limit)
        return answer

    # --- runs ---------------------------------------------------------------------------

    def create_run(self, body: Mapping[str, Any]) -> Json:
        experiment_id = text(body, "experiment_id", required=False) or "0"
        identifier = self.experiments.resolve(experiment_id)
        tags = messages.key_values(body.get("tags"), "tags")
        user = text(body, "user_id", required=False)
        if user and USER_TAG not in tags:
            tags[USER_TAG] = user
        run_id = uuid.uuid4().hex  # MLflow's form: 32 hex digits
        # MLflow names every run (the client shows the name); so does this layer, from its id
        name = text(body, "run_name", required=False) or tags.get(RUN_NAME_TAG)
        name = name or f"run-{run_id[:8]}"
        tags[RUN_NAME_TAG] = name
        started = int64(body.get("start_time"), "start_time")
        run = self._tracked.start(
            identifier,
            name=name,
            run_id=run_id,
            started_at=messages.iso(started),
            tags=tags,
            source=_SOURCE,
            started_by=self._started_by,
        )
        return {"run": self._run_json(run)}

    def get_run(self, body: Mapping[str, Any]) -> Json:
        """A tracked run, or a run the platform executed (read-only through this layer)."""
        run_id = messages.run_id_of(body)
        try:
            run = self._tracked.get(run_id)
        except NotFoundError:
            native = _native_view(self._store, run_id)
            if native is None:
                raise self._missing(run_id) from None
            return {"run": native.answer}
        return {"run": self._run_json(run)}

    def update_run(self, body: Mapping[str, Any]) -> Json:
        run_id = messages.run_id_of(body)
        run = self._run(run_id)
        name = text(body, "run_name", required=False)
        if name and name != _run_name(run):
            run = self._tracked.log(run_id, tags={RUN_NAME_TAG: name})
        status = text(body, "status", required=False)
        if status is not None:
            run = self._set_status(run, status, int64(body.get("end_time"), "end_time"))
        return {"run_info": messages.run_info(run, run.experiment_id, self._uri(run))}

    def _set_status(self, run: TrackedRun, status: str, end_time: int | None) -> TrackedRun:
        wanted = FROM_MLFLOW_STATUS.get(status)
        if wanted is None:
            raise MlflowApiError(
                f"status {status!r} is not an MLflow run status; use one of "
                f"{', '.join(FROM_MLFLOW_STATUS)}"
            )
        if wanted == "running":
            if run.ended:
                raise MlflowApiError(
                    f"run {run.run_id} ended ({TO_MLFLOW_STATUS[run.status]}) and cannot run "
                    "again; start a new run"
                )
            return run
        ended_at = messages.iso(end_time if end_time is not None else _now_ms())
        return self._tracked.end(run.run_id, wanted, ended_at)

    def delete_run(self, body: Mapping[str, Any]) -> Json:
        run_id = messages.run_id_of(body)
        self._run(run_id)
        self._tracked.delete(run_id)
        return {}

    def search_runs(self, body: Mapping[str, Any]) -> Json:
        ids = body.get("experiment_ids") or []
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise MlflowApiError("experiment_ids must be a list of experiment id strings")
        self._readable(ids, "runs/search")  # as MLflow's basic-auth: each one, or refused
        order = body.get("order_by")
        if isinstance(order, str):
            order = [order]
        if order is not None and not isinstance(order, list):
            raise MlflowApiError('order_by must be a list such as ["metrics.acc DESC"]')
        query = search.RunSearch(
            experiment_ids=[self.experiments.resolve(i) for i in ids],
            comparisons=filters.parse_filter(text(body, "filter", required=False)),
            order=filters.parse_order_by(order),
            view_type=text(body, "run_view_type", required=False) or "ACTIVE_ONLY",
            max_results=search.max_results(int64(body.get("max_results"), "max_results")),
            offset=search.read_page_token(text(body, "page_token", required=False)),
        )
        runs, token = search.find(self._store, query, self._view)
        answer: Json = {"runs": runs}
        if token:
            answer["next_page_token"] = token
        return answer

    def search_logged_models(self, body: Mapping[str, Any]) -> Json:
        """MLflow 3's logged models: this layer keeps none (``logged-models/create`` is not
        supported), so every search is empty."""
        return {"models": []}

    # --- logging ------------------------------------------------------------------------

    def log_batch(self, body: Mapping[str, Any]) -> Json:
        run_id = messages.run_id_of(body)
        metrics = body.get("metrics") or []
        if not isinstance(metrics, list):
            raise MlflowApiError("'metrics' must be a list of {key, value, timestamp, step}")
        now = _now_ms()
        self._tracked.log(
            run_id,
            params=messages.key_values(body.get("params"), "params"),
            metrics=[messages.metric_point(m, now) for m in metrics],
            tags=messages.key_values(body.get("tags"), "tags"),
        )
        return {}

    def log_metric(self, body: Mapping[str, Any]) -> Json:
        run_id = messages.run_id_of(body)
        self._tracked.log(run_id, metrics=[messages.metric_point(body, _now_ms())])
        return {}

    def log_param(self, body: Mapping[str, Any]) -> Json:
        run_id = messages.run_id_of(body)
        params = messages.key_values([{"key": body.get("key"), "value": body.get("value")}], "")
        self._tracked.log(run_id, params=params)
        return {}

    def set_tag(self, body: Mapping[str, Any]) -> Json:
        run_id = messages.run_id_of(body)
        tags = messages.key_values([{"key": body.get("key"), "value": body.get("value")}], "")
        self._tracked.log(run_id, tags=tags)
        return {}

    def metric_history(self, body: Mapping[str, Any]) -> Json:
        run = self._run(messages.run_id_of(body))
        key = text(body, "metric_key")
        assert key is not None
        points = run.metrics.get(key, [])
        offset = search.read_page_token(text(body, "page_token", required=False))
        wanted = int64(body.get("max_results"), "max_results")
        limit = search.max_results(wanted) if wanted is not None else max(len(points), 1)
        answer: Json = {"metrics": [messages.metric_json(p) for p in points[offset:][:limit]]}
        if offset + limit < len(points):
            answer["next_page_token"] = search.page_token(offset + limit)
        return answer

    # --- artifacts ----------------------------------------------------------------------

    def put_artifact(self, run_id: str, path: str, data: IO[bytes]) -> ArtifactRef:
        self._run(run_id)
        return self._tracked.log_artifact(run_id, path, data)

    def artifact(self, run_id: str, path: str) -> ArtifactRef:
        self._run(run_id)
        try:
            return self._tracked.artifact(run_id, path)
        except NotFoundError as missing:
            raise MlflowNotFound(
                f"run {run_id} has no artifact {path!r}; list them with mlflow.artifacts."
                "list_artifacts or MlflowClient().list_artifacts"
            ) from missing

    def list_artifacts(self, run_id: str, path: str) -> list[Json]:
        """The files and folders right under ``path`` in the run's files (MLflow's FileInfo,
        paths relative to ``path``); [] when ``path`` is a file or holds nothing."""
        self._run(run_id)
        folder = path.strip("/")
        prefix = f"{folder}/" if folder else ""
        entries: dict[str, Json] = {}
        for name, ref in self._tracked.list_artifacts(run_id, prefix):
            head, _, rest = name[len(prefix) :].partition("/")
            if rest:
                entries.setdefault(head, {"path": head, "is_dir": True})
            else:
                entries[head] = {"path": head, "is_dir": False, "file_size": ref.size}
        return [entries[key] for key in sorted(entries)]

    # --- reading runs -------------------------------------------------------------------

    def _run(self, run_id: str) -> TrackedRun:
        try:
            return self._tracked.get(run_id)
        except NotFoundError as missing:
            raise self._missing(run_id) from missing

    @staticmethod
    def _missing(run_id: str) -> MlflowNotFound:
        return MlflowNotFound(
            f"no run with id {run_id!r}; start one with mlflow.start_run, or find runs with "
            "mlflow.search_runs"
        )

    def _uri(self, run: TrackedRun) -> str:
        return artifact_uri(run.experiment_id, run.run_id)

    def _run_json(self, run: TrackedRun) -> Json:
        return messages.run_json(run, run.experiment_id, self._uri(run))

    def _view(self, run_id: str) -> search.RunView | None:
        """A run the store handed to a search: tracked, or native (read from the run list)."""
        try:
            run = self._tracked.get(run_id)
        except NotFoundError:
            return _native_view(self._store, run_id)
        answer = self._run_json(run)
        info = answer["info"]
        return search.RunView(
            metrics={key: point.value for key, point in run.latest().items()},
            params=dict(run.params),
            tags={pair["key"]: pair["value"] for pair in answer["data"]["tags"]},
            attributes={k: v for k, v in info.items() if k != "run_uuid"},
            answer=answer,
        )


def _run_name(run: TrackedRun) -> str:
    return run.tags.get(RUN_NAME_TAG) or run.name or ""


def _now_ms() -> int:
    return int(time.time() * 1000)


def _native_view(store: Store, run_id: str) -> search.RunView | None:
    """A run the platform executed, as MLflow's Run: its metrics (bare and ``STEP.NAME``) and
    hyperparameters; read-only through this layer."""
    found = run_index.summaries(store, [run_id])
    if not found:
        return None
    summary = found[0]
    metrics = {k: float(v) for k, v in summary.metrics.items() if _is_number(v)}
    params = {k: str(v) for k, v in summary.params.items()}
    info = {
        "run_id": summary.run_id,
        "run_uuid": summary.run_id,
        "run_name": summary.run_id,
        "experiment_id": summary.experiment,
        "user_id": "",
        "status": TO_MLFLOW_STATUS.get(summary.status, "FAILED"),
        "start_time": messages.millis(str(summary.started)),
        "artifact_uri": artifact_uri(summary.experiment, summary.run_id),
        "lifecycle_stage": "active",
    }
    if summary.ended:
        info["end_time"] = messages.millis(str(summary.ended))
    answer = {
        "info": info,
        "data": {
            "metrics": [
                {"key": k, "value": messages.number(v), "timestamp": 0, "step": 0}
                for k, v in metrics.items()
            ],
            "params": messages.pairs(params),
            "tags": [],
        },
        "inputs": {},
        "outputs": {},
    }
    attributes = {k: v for k, v in info.items() if k != "run_uuid"}
    return search.RunView(metrics, params, {}, attributes, answer)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
