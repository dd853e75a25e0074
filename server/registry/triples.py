"""The registry's graph: the triples of one model's entry (written whole per change) and the
rows of the ``registry_*`` queries read back into versions. Pure: no store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from server.graph.namespaces import DCTERMS, OL, PROV, RDF, measure_iri, run_iri
from server.graph.terms import python_value
from server.registry.model import ModelEntry, ModelVersion, alias_iri, model_iri, version_iri
from server.store.base import Row, Triple

#: One evaluation of a version: its IRI, measure name and value (either may be unknown).
Evaluation = tuple[str, str | None, float | None]


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


# --- reading back -----------------------------------------------------------------------------


def version_from_row(row: Row, evaluations: list[Evaluation]) -> ModelVersion:
    """A ``registry_versions`` row (and the version's evaluations) as a ModelVersion."""
    measure = row.get("measure")
    higher = row.get("higher_is_better")
    return ModelVersion(
        name=str(row["name"]),
        number=as_int(row["number"]),
        run_id=str(row["run"]).rsplit("/", 1)[-1],
        artifact=str(row["artifact"]),
        sha256=str(row["sha256"]),
        created=as_iso(row["created"]),
        passed=bool(python_value(row["passed"])),
        note=str(row["note"]),
        primary_metric=metric_name(measure),
        primary_value=as_float(row.get("value")),
        higher_is_better=None if higher is None else bool(python_value(higher)),
        evaluations=tuple(e for e, _, _ in evaluations),
        metrics={m: v for _, m, v in evaluations if m is not None and v is not None},
    )


def metric_name(measure: Any) -> str | None:
    """The name of a measure IRI (``ol:accuracy`` → ``accuracy``)."""
    if measure is None:
        return None
    text = str(measure)
    return text.removeprefix(str(OL)) if text.startswith(str(OL)) else text.rsplit("/", 1)[-1]


def as_int(term: Any) -> int:
    return int(python_value(term))


def as_float(term: Any) -> float | None:
    return None if term is None else float(python_value(term))


def as_iso(term: Any) -> str:
    value = python_value(term)
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _time(stamp: str) -> Literal:
    return Literal(datetime.fromisoformat(stamp), datatype=XSD.dateTime)
