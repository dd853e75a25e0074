"""The registry's value types: a model version, an alias, everything under one model name, the
outcome of an alias change; the names and IRIs they go by. Pure: no store, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from rdflib import URIRef

from server.errors import NotFoundError, RegistryInputError
from server.graph.namespaces import ID

MODEL_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,127}")
ALIAS_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
PRIMARY_METRIC = {"classification": "accuracy", "regression": "r2"}
GATED_ALIASES = frozenset({"champion"})  # moving these always goes through the gate
NOT_VALIDATED = "not validated"


def model_iri(name: str) -> URIRef:
    """A registered model; also the name of the graph that holds it."""
    return URIRef(f"{ID}model/{quote(name, safe='-_.~')}")


def version_iri(name: str, number: int) -> URIRef:
    return URIRef(f"{model_iri(name)}/version/{number}")


def history_iri(name: str) -> URIRef:
    """The graph of a model's history: alias changes, promotion decisions, deployment switches.

    Apart from the model's own graph, which is rewritten whole on every change; it only grows."""
    return URIRef(f"{model_iri(name)}/history")


def alias_iri(name: str, alias: str) -> URIRef:
    return URIRef(f"{model_iri(name)}/alias/{quote(alias, safe='-_.~')}")


@dataclass(frozen=True)
class ModelVersion:
    """One registered model artifact."""

    name: str
    number: int
    run_id: str
    artifact: str  # IRI of the run's model output
    sha256: str
    created: str  # ISO 8601
    passed: bool
    note: str
    primary_metric: str | None = None
    primary_value: float | None = None
    higher_is_better: bool | None = None  # of the primary metric, from the ontology
    evaluations: tuple[str, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)

    def to_json(self, aliases: list[str] | None = None) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.number,
            "run_id": self.run_id,
            "artifact": self.artifact,
            "sha256": self.sha256,
            "created": self.created,
            "passed_validation": self.passed,
            "validation_note": self.note,
            "primary_metric": self.primary_metric,
            "primary_value": self.primary_value,
            "metrics": self.metrics,
            "aliases": aliases or [],
        }


@dataclass(frozen=True)
class Alias:
    name: str
    version: int
    assigned: str  # ISO 8601


@dataclass
class ModelEntry:
    """Everything the registry holds under one model name."""

    name: str
    task: str
    versions: list[ModelVersion] = field(default_factory=list)
    aliases: dict[str, Alias] = field(default_factory=dict)

    @property
    def latest(self) -> ModelVersion:
        return self.versions[-1]

    def version(self, number: int) -> ModelVersion:
        for version in self.versions:
            if version.number == number:
                return version
        raise NotFoundError(
            f"model {self.name!r} has no version {number}; it has versions {numbers(self.versions)}"
        )

    def alias(self, alias: str) -> Alias:
        found = self.aliases.get(alias)
        if found is None:
            have = ", ".join(sorted(self.aliases)) or "none yet"
            raise NotFoundError(
                f"model {self.name!r} has no alias {alias!r} (its aliases: {have}); "
                f"set one with PUT /api/models/{self.name}/aliases/{alias}"
            )
        return found

    def aliases_of(self, number: int) -> list[str]:
        return sorted(a.name for a in self.aliases.values() if a.version == number)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "task": self.task,
            "latest_version": self.latest.number if self.versions else None,
            "aliases": {a.name: a.version for a in sorted(self.aliases.values(), key=_by_name)},
            "versions": [v.to_json(self.aliases_of(v.number)) for v in self.versions],
        }


@dataclass(frozen=True)
class AliasChange:
    """The outcome of setting, moving or promoting an alias."""

    model: str
    alias: str
    version: int
    previous: int | None
    gated: bool
    compared: dict[str, Any] | None = None
    change: str | None = None  # the ol:AliasChange recorded; None when nothing changed
    switches: tuple[dict[str, Any], ...] = ()  # the deployments that followed the alias

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "alias": self.alias,
            "version": self.version,
            "previous": self.previous,
            "gated": self.gated,
            "compared": self.compared,
            "change": self.change,
            "switches": list(self.switches),
        }


def check_name(name: str) -> None:
    """Raise RegistryInputError unless ``name`` is a model name."""
    if not MODEL_NAME.fullmatch(name):
        raise RegistryInputError(
            f"{name!r} is not a model name; names match [a-z0-9][a-z0-9_.-]* "
            "(the ol:modelName of a build step)"
        )


def check_alias(alias: str) -> None:
    """Raise RegistryInputError unless ``alias`` is an alias name."""
    if not ALIAS_NAME.fullmatch(alias):
        raise RegistryInputError(
            f"{alias!r} is not an alias name; use a lower-case name starting with a letter, "
            "such as champion or challenger ([a-z][a-z0-9_.-]*)"
        )


def number(value: float | None) -> str:
    """A metric value as messages show it."""
    return "n/a" if value is None else f"{value:.4f}"


def numbers(versions: list[ModelVersion]) -> str:
    """Version numbers as messages list them."""
    return ", ".join(str(v.number) for v in versions) or "none"


def _by_name(alias: Alias) -> str:
    return alias.name
