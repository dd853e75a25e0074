"""What an MLflow store holds, as neutral values: every reader produces these, the writer
consumes them. Pure: no I/O, no MLflow.

Times are MLflow's: milliseconds since the epoch. Statuses are MLflow's names (``FINISHED``,
``FAILED``, ``KILLED``, ``RUNNING``, ``SCHEDULED``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

#: MLflow's run status numbers (the file store writes numbers, the database names).
RUN_STATUS_NAMES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


@dataclass(frozen=True)
class MlflowExperiment:
    experiment_id: str
    name: str
    lifecycle_stage: str = "active"
    creation_time: int | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MlflowPoint:
    """One logged value of a metric."""

    value: float
    timestamp: int
    step: int


@dataclass(frozen=True)
class MlflowArtifact:
    """One artifact file: its path in the run (posix) and where its bytes are on this disk.

    ``refused`` names why the file is not read (a path escaping the source); ``file`` is then
    None.
    """

    path: str
    file: Path | None
    refused: str | None = None


@dataclass
class MlflowRun:
    run_id: str
    experiment_id: str
    name: str | None
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str = "active"
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, list[MlflowPoint]] = field(default_factory=dict)
    artifacts: list[MlflowArtifact] = field(default_factory=list)
    #: MLflow 3 logged models this run produced (``source_run_id``): model id (``m-...``) ->
    #: the files of the logged model's own artifact folder (not among the run's artifacts).
    logged_models: dict[str, list[MlflowArtifact]] = field(default_factory=dict)

    @property
    def metric_points(self) -> int:
        return sum(len(points) for points in self.metrics.values())


@dataclass(frozen=True)
class MlflowModelVersion:
    name: str
    version: int
    run_id: str | None
    source: str
    creation_time: int | None = None

    @classmethod
    def from_meta(cls, name: str, meta: Mapping[str, Any]) -> MlflowModelVersion:
        """A version of model ``name`` from its metadata as MLflow writes it (a file store's
        ``meta.yaml``, an export's ``model.json`` entry)."""
        created = meta.get("creation_timestamp")
        return cls(
            name,
            int(meta["version"]),
            meta.get("run_id"),
            str(meta.get("source") or ""),
            int(created) if created is not None else None,
        )


@dataclass
class MlflowModel:
    """A registered model with its versions and aliases (alias -> version number)."""

    name: str
    description: str | None = None
    versions: list[MlflowModelVersion] = field(default_factory=list)
    aliases: dict[str, int] = field(default_factory=dict)


class MlflowSource(Protocol):
    """One MLflow store opened for reading. Implementers read lazily (``runs`` one at a
    time, so a store of any size fits in memory) and never write to the source."""

    kind: str  # "file store" | "sqlite" | "export-import"
    location: Path

    def experiments(self) -> list[MlflowExperiment]: ...

    def runs(self) -> Iterator[MlflowRun]: ...

    def models(self) -> list[MlflowModel]: ...

    def close(self) -> None: ...
