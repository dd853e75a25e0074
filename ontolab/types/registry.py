"""Datasets, registered models, deployments, predictions and named queries as the API answers
them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ontolab.types.base import build as _build
from ontolab.types.base import many as _many


@dataclass(frozen=True)
class DatasetVersion:
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
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatasetVersion:
        return _build(cls, data)

    @property
    def source(self) -> str:
        """The ``ol:source`` that reads exactly this version (``dataset:NAME@N``)."""
        return f"dataset:{self.name}@{self.number}"


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    versions: int
    updated: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatasetSummary:
        return _build(cls, data)


@dataclass(frozen=True)
class ModelVersion:
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
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelVersion:
        return _build(cls, data)


@dataclass(frozen=True)
class ModelSummary:
    name: str
    task: str
    latest_version: int | None
    versions: int
    aliases: dict[str, int] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelSummary:
        return _build(cls, data)


@dataclass(frozen=True)
class Model:
    """A registered model with every version and its aliases (alias → version)."""

    name: str
    task: str
    latest_version: int | None
    aliases: dict[str, int]
    versions: list[ModelVersion]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        return _build(cls, data, versions=_many(ModelVersion, data.get("versions")))


@dataclass(frozen=True)
class AliasChange:
    """An alias set or moved (``previous`` is the version it left; ``compared`` the gate's
    numbers)."""

    model: str
    alias: str
    version: int
    previous: int | None = None
    gated: bool = False
    compared: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AliasChange:
        return _build(cls, data)


@dataclass(frozen=True)
class Deployment:
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
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        return _build(cls, data)


@dataclass(frozen=True)
class Prediction:
    """Predictions (and, for classifiers, probabilities per class) with the model version."""

    predictions: list[Any]
    model: dict[str, Any]
    probabilities: list[list[float]] | None = None
    classes: list[Any] | None = None
    request_id: str | None = None  # a deployment's answer: the id its prediction log keeps
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Prediction:
        return _build(cls, data)


@dataclass(frozen=True)
class NamedQuery:
    """A query of ``ontology/queries/`` with its typed parameters."""

    name: str
    description: str
    parameters: list[dict[str, str]]
    text: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NamedQuery:
        return _build(cls, data)
