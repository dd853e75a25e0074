"""The model registry: numbered versions per model name, aliases, and the promotion gate.

Every successful run registers each model it built as the next version (1, 2, …) of the
model's ``ol:modelName``. A failed or cancelled run registers nothing, even when only its
validate step failed: a model that missed its thresholds never becomes a version. A version
records its run, artifact IRI and sha256, creation time, its run's evaluations of it, the
primary metric (accuracy for classification, r2 for regression) and whether it passed its
validation thresholds: true when a validate step of the run consumed the model (the run
succeeded, so every such step met its thresholds); false with the note "not validated" when
no validate step did.

Aliases (``champion``, ``challenger``, any ``[a-z][a-z0-9_.-]*`` name) point at one version
each. Moving an alias through the promotion gate (``promote``; ``set_alias`` with
``gate=True``; always for ``champion``) is refused unless the version passed its validation
thresholds and, with ``must_beat_current``, unless its primary metric beats the alias's
current version (higher is better unless the ontology marks the measure otherwise).

Storage: one named graph per model name (``https://w3id.org/ontolab/id/model/NAME``, also
the IRI of the ``ol:RegisteredModel``), rewritten whole by one ``replace_graph`` per change,
under a lock so concurrent changes in this process do not lose each other's writes. Versions
and aliases are IRIs under it; metric values stay in the runs' graphs and are linked with
``ol:hasEvaluation``. All reads go through the ``registry_*`` named queries.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from server.errors import NotFoundError, PromotionRefused, RegistryInputError
from server.graph import queries
from server.graph.namespaces import (
    DCTERMS,
    ID,
    OL,
    PROV,
    RDF,
    evaluation_iri,
    measure_iri,
    output_iri,
    run_iri,
)
from server.graph.terms import python_value
from server.store.base import Row, Store, Triple
from server.tracking.artifacts import ArtifactStore
from server.tracking.records import RunRecord, StepRecord

if TYPE_CHECKING:
    from server.serving.loaded_model import LoadedModel, ModelCache

log = logging.getLogger("ontolab.registry")

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
            f"model {self.name!r} has no version {number}; it has versions "
            f"{_numbers(self.versions)}"
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

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "alias": self.alias,
            "version": self.version,
            "previous": self.previous,
            "gated": self.gated,
            "compared": self.compared,
        }


class Registry:
    """Model versions and aliases in the triplestore; loaded models cached by sha256.

    Thread-safe: changes to the registry are serialized by one lock; reads go straight to
    the store, whose reads are thread-safe.
    """

    def __init__(self, store: Store, artifacts: ArtifactStore, cache_size: int = 8) -> None:
        self._store = store
        self._artifacts = artifacts
        self._lock = threading.Lock()
        self._cache_size = cache_size
        self._cache: ModelCache | None = None

    # --- registering -------------------------------------------------------------------

    def on_run_finished(self, record: RunRecord) -> None:
        """``RunService.on_finished`` hook: register the run's models, never raise.

        An exception here would stop the run's bookkeeping, so it is logged instead.
        """
        try:
            self.register_run(record)
        except Exception:
            log.exception("registering the models of run %s failed", record.run_id)

    def register_run(self, record: RunRecord) -> list[ModelVersion]:
        """Register every model a successful run built; a run that did not succeed adds none."""
        if record.status != "succeeded":
            return []
        registered = []
        for build in sorted(record.steps.values(), key=lambda s: s.id):
            candidate = _candidate(record, build)
            if candidate is not None:
                registered.append(self._add_version(candidate, record.pipeline.task))
        return registered

    def _add_version(self, candidate: ModelVersion, task: str) -> ModelVersion:
        with self._lock:
            entry = self._read(candidate.name) or ModelEntry(candidate.name, task)
            number = entry.latest.number + 1 if entry.versions else 1
            version = replace(candidate, number=number)
            entry.versions.append(version)
            self._write(entry)
        log.info("registered %s version %d from run %s", version.name, number, version.run_id)
        return version

    def forget_runs(self, records: list[RunRecord]) -> list[str]:
        """Remove the versions these runs registered, and the aliases on them (for runs that
        are deleted with their experiment); returns them as ``NAME/vN``. A model left with
        no version is removed whole."""
        forgotten: list[str] = []
        for record in records:
            run_id = record.run_id
            names = {c.name for s in record.steps.values() if (c := _candidate(record, s))}
            for name in sorted(names):
                with self._lock:
                    forgotten += self._forget(name, run_id)
        return forgotten

    def _forget(self, name: str, run_id: str) -> list[str]:
        entry = self._read(name)
        if entry is None:
            return []
        gone = {v.number for v in entry.versions if v.run_id == run_id}
        if not gone:
            return []
        entry.versions = [v for v in entry.versions if v.number not in gone]
        entry.aliases = {k: a for k, a in entry.aliases.items() if a.version not in gone}
        if entry.versions:
            self._write(entry)
        else:
            self._store.delete_graph(model_iri(name))
        log.info("removed %s versions %s of deleted run %s", name, sorted(gone), run_id)
        return [f"{name}/v{number}" for number in sorted(gone)]

    # --- reading -----------------------------------------------------------------------

    def models(self) -> list[dict[str, Any]]:
        """Every model name with its task, newest version number, version count and aliases."""
        aliases: dict[str, dict[str, int]] = {}
        for row in queries.select(self._store, "registry_all_aliases"):
            aliases.setdefault(str(row["name"]), {})[str(row["alias"])] = _int(row["number"])
        return [
            {
                "name": str(row["name"]),
                "task": str(row["task"]),
                "latest_version": _int(row["latest"]),
                "versions": _int(row["versions"]),
                "aliases": aliases.get(str(row["name"]), {}),
            }
            for row in queries.select(self._store, "registry_models")
        ]

    def model(self, name: str) -> ModelEntry:
        """Everything registered under ``name``; NotFoundError naming the models there are."""
        _check_name(name)
        entry = self._read(name)
        if entry is None:
            known = ", ".join(m["name"] for m in self.models()) or "none yet"
            raise NotFoundError(
                f"no model named {name!r} is registered (registered: {known}); models are "
                "registered when a run that builds them succeeds"
            )
        return entry

    def resolve(
        self, name: str, version: int | None = None, alias: str | None = None
    ) -> ModelVersion:
        """The version asked for: by number, by alias, or else the newest.

        Reads no metric values (one query, two with an alias): this is on the predict path.
        """
        _check_name(name)
        entry = self._read(name, metrics=False, aliases=alias is not None)
        if entry is None:
            entry = self.model(name)  # raises NotFoundError naming the registered models
        if alias is not None:
            return entry.version(entry.alias(alias).version)
        return entry.version(version) if version is not None else entry.latest

    # --- aliases and the promotion gate -------------------------------------------------

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        gate: bool = False,
        must_beat_current: bool = False,
    ) -> AliasChange:
        """Point ``alias`` at ``version``; through the gate when asked or for ``champion``."""
        _check_alias(alias)
        gated = gate or must_beat_current or alias in GATED_ALIASES
        with self._lock:
            entry = self.model(name)
            candidate = entry.version(version)
            compared = _gate(entry, candidate, alias, must_beat_current) if gated else None
            previous = entry.aliases.get(alias)
            entry.aliases[alias] = Alias(alias, candidate.number, _now())
            self._write(entry)
        return AliasChange(
            name, alias, candidate.number, previous.version if previous else None, gated, compared
        )

    def promote(
        self, name: str, version: int, alias: str = "champion", *, must_beat_current: bool = False
    ) -> AliasChange:
        """Move ``alias`` to ``version`` through the promotion gate."""
        return self.set_alias(name, alias, version, gate=True, must_beat_current=must_beat_current)

    def delete_alias(self, name: str, alias: str) -> Alias:
        """Remove ``alias``; returns what it pointed at."""
        _check_alias(alias)
        with self._lock:
            entry = self.model(name)
            removed = entry.alias(alias)
            del entry.aliases[alias]
            self._write(entry)
        return removed

    # --- serving -----------------------------------------------------------------------

    def load(self, version: ModelVersion) -> LoadedModel:
        """The version's model, loaded once per artifact checksum and kept in a small LRU."""
        if self._cache is None:
            # Imported here: pandas and scikit-learn cost the CLI a second it rarely needs.
            from server.serving.loaded_model import ModelCache

            self._cache = ModelCache(self._cache_size)
        return self._cache.get(version.sha256, self._artifacts.path(version.sha256))

    def predict(
        self,
        name: str,
        payload: dict[str, Any],
        *,
        version: int | None = None,
        alias: str | None = None,
    ) -> dict[str, Any]:
        """Predict with a version given by number, alias, or else the newest one."""
        chosen = self.resolve(name, version, alias)
        response = self.load(chosen).predict(payload)
        response["model"] = {"name": chosen.name, "version": chosen.number}
        if alias is not None:
            response["model"]["alias"] = alias
        return response

    # --- storage -----------------------------------------------------------------------

    def _read(self, name: str, *, metrics: bool = True, aliases: bool = True) -> ModelEntry | None:
        """The entry stored under ``name``, or None. Skipping metrics or aliases saves a query
        each, but such an entry must not be written back."""
        graph = str(model_iri(name))
        rows = queries.select(self._store, "registry_versions", model=graph)
        if not rows:
            return None
        evaluations: dict[int, list[tuple[str, str | None, float | None]]] = {}
        if metrics:
            for row in queries.select(self._store, "registry_evaluations", model=graph):
                evaluations.setdefault(_int(row["number"]), []).append(
                    (str(row["evaluation"]), _metric(row.get("measure")), _float(row.get("value")))
                )
        entry = ModelEntry(str(rows[0]["name"]), str(rows[0]["task"]))
        entry.versions = [_version(row, evaluations.get(_int(row["number"]), [])) for row in rows]
        if aliases:
            for row in queries.select(self._store, "registry_aliases", model=graph):
                alias = str(row["alias"])
                entry.aliases[alias] = Alias(alias, _int(row["number"]), _iso(row["assigned"]))
        return entry

    def _write(self, entry: ModelEntry) -> None:
        self._store.replace_graph(model_iri(entry.name), entry_triples(entry))


def entry_triples(entry: ModelEntry) -> list[Triple]:
    """Every triple of one model's registry graph (pure)."""
    model = model_iri(entry.name)
    out: list[Triple] = [
        (model, RDF.type, OL.RegisteredModel),
        (model, DCTERMS.identifier, Literal(entry.name)),
        (model, OL.task, Literal(entry.task)),
    ]
    for version in entry.versions:
        out += _version_triples(model, version)
    for alias in entry.aliases.values():
        node = alias_iri(entry.name, alias.name)
        out += [
            (model, OL.hasAlias, node),
            (node, RDF.type, OL.ModelAlias),
            (node, OL.aliasName, Literal(alias.name)),
            (node, OL.aliasFor, version_iri(entry.name, alias.version)),
            (node, OL.assignedAtTime, _time(alias.assigned)),
        ]
    return out


def _version_triples(model: URIRef, version: ModelVersion) -> list[Triple]:
    node = version_iri(version.name, version.number)
    artifact = URIRef(version.artifact)
    out: list[Triple] = [
        (model, OL.hasModelVersion, node),
        (node, RDF.type, OL.ModelVersion),
        (node, RDF.type, PROV.Entity),
        (node, OL.modelVersionNumber, Literal(version.number)),
        (node, OL.registeredFromRun, run_iri(version.run_id)),
        (node, OL.registersArtifact, artifact),
        (node, PROV.wasDerivedFrom, artifact),
        (node, OL.sha256, Literal(version.sha256)),
        (node, DCTERMS.created, _time(version.created)),
        (node, OL.passedValidation, Literal(version.passed)),
        (node, OL.validationNote, Literal(version.note)),
    ]
    out += [(node, OL.hasEvaluation, URIRef(e)) for e in version.evaluations]
    if version.primary_metric is not None:
        out.append((node, OL.primaryMeasure, measure_iri(version.primary_metric)))
    if version.primary_value is not None:
        out.append((node, OL.primaryValue, Literal(version.primary_value, datatype=XSD.double)))
    return out


def _candidate(record: RunRecord, build: StepRecord) -> ModelVersion | None:
    """The version a succeeded build step would register (numbered 0 until added)."""
    result = build.result
    if build.phase != "build" or build.status != "succeeded" or result is None:
        return None
    ref = result.outputs.get("model")
    name = result.summary.get("model_name") or build.parameters.get("model_name")
    if ref is None or not name:
        return None
    validations = sorted(
        (
            s
            for s in record.steps.values()
            if s.phase == "validate" and s.inputs.get("model") == build.id
        ),
        key=lambda s: s.id,
    )
    metrics: dict[str, float] = {}
    evaluations: list[str] = []
    for step in reversed(validations):  # the first validate step's values win
        step_metrics = step.result.metrics if step.result else {}
        metrics.update(step_metrics)
        evaluations += [
            str(evaluation_iri(record.run_id, step.id, m)) for m in sorted(step_metrics)
        ]
    primary = PRIMARY_METRIC.get(record.pipeline.task)
    return ModelVersion(
        name=str(name),
        number=0,
        run_id=record.run_id,
        artifact=str(output_iri(record.run_id, build.id)),
        sha256=ref.sha256,
        created=record.ended_at or _now(),
        passed=bool(validations),
        note=_validation_note(validations),
        primary_metric=primary,
        primary_value=metrics.get(primary) if primary else None,
        evaluations=tuple(sorted(evaluations)),
        metrics=dict(sorted(metrics.items())),
    )


def _validation_note(validations: list[StepRecord]) -> str:
    if not validations:
        return NOT_VALIDATED
    checks = []
    for step in validations:
        summary = step.result.summary if step.result else {}
        for check in summary.get("thresholds", []):
            bounds = [f"{op} {check[key]}" for op, key in ((">=", "min"), ("<=", "max"))]
            bound = " and ".join(
                b
                for b, key in zip(bounds, ("min", "max"), strict=True)
                if check.get(key) is not None
            )
            checks.append(f"{check['metric']} {_number(check.get('value'))} {bound}")
    steps = ", ".join(repr(s.id) for s in validations)
    if not checks:
        return f"validated by step {steps}, which sets no thresholds"
    return f"met every threshold of step {steps}: " + "; ".join(checks)


def _gate(
    entry: ModelEntry, candidate: ModelVersion, alias: str, must_beat_current: bool
) -> dict[str, Any]:
    """Raise PromotionRefused unless ``candidate`` may hold ``alias``; return the comparison."""
    target = f"version {candidate.number} of {entry.name!r} cannot become {alias!r}"
    if not candidate.passed:
        passing = [v for v in entry.versions if v.passed]
        raise PromotionRefused(
            f"{target}: it did not pass its validation thresholds ({candidate.note}); promote "
            f"a version that passed ({_numbers(passing) if passing else 'none yet'}) or run the "
            "experiment with a validate step (ol:ModelValidation) consuming the model",
            compared={"version": candidate.number, "passed_validation": False},
        )
    holder = entry.aliases.get(alias)
    compared: dict[str, Any] = {"metric": candidate.primary_metric, "candidate": _side(candidate)}
    if not must_beat_current or holder is None or holder.version == candidate.number:
        compared["current"] = _side(entry.version(holder.version)) if holder else None
        return compared
    current = entry.version(holder.version)
    compared["current"] = _side(current)
    higher = candidate.higher_is_better is not False
    compared["higher_is_better"] = higher
    if current.primary_value is None:
        return compared  # nothing to beat
    if candidate.primary_metric != current.primary_metric or candidate.primary_value is None:
        raise PromotionRefused(
            f"{target}: its primary metric ({candidate.primary_metric} "
            f"{_number(candidate.primary_value)}) cannot be compared with the current {alias} "
            f"version {current.number} ({current.primary_metric} "
            f"{_number(current.primary_value)}); promote without must_beat_current",
            compared=compared,
        )
    beats = (
        candidate.primary_value > current.primary_value
        if higher
        else candidate.primary_value < current.primary_value
    )
    if not beats:
        raise PromotionRefused(
            f"{target}: its {candidate.primary_metric} {_number(candidate.primary_value)} does "
            f"not beat {_number(current.primary_value)} of the current {alias} (version "
            f"{current.number}; {'higher' if higher else 'lower'} is better); promote a better "
            "version, or promote without must_beat_current to replace it anyway",
            compared=compared,
        )
    return compared


def _side(version: ModelVersion) -> dict[str, Any]:
    return {"version": version.number, "value": version.primary_value}


def _check_name(name: str) -> None:
    if not MODEL_NAME.fullmatch(name):
        raise RegistryInputError(
            f"{name!r} is not a model name; names match [a-z0-9][a-z0-9_.-]* "
            "(the ol:modelName of a build step)"
        )


def _check_alias(alias: str) -> None:
    if not ALIAS_NAME.fullmatch(alias):
        raise RegistryInputError(
            f"{alias!r} is not an alias name; use a lower-case name starting with a letter, "
            "such as champion or challenger ([a-z][a-z0-9_.-]*)"
        )


def _version(row: Row, evaluations: list[tuple[str, str | None, float | None]]) -> ModelVersion:
    measure = row.get("measure")
    higher = row.get("higher_is_better")
    return ModelVersion(
        name=str(row["name"]),
        number=_int(row["number"]),
        run_id=str(row["run"]).rsplit("/", 1)[-1],
        artifact=str(row["artifact"]),
        sha256=str(row["sha256"]),
        created=_iso(row["created"]),
        passed=bool(python_value(row["passed"])),
        note=str(row["note"]),
        primary_metric=_metric(measure),
        primary_value=_float(row.get("value")),
        higher_is_better=None if higher is None else bool(python_value(higher)),
        evaluations=tuple(e for e, _, _ in evaluations),
        metrics={m: v for _, m, v in evaluations if m is not None and v is not None},
    )


def _metric(measure: Any) -> str | None:
    if measure is None:
        return None
    text = str(measure)
    return text.removeprefix(str(OL)) if text.startswith(str(OL)) else text.rsplit("/", 1)[-1]


def _int(term: Any) -> int:
    return int(python_value(term))


def _float(term: Any) -> float | None:
    return None if term is None else float(python_value(term))


def _iso(term: Any) -> str:
    value = python_value(term)
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _time(stamp: str) -> Literal:
    return Literal(datetime.fromisoformat(stamp), datatype=XSD.dateTime)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _numbers(versions: list[ModelVersion]) -> str:
    return ", ".join(str(v.number) for v in versions) or "none"


def _by_name(alias: Alias) -> str:
    return alias.name


def _now() -> str:
    return datetime.now(UTC).isoformat()
