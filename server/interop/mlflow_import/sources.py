"""Which kind of MLflow store a SOURCE path is, and its reader: one closed name -> reader
table, checked before the platform is opened, so a bad SOURCE writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from server.errors import MlflowImportError
from server.interop.mlflow_import.exported import ExportSource, is_export
from server.interop.mlflow_import.filestore import FileStoreSource, is_file_store
from server.interop.mlflow_import.model import MlflowSource
from server.interop.mlflow_import.sqlite import SqliteSource, is_sqlite

Reader = Callable[[Path, Path | None], MlflowSource]

#: Tried in this order; the first whose test accepts the path reads it.
READERS: tuple[tuple[str, Callable[[Path], bool], Reader], ...] = (
    ("sqlite", is_sqlite, SqliteSource),
    ("file store", is_file_store, FileStoreSource),
    ("export-import", is_export, ExportSource),
)


def open_source(path: Path, artifacts: Path | None = None) -> MlflowSource:
    """The reader for ``path``: an ``mlflow.db``, an ``mlruns/`` folder (or one holding it),
    or a mlflow-export-import folder; anything else is refused with what was expected."""
    if not path.exists():
        raise MlflowImportError(f"{path} does not exist; give the path of an MLflow store")
    if artifacts is not None and not artifacts.is_dir():
        raise MlflowImportError(
            f"--artifacts {artifacts} is not a folder; give MLflow's artifact root"
        )
    if path.is_dir() and (path / "mlflow.db").is_file() and not is_file_store(path):
        path = path / "mlflow.db"
    for _, accepts, reader in READERS:
        if accepts(path):
            return reader(path, artifacts)
    raise MlflowImportError(
        f"{path} is not an MLflow store: expected an mlflow.db SQLite file, an mlruns/ folder "
        "(meta.yaml per experiment) or a folder written by mlflow-export-import "
        "(experiment.json, run.json, model.json); give one of those"
    )
