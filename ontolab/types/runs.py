"""Experiments and runs as the API answers them: versions, runs, steps, metrics, artifacts,
comparisons, leaderboards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ontolab.frames import Table
from ontolab.types.base import Record


@dataclass(frozen=True)
class ExperimentVersion(Record):
    """One stored version of an experiment definition."""

    identifier: str
    version: int
    iri: str = ""
    experiment: str = ""
    content_hash: str = ""
    created: str = ""
    created_new_version: bool | None = None
    turtle: str | None = None


@dataclass(frozen=True)
class ExperimentSummary(Record):
    """An experiment as the list shows it: its newest version number."""

    identifier: str
    versions: int
    task: str = ""
    updated: str = ""
    label: str | None = None


@dataclass(frozen=True)
class Validation(Record):
    """A definition checked (SHACL) and planned without being stored."""

    valid: bool
    identifier: str
    task: str
    steps: list[dict[str, Any]]
    waves: list[list[str]]
    reasoning: dict[str, Any] | None = None


@dataclass(frozen=True)
class StartedRun(Record):
    """What ``POST /api/runs`` answers: the run exists and runs."""

    run_id: str
    status: str
    experiment: str
    version: int
    steps: list[dict[str, Any]] = field(default_factory=list)
    resumes: str | None = None


@dataclass(frozen=True)
class StepRun(Record):
    """One step of a run: its state, timings and cache use."""

    step_id: str
    status: str
    phase: str | None = None
    step_run: str | None = None
    started: str | None = None
    ended: str | None = None
    duration: float | None = None
    cache_hit: bool = False
    reused_from: str | None = None
    worker: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    depends_on: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Metric(Record):
    """One evaluation (``mls:ModelEvaluation``) of a run's step."""

    step_id: str
    metric: str
    value: float
    model: str | None = None


@dataclass(frozen=True)
class HyperParameter(Record):
    """A hyperparameter setting a model was fitted with."""

    step_id: str
    name: str
    value: Any


@dataclass(frozen=True)
class Artifact(Record):
    """A content-addressed file a step wrote."""

    step_id: str
    artifact: str
    sha256: str
    size: int
    kind: str = ""
    media_type: str = ""


@dataclass(frozen=True)
class RunDetails(Record):
    """A run with its steps, metrics, hyperparameters, artifacts and models."""

    run_id: str
    status: str
    identifier: str
    version: int
    started: str | None = None
    ended: str | None = None
    provisioner: str | None = None
    error: str | None = None
    resumes: str | None = None
    resumed_by: str | None = None
    steps: list[StepRun] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    hyperparameters: list[HyperParameter] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    _nested = {
        "steps": StepRun,
        "metrics": Metric,
        "hyperparameters": HyperParameter,
        "artifacts": Artifact,
    }

    @property
    def experiment(self) -> str:
        """The experiment's identifier (the API calls it ``identifier`` here)."""
        return self.identifier

    @property
    def running(self) -> bool:
        return self.status == "running"

    def metric(self, name: str, step_id: str | None = None) -> float:
        """The value of metric ``name`` (of ``step_id`` when several steps measured it)."""
        found = [m.value for m in self.metrics if m.metric == name and step_id in (None, m.step_id)]
        if len(found) != 1:
            steps = sorted({m.step_id for m in self.metrics if m.metric == name})
            raise KeyError(
                f"run {self.run_id} has {len(found)} values of {name!r} (steps: "
                f"{', '.join(steps) or 'none'}); name the step: metric({name!r}, step_id=...)"
            )
        return found[0]


@dataclass(frozen=True)
class RunSummary(Record):
    """A run as the list and compare show it: metrics and params as ``NAME``/``STEP.NAME``."""

    run_id: str
    experiment: str
    version: int
    status: str
    started: str | None = None
    ended: str | None = None
    number: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    started_by: str | None = None  # the user who started it (auth on)
    trigger: str | None = None  # the IRI of the trigger that fired it


def _summary_rows(runs: list[RunSummary]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        row = {k: getattr(run, k) for k in ("run_id", "number", "experiment", "version")}
        row |= {"status": run.status, "started": run.started, "ended": run.ended}
        row |= {f"metrics.{k}": v for k, v in run.metrics.items()}
        row |= {f"params.{k}": v for k, v in run.params.items()}
        rows.append(row)
    return rows


@dataclass(frozen=True)
class RunList(Record):
    """A page of runs; ``total`` counts every match."""

    total: int
    offset: int
    runs: list[RunSummary]

    _nested = {"runs": RunSummary}

    def __iter__(self) -> Any:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)

    def to_pandas(self) -> Any:
        """The page as a DataFrame: one row per run, ``metrics.X`` and ``params.X`` columns."""
        return Table.of(_summary_rows(self.runs)).to_pandas()


@dataclass(frozen=True)
class Comparison(Record):
    """Runs side by side: the metrics and params they have, the best run(s) per metric."""

    runs: list[RunSummary]
    metrics: list[str]
    params: list[str]
    differing_params: list[str]
    best: dict[str, list[str]]

    _nested = {"runs": RunSummary}

    def to_pandas(self) -> Any:
        """The runs as a DataFrame, one row per run."""
        return Table.of(_summary_rows(self.runs)).to_pandas()


@dataclass(frozen=True)
class LeaderboardEntry(Record):
    """One run on an experiment's leaderboard, best first."""

    run_id: str
    value: float
    run: str = ""
