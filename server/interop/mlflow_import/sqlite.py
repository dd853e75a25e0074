"""Reading an MLflow SQLite database (``mlflow.db``), opened read-only: the database is never
changed, not even its journal. A file that is not SQLite, or lacks MLflow's tables, is refused
before anything is written. Artifacts are read from a run's ``artifact_uri`` only when that is
a local path under the database's folder or under ``--artifacts DIR``; so are those of MLflow 3
logged models (table ``logged_models``: ``artifact_location``, ``source_run_id``)."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from server.errors import MlflowImportError
from server.interop.mlflow_import.model import (
    MlflowArtifact,
    MlflowExperiment,
    MlflowModel,
    MlflowModelVersion,
    MlflowPoint,
    MlflowRun,
)
from server.interop.mlflow_import.paths import local_path, run_artifacts

REQUIRED_TABLES = ("experiments", "runs", "params", "metrics", "tags")
MODEL_TABLES = ("registered_models", "model_versions", "registered_model_aliases")
SQLITE_MAGIC = b"SQLite format 3\x00"


def is_sqlite(path: Path) -> bool:
    """Whether ``path`` is meant as an MLflow database (by name or by its first bytes)."""
    if not path.is_file():
        return False
    if path.suffix in (".db", ".sqlite", ".sqlite3"):
        return True
    with path.open("rb") as file:
        return file.read(16) == SQLITE_MAGIC


class SqliteSource:
    """An ``mlflow.db`` opened with ``mode=ro``."""

    kind = "sqlite"

    def __init__(self, path: Path, artifacts: Path | None = None) -> None:
        self.location = path.resolve()
        self._roots = [self.location.parent] + ([artifacts.resolve()] if artifacts else [])
        self._artifacts = artifacts
        self._db = _open(self.location)
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            self._db.close()
            raise MlflowImportError(
                f"{path} is an SQLite database but not MLflow's: it has no table "
                f"{', '.join(missing)}; give the mlflow.db your tracking URI names "
                "(sqlite:///PATH)"
            )
        self._has_models = all(t in tables for t in MODEL_TABLES)
        self._has_experiment_tags = "experiment_tags" in tables
        self._has_logged_models = "logged_models" in tables

    def experiments(self) -> list[MlflowExperiment]:
        tags: dict[str, dict[str, str]] = {}
        if self._has_experiment_tags:
            for key, value, eid in self._db.execute(
                "SELECT key, value, experiment_id FROM experiment_tags"
            ):
                tags.setdefault(str(eid), {})[key] = value or ""
        return [
            MlflowExperiment(str(eid), name, stage or "active", created, tags.get(str(eid), {}))
            for eid, name, stage, created in self._db.execute(
                "SELECT experiment_id, name, lifecycle_stage, creation_time FROM experiments "
                "ORDER BY experiment_id"
            )
        ]

    def runs(self) -> Iterator[MlflowRun]:
        rows = self._db.execute(
            "SELECT run_uuid, experiment_id, name, status, start_time, end_time, "
            "lifecycle_stage, artifact_uri FROM runs ORDER BY experiment_id, start_time, run_uuid"
        ).fetchall()
        logged = self._logged_models()
        for rid, eid, name, status, start, end, stage, uri in rows:
            run = MlflowRun(
                str(rid),
                str(eid),
                name,
                status or "FINISHED",
                int(start or 0),
                end,
                stage or "active",
            )
            run.params = dict(self._pairs("params", rid))
            run.tags = {k: v or "" for k, v in self._pairs("tags", rid)}
            run.metrics = self._metrics(rid)
            run.artifacts = run_artifacts(self._artifact_dirs(uri, str(eid), str(rid)), self._roots)
            run.logged_models = logged.get(str(rid), {})
            yield run

    def _logged_models(self) -> dict[str, dict[str, list[MlflowArtifact]]]:
        """MLflow 3 logged models by source run -> model id -> the files of their folder."""
        found: dict[str, dict[str, list[MlflowArtifact]]] = {}
        if not self._has_logged_models:
            return found
        for model_id, eid, uri, run_id in self._db.execute(
            "SELECT model_id, experiment_id, artifact_location, source_run_id FROM logged_models "
            "WHERE source_run_id IS NOT NULL ORDER BY model_id"
        ):
            declared = local_path(uri)
            if declared is not None and not declared.is_absolute():
                declared = self.location.parent / declared
            moved = None
            if self._artifacts is not None:
                moved = self._artifacts / str(eid) / "models" / str(model_id) / "artifacts"
            files = run_artifacts([declared, moved], self._roots)
            found.setdefault(str(run_id), {})[str(model_id)] = files
        return found

    def _pairs(self, table: str, run_id: str) -> list[tuple[str, str]]:
        # the table name is one of two constants, never input
        return self._db.execute(
            f"SELECT key, value FROM {table} WHERE run_uuid = ? ORDER BY key", (run_id,)
        ).fetchall()

    def _metrics(self, run_id: str) -> dict[str, list[MlflowPoint]]:
        metrics: dict[str, list[MlflowPoint]] = {}
        # MLflow keeps no insertion order; its own get_metric_history orders the same way
        for key, value, timestamp, step, is_nan in self._db.execute(
            "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? "
            "ORDER BY key, timestamp, step, value",
            (run_id,),
        ):
            point = MlflowPoint(math.nan if is_nan else float(value), int(timestamp), int(step))
            metrics.setdefault(key, []).append(point)
        return metrics

    def _artifact_dirs(self, uri: str | None, experiment_id: str, run_id: str) -> list[Path | None]:
        """Where the run's artifacts may be: its artifact_uri (relative to the database's
        folder when relative), else MLflow's layout under ``--artifacts``."""
        declared = local_path(uri)
        if declared is not None and not declared.is_absolute():
            declared = self.location.parent / declared
        moved = self._artifacts / experiment_id / run_id / "artifacts" if self._artifacts else None
        return [declared, moved]

    def models(self) -> list[MlflowModel]:
        if not self._has_models:
            return []
        models = {
            name: MlflowModel(name, description)
            for name, description in self._db.execute(
                "SELECT name, description FROM registered_models ORDER BY name"
            )
        }
        for name, version, run_id, source, created in self._db.execute(
            "SELECT name, version, run_id, source, creation_time FROM model_versions "
            "ORDER BY name, version"
        ):
            if name in models:
                models[name].versions.append(
                    MlflowModelVersion(name, int(version), run_id, source or "", created)
                )
        for alias, version, name in self._db.execute(
            "SELECT alias, version, name FROM registered_model_aliases"
        ):
            if name in models:
                models[name].aliases[alias] = int(version)
        return list(models.values())

    def close(self) -> None:
        self._db.close()


def _open(path: Path) -> sqlite3.Connection:
    """The database read-only; anything that is not a readable SQLite file is refused."""
    uri = f"file:{quote(str(path))}?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise MlflowImportError(
            f"{path} is not a readable SQLite database ({exc}); give the mlflow.db your "
            "tracking URI names (sqlite:///PATH), or restore it from a backup"
        ) from exc
    return db
