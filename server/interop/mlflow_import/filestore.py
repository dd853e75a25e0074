"""Reading an MLflow file store (``mlruns/``): ``meta.yaml`` per experiment and run, one file
per param and tag, one file per metric with a ``timestamp value step`` line per point, the
run's ``artifacts/`` folder, ``EXPERIMENT/models/m-ID/`` for MLflow 3 logged models (meta.yaml
naming their ``source_run_id``, files in ``artifacts/``), and ``models/NAME/`` for registered
models (``version-N/``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from server.errors import MlflowImportError
from server.interop.mlflow_import.model import (
    RUN_STATUS_NAMES,
    MlflowArtifact,
    MlflowExperiment,
    MlflowModel,
    MlflowModelVersion,
    MlflowPoint,
    MlflowRun,
)
from server.interop.mlflow_import.paths import local_path, run_artifacts

# Folders beside the experiments, and inside an experiment beside its runs.
_NOT_EXPERIMENTS = {"models", ".trash"}
_NOT_RUNS = {"tags", "models", "datasets", "traces"}


def is_file_store(path: Path) -> bool:
    """Whether ``path`` is (or holds) an ``mlruns/`` folder: experiment folders with meta.yaml."""
    root = store_root(path)
    return root is not None


def store_root(path: Path) -> Path | None:
    for candidate in (path, path / "mlruns"):
        if candidate.is_dir() and any(
            (child / "meta.yaml").is_file()
            for child in candidate.iterdir()
            if child.is_dir() and child.name not in _NOT_EXPERIMENTS
        ):
            return candidate
    return None


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MlflowImportError(
            f"cannot read {path}: {exc}; repair or remove that file and import again"
        ) from exc
    if not isinstance(data, dict):
        raise MlflowImportError(f"{path} is not an MLflow meta.yaml; repair or remove it")
    return data


class FileStoreSource:
    """An ``mlruns/`` folder, read lazily and never written."""

    kind = "file store"

    def __init__(self, path: Path, artifacts: Path | None = None) -> None:
        root = store_root(path)
        if root is None:
            raise MlflowImportError(f"{path} is not an MLflow file store (no mlruns/)")
        self.location = root.resolve()
        self._roots = [self.location] + ([artifacts.resolve()] if artifacts else [])
        self._artifacts = artifacts

    def _experiment_dirs(self) -> list[Path]:
        tops = [self.location, self.location / ".trash"]
        return sorted(
            child
            for top in tops
            if top.is_dir()
            for child in top.iterdir()
            if child.is_dir()
            and child.name not in _NOT_EXPERIMENTS
            and (child / "meta.yaml").is_file()
        )

    def experiments(self) -> list[MlflowExperiment]:
        found = []
        for folder in self._experiment_dirs():
            meta = read_yaml(folder / "meta.yaml")
            found.append(
                MlflowExperiment(
                    str(meta.get("experiment_id", folder.name)),
                    str(meta.get("name", folder.name)),
                    str(meta.get("lifecycle_stage") or "active"),
                    meta.get("creation_time"),
                    _key_files(folder / "tags"),
                )
            )
        return found

    def runs(self) -> Iterator[MlflowRun]:
        for folder in self._experiment_dirs():
            logged = self._logged_models(folder)
            for run_dir in sorted(folder.iterdir()):
                if run_dir.name in _NOT_RUNS or not (run_dir / "meta.yaml").is_file():
                    continue
                run = self._run(folder.name, run_dir)
                run.logged_models = logged.get(run.run_id, {})
                yield run

    def _logged_models(self, folder: Path) -> dict[str, dict[str, list[MlflowArtifact]]]:
        """An experiment's logged models (``models/m-ID/``) by source run -> model id -> files."""
        found: dict[str, dict[str, list[MlflowArtifact]]] = {}
        models = folder / "models"
        if not models.is_dir():
            return found
        for model_dir in sorted(models.iterdir()):
            if not (model_dir / "meta.yaml").is_file():
                continue
            meta = read_yaml(model_dir / "meta.yaml")
            run_id, model_id = meta.get("source_run_id"), meta.get("model_id") or model_dir.name
            if not run_id:
                continue  # logged outside a run: no run to hold it (its versions are lost)
            moved = None
            if self._artifacts is not None:
                moved = self._artifacts / folder.name / "models" / model_dir.name / "artifacts"
            candidates = [local_path(meta.get("artifact_location")), moved, model_dir / "artifacts"]
            files = run_artifacts(candidates, self._roots)
            found.setdefault(str(run_id), {})[str(model_id)] = files
        return found

    def _run(self, experiment_id: str, folder: Path) -> MlflowRun:
        meta = read_yaml(folder / "meta.yaml")
        tags = _key_files(folder / "tags")
        status = meta.get("status", 3)
        run = MlflowRun(
            run_id=str(meta.get("run_id") or meta.get("run_uuid") or folder.name),
            experiment_id=str(meta.get("experiment_id", experiment_id)),
            name=meta.get("run_name") or tags.get("mlflow.runName"),
            status=RUN_STATUS_NAMES.get(status, str(status)) if isinstance(status, int) else status,
            start_time=int(meta.get("start_time") or 0),
            end_time=meta.get("end_time"),
            lifecycle_stage=str(meta.get("lifecycle_stage") or "active"),
            params=_key_files(folder / "params"),
            tags=tags,
            metrics={key: _points(text) for key, text in _key_files(folder / "metrics").items()},
        )
        run.artifacts = run_artifacts(self._artifact_dirs(meta, folder), self._roots)
        return run

    def _artifact_dirs(self, meta: dict[str, Any], folder: Path) -> list[Path | None]:
        """Where the run's artifacts may be: its artifact_uri, MLflow's layout under
        ``--artifacts``, or the default folder in the store (a store copied from elsewhere)."""
        moved = None
        if self._artifacts is not None:
            moved = self._artifacts / folder.parent.name / folder.name / "artifacts"
        return [local_path(meta.get("artifact_uri")), moved, folder / "artifacts"]

    def models(self) -> list[MlflowModel]:
        folder = self.location / "models"
        if not folder.is_dir():
            return []
        return [_model(d) for d in sorted(folder.iterdir()) if (d / "meta.yaml").is_file()]

    def close(self) -> None:
        pass


def _model(folder: Path) -> MlflowModel:
    meta = read_yaml(folder / "meta.yaml")
    name = str(meta.get("name", folder.name))
    model = MlflowModel(name, meta.get("description"))
    for version_dir in sorted(folder.glob("version-*")):
        if (version_dir / "meta.yaml").is_file():
            version_meta = read_yaml(version_dir / "meta.yaml")
            model.versions.append(MlflowModelVersion.from_meta(name, version_meta))
    model.versions.sort(key=lambda v: v.version)
    aliases = meta.get("aliases") or _key_files(folder / "aliases")
    model.aliases = {str(alias): int(version) for alias, version in aliases.items()}
    return model


def _key_files(folder: Path) -> dict[str, str]:
    """One file per key (a key with ``/`` is a nested path), its text the value."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _points(text: str) -> list[MlflowPoint]:
    """A metric file's lines: ``timestamp value [step]`` (older stores have no step)."""
    points = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        step = int(fields[2]) if len(fields) > 2 else 0
        points.append(MlflowPoint(float(fields[1]), int(fields[0]), step))
    return points
