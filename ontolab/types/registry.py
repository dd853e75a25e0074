"""Datasets, registered models, deployments, predictions and named queries as the API answers
them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ontolab.types.base import Record


@dataclass(frozen=True)
class DatasetVersion(Record):
    """One uploaded version of a dataset; ``source`` is what an extract step names."""

    name: str
    number: int
    sha256: str
    size: int
    rows: int
    columns: int
    iri: str = ""
    created: str = ""
    format: str = ""
    profile_error: str | None = None

    @property
    def source(self) -> str:
        """The ``ol:source`` that reads exactly this version (``dataset:NAME@N``)."""
        return f"dataset:{self.name}@{self.number}"


@dataclass(frozen=True)
class DatasetSummary(Record):
    name: str
    versions: int
    updated: str = ""


@dataclass(frozen=True)
class ModelVersion(Record):
    """A registered model version: the run that built it, its metrics, validation, aliases."""

    name: str
    version: int
    run_id: str = ""
    artifact: str = ""
    sha256: str = ""
    created: str = ""
    passed_validation: bool = False
    validation_note: str | None = None
    primary_metric: str | None = None
    primary_value: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModelSummary(Record):
    name: str
    task: str
    latest_version: int | None
    versions: int
    aliases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Model(Record):
    """A registered model with every version and its aliases (alias → version)."""

    name: str
    task: str
    latest_version: int | None
    aliases: dict[str, int]
    versions: list[ModelVersion]

    _nested = {"versions": ModelVersion}


@dataclass(frozen=True)
class AliasChange(Record):
    """An alias set or moved (``previous`` is the version it left; ``compared`` the gate's
    numbers)."""

    model: str
    alias: str
    version: int
    previous: int | None = None
    gated: bool = False
    compared: dict[str, Any] | None = None


@dataclass(frozen=True)
class Deployment(Record):
    """A model server started by the platform; ``url`` answers ``/predict``."""

    id: str
    model: str
    version: int
    status: str
    url: str
    port: int
    alias: str | None = None
    sha256: str = ""
    pid: int | None = None
    desired_state: str = ""
    started_at: str = ""
    ended_at: str | None = None
    started_by: str = ""
    iri: str = ""
    prediction_log: dict[str, Any] | None = None  # {"enabled", "max_mb", "files"}


@dataclass(frozen=True)
class Prediction(Record):
    """Predictions (and, for classifiers, probabilities per class) with the model version."""

    predictions: list[Any]
    model: dict[str, Any]
    probabilities: list[list[float]] | None = None
    classes: list[Any] | None = None
    request_id: str | None = None  # a deployment's answer: the id its prediction log keeps


@dataclass(frozen=True)
class NamedQuery(Record):
    """A query of ``ontology/queries/`` with its typed parameters."""

    name: str
    description: str
    parameters: list[dict[str, str]]
    text: str
