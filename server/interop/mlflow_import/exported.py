"""Reading a folder written by mlflow-export-import (``export-all``, ``export-experiments``,
``export-experiment``, ``export-models``, ``export-model``, ``export-run``).

Each object is a JSON file with ``system``, ``info`` and ``mlflow`` parts; the ``mlflow`` part
is MLflow's REST response: ``experiment.json`` (``experiment`` + the ``runs`` exported beside
it, one folder per run id), ``run.json`` (``info``, ``params``, ``metrics`` as key -> list of
``{value, timestamp, step}``, ``tags``; the files in ``artifacts/`` beside it) and
``model.json`` (``registered_model`` with its ``versions`` and ``aliases``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from server.errors import MlflowImportError
from server.interop.mlflow_import.model import (
    RUN_STATUS_NAMES,
    MlflowExperiment,
    MlflowModel,
    MlflowModelVersion,
    MlflowPoint,
    MlflowRun,
)
from server.interop.mlflow_import.paths import artifact_files, confined

MARKERS = ("experiment.json", "run.json", "model.json")
_MAX_DEPTH = 4  # export-all: DIR/experiments/ID/RUN/run.json


def is_export(path: Path) -> bool:
    """Whether ``path`` is a folder holding mlflow-export-import JSON files."""
    return path.is_dir() and bool(_find(path, MARKERS[:1]) or _find(path, MARKERS[1:]))


def _find(root: Path, names: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for depth in range(_MAX_DEPTH + 1):
        pattern = "/".join(["*"] * depth + ["{}"]) if depth else "{}"
        for name in names:
            found.extend(p for p in root.glob(pattern.format(name)) if p.is_file())
    return sorted(found)


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MlflowImportError(
            f"cannot read {path}: {exc}; export it again with mlflow-export-import"
        ) from exc
    body = data.get("mlflow") if isinstance(data, dict) else None
    if not isinstance(body, dict):
        raise MlflowImportError(
            f"{path} has no 'mlflow' part; it was not written by mlflow-export-import"
        )
    return body


class ExportSource:
    """A mlflow-export-import folder, read lazily and never written."""

    kind = "export-import"

    def __init__(self, path: Path, artifacts: Path | None = None) -> None:
        if not is_export(path):
            raise MlflowImportError(f"{path} holds no mlflow-export-import files")
        self.location = path.resolve()
        self._roots = [self.location]
        self._run_files = self._locate_runs()

    def _locate_runs(self) -> dict[str, Path]:
        """run id -> its run.json; a run exported twice (with its experiment and with a
        model version) is read once."""
        runs: dict[str, Path] = {}
        for path in _find(self.location, ("run.json",)):
            why = confined(path, self._roots)
            if why is not None:
                raise MlflowImportError(f"refused {why}; remove that link from the export")
            info = read_json(path).get("info") or {}
            runs.setdefault(str(info.get("run_id") or path.parent.name), path)
        return runs

    def experiments(self) -> list[MlflowExperiment]:
        found: dict[str, MlflowExperiment] = {}
        for path in _find(self.location, ("experiment.json",)):
            exp = read_json(path).get("experiment") or {}
            eid = str(exp.get("experiment_id", path.parent.name))
            found[eid] = MlflowExperiment(
                eid,
                str(exp.get("name", eid)),
                str(exp.get("lifecycle_stage") or "active"),
                exp.get("creation_time"),
                _pairs(exp.get("tags")),
            )
        for path in self._run_files.values():  # a run exported alone still has an experiment
            info = read_json(path).get("info") or {}
            eid = str(info.get("experiment_id", "0"))
            found.setdefault(eid, MlflowExperiment(eid, f"mlflow-experiment-{eid}"))
        return sorted(found.values(), key=lambda e: e.experiment_id)

    def runs(self) -> Iterator[MlflowRun]:
        for run_id, path in sorted(self._run_files.items()):
            yield self._run(run_id, path)

    def _run(self, run_id: str, path: Path) -> MlflowRun:
        body = read_json(path)
        info = body.get("info") or {}
        tags = _pairs(body.get("tags"))
        status = info.get("status", "FINISHED")
        run = MlflowRun(
            run_id=run_id,
            experiment_id=str(info.get("experiment_id", "0")),
            name=info.get("run_name") or tags.get("mlflow.runName"),
            status=RUN_STATUS_NAMES.get(status, str(status)) if isinstance(status, int) else status,
            start_time=int(info.get("start_time") or 0),
            end_time=info.get("end_time"),
            lifecycle_stage=str(info.get("lifecycle_stage") or "active"),
            params=_pairs(body.get("params")),
            tags=tags,
            metrics=_metrics(body.get("metrics")),
        )
        run.artifacts = artifact_files(path.parent / "artifacts", self._roots)
        return run

    def models(self) -> list[MlflowModel]:
        models = []
        for path in _find(self.location, ("model.json",)):
            body = read_json(path).get("registered_model") or {}
            name = str(body.get("name", path.parent.name))
            model = MlflowModel(name, body.get("description"))
            for v in body.get("versions") or []:
                model.versions.append(MlflowModelVersion.from_meta(name, v))
            model.versions.sort(key=lambda v: v.version)
            model.aliases = _aliases(body.get("aliases"))
            models.append(model)
        return models

    def close(self) -> None:
        pass


def _pairs(value: Any) -> dict[str, str]:
    """MLflow's key/value lists (``[{key, value}]``) or a plain mapping, as a mapping."""
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    if isinstance(value, list):
        return {str(item["key"]): str(item.get("value") or "") for item in value}
    return {}


def _metrics(value: Any) -> dict[str, list[MlflowPoint]]:
    if not isinstance(value, dict):
        return {}
    return {
        str(key): [
            MlflowPoint(
                _float(p.get("value")), int(p.get("timestamp") or 0), int(p.get("step") or 0)
            )
            for p in points
        ]
        for key, points in value.items()
    }


def _step(point: dict[str, Any]) -> int:
    return int(point.get("step") or 0)


def _float(value: Any) -> float:
    """A metric value; JSON has no NaN, so exporters write it as a string or null."""
    if value is None:
        return math.nan
    return float(value)


def _aliases(value: Any) -> dict[str, int]:
    if isinstance(value, dict):
        return {str(k): int(v) for k, v in value.items()}
    if isinstance(value, list):
        return {str(a["alias"]): int(a["version"]) for a in value}
    return {}
