"""A run's state as triples in its own named graph (PROV-O + ML-Schema).

Pure: builds triples from a ``RunRecord`` and does no I/O. The whole graph is rebuilt at each
state change and written in one request, so a reader never sees half a run. Terms are
pyoxigraph terms (``server.graph.write_terms``): this runs for every write of every run.

A run graph only grows while the run goes on: a status is stated once it is final (no
``ol:status`` means running; for a step run, running once it has a start time, else pending),
and nothing else a run states changes later. So each save of a run (at its start, as each step
starts and ends, with its results) is one addition to its graph (``server.tracking.writer``), never
a delete and rewrite. A run left in flight by a crash is ended the same way, by addition: the
next start of the platform adds status ``interrupted`` with the time and reason
(``interrupted_triples``), and a resume is a new run pointing back with ``ol:resumes``.

Facts that are the same for every run that meets them (an implementation and its
hyperparameters, a data source, the column statistics of a profile, named by its checksum) go
in shared graphs of their own (``shared_graphs``), written once instead of copied into every
run graph: at 10,000 runs that keeps the store and each run's write small.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

import pyoxigraph as ox
from rdflib import URIRef

from executor.contract import StepResult
from server.graph.namespaces import (
    evaluation_iri,
    hyperparameter_iri,
    hyperparameter_setting_iri,
    implementation_iri,
    measure_iri,
    metric_property,
    output_iri,
    profile_iri,
    run_iri,
    signature_iri,
    source_iri,
    step_run_iri,
    sub_iri,
)
from server.graph.write_terms import (
    DCAT,
    MLS,
    OL,
    PROV,
    RDF,
    RDFS,
    date_time,
    double,
    iri,
    plain,
    string,
    value,
)
from server.store.base import WriteTriple
from server.tracking.records import FINAL_RUN_STATES, FINAL_STEP_STATES, RunRecord, StepRecord

#: Each node is typed with its most specific class only; the ontology's subclass axioms give
#: the PROV, ML-Schema and DCAT classes (query them as ``a/rdfs:subClassOf*``).
KIND_CLASSES = {
    "dataset": OL.Dataset,
    "profile": OL.DataProfile,
    "splits": OL.Dataset,
    "model": OL.Model,
    "report": OL.EvaluationReport,
}


def run_triples(record: RunRecord) -> list[WriteTriple]:
    """Every triple describing ``record``, for its run graph."""
    run = _run(record)
    pipeline = record.pipeline
    out: list[WriteTriple] = [
        (run, RDF.type, OL.Run),
        (run, OL.runId, string(record.run_id)),
        (run, OL.ofExperiment, iri(pipeline.experiment)),
        (run, OL.ofExperimentVersion, iri(pipeline.version.iri)),
        (run, OL.provisioner, string(record.provisioner)),
        (run, PROV.startedAtTime, date_time(record.started_at)),
    ]
    if record.status in FINAL_RUN_STATES:
        out.append((run, OL.status, string(record.status)))
    if record.ended_at:
        out.append((run, PROV.endedAtTime, date_time(record.ended_at)))
    if record.error:
        out.append((run, OL.errorMessage, string(record.error)))
    if record.resumes:
        out.append((run, OL.resumes, iri(run_iri(record.resumes))))
    out += [(run, OL.warning, string(warning)) for warning in record.warnings]
    if record.compose_file:
        compose = iri(sub_iri(run_iri(record.run_id), "file", "compose.yaml"))
        out += [
            (run, OL.composeFile, compose),
            (compose, RDF.type, PROV.Entity),
            (compose, OL.sha256, string(record.compose_file.sha256)),
            (compose, OL.byteSize, plain(record.compose_file.size)),
            (compose, DCAT.mediaType, string(record.compose_file.media_type)),
            (compose, PROV.wasGeneratedBy, run),
        ]
    for step in record.steps.values():
        out += _step_triples(record, step)
    return out


def interrupted_triples(
    run_id: str, unfinished: dict[str, bool], noticed_at: str, reason: str
) -> list[WriteTriple]:
    """What marks a run left in flight by a crash as ended: status ``interrupted``, the time it
    was noticed and why, on the run and on each step run with no final status yet
    (``unfinished``: step run IRI → whether it had started). Only additions: nothing the run
    graph already states is taken back."""
    run = iri(run_iri(run_id))
    ended = date_time(noticed_at)
    out: list[WriteTriple] = [
        (run, OL.status, string("interrupted")),
        (run, PROV.endedAtTime, ended),
        (run, OL.errorMessage, string(reason)),
    ]
    for step_run, started in sorted(unfinished.items()):
        node = iri(step_run)
        out.append((node, OL.status, string("interrupted")))
        if started:
            out.append((node, PROV.endedAtTime, ended))
        why = "while this step ran" if started else "before this step started"
        out.append((node, OL.errorMessage, string(f"the platform stopped {why}")))
    return out


def _step_triples(record: RunRecord, step: StepRecord) -> list[WriteTriple]:
    node = _step_run(record, step.id)
    out: list[WriteTriple] = [
        (_run(record), OL.hasStepRun, node),
        (node, RDF.type, OL.StepRun),
        (node, OL.stepId, string(step.id)),
        (node, OL.executesStep, iri(step.definition)),
    ]
    if step.status in FINAL_STEP_STATES:
        out.append((node, OL.status, string(step.status)))
    if step.cache_hit:
        out.append((node, OL.cacheHit, plain(True)))
    out += _optional(
        node,
        [
            (PROV.startedAtTime, step.started_at, date_time),
            (PROV.endedAtTime, step.ended_at, date_time),
            (OL.workerId, step.worker, string),
            (OL.reusedFrom, step.reused_from, iri),
            (OL.errorMessage, step.skipped_because, string),
        ],
    )
    if step.result is not None:
        out += _result_triples(record, step, step.result)
    return out


def _result_triples(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    node = _step_run(record, step.id)
    inputs = [_output(record, producer) for producer in step.inputs.values()]
    out: list[WriteTriple] = [(node, PROV.used, entity) for entity in inputs]
    if result.error is not None:
        out.append((node, OL.errorType, string(result.error.type)))
        out.append((node, OL.errorMessage, string(result.error.message)))
    for kind, ref in result.outputs.items():
        entity = _output(record, step.id)
        out += [
            (entity, RDF.type, OL.Artifact),
            (entity, RDF.type, KIND_CLASSES[kind]),
            (entity, OL.artifactKind, string(kind)),
            (entity, OL.sha256, string(ref.sha256)),
            (entity, OL.byteSize, plain(ref.size)),
            (entity, DCAT.mediaType, string(ref.media_type)),
            (entity, PROV.wasGeneratedBy, node),
        ]
        out += [(entity, PROV.wasDerivedFrom, source) for source in inputs]
        if step.output:
            out.append((entity, PROV.specializationOf, iri(step.output)))
    out += PHASE_FACTS.get(step.phase, _no_facts)(record, step, result)
    return out


def _extract_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    summary = result.summary
    if not result.outputs or "source" not in summary:
        return []
    entity = _output(record, step.id)
    return [
        (entity, PROV.wasDerivedFrom, iri(source_iri(str(summary["source"])))),
        *_optional(
            entity,
            [
                (OL.rowCount, summary.get("rows"), plain),
                (OL.columnCount, summary.get("columns"), plain),
                (OL.targetColumn, summary.get("target_column"), string),
            ],
        ),
    ]


def _explore_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    dataset_step = step.inputs.get("dataset")
    profile = result.outputs.get("profile")
    if dataset_step is None or profile is None or not result.summary.get("columns"):
        return []
    return [(_output(record, dataset_step), OL.hasDataProfile, iri(profile_iri(profile.sha256)))]


def _build_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    summary = result.summary
    if not result.outputs:
        return []
    run = _run(record)
    node = _step_run(record, step.id)
    model = _output(record, step.id)
    out: list[WriteTriple] = [
        (run, MLS.hasOutput, model),
        (run, MLS.executes, iri(implementation_iri(_estimator_class(summary)))),
        (model, OL.hasSignature, iri(signature_iri(_signature_digest(summary)))),
    ]
    if summary.get("model_name") is not None:
        out.append((model, OL.modelName, string(summary["model_name"])))
    out += [(node, OL.hasHyperParameterSetting, iri(s)) for s in _settings(summary)]
    return out


def _estimator_class(summary: dict[str, Any]) -> str:
    return str(summary.get("estimator_class", summary.get("estimator", "unknown")))


def _settings(summary: dict[str, Any]) -> dict[URIRef, tuple[str, URIRef, Any]]:
    """Each hyperparameter's setting, named by its parameter and value: (name, parameter, raw
    value) by setting IRI."""
    estimator_class = _estimator_class(summary)
    return {
        _setting_iri(estimator_class, name, json.dumps(raw, sort_keys=True)): (
            name,
            hyperparameter_iri(estimator_class, name),
            raw,
        )
        for name, raw in sorted(summary.get("hyperparameters", {}).items())
    }


@lru_cache(maxsize=4096)
def _setting_iri(estimator_class: str, name: str, canonical: str) -> URIRef:
    """Cached: a sweep meets the same few settings in every run, and each costs a digest."""
    return hyperparameter_setting_iri(hyperparameter_iri(estimator_class, name), canonical)


def _signature_facts(summary: dict[str, Any]) -> list[tuple[ox.NamedNode, ox.Literal]]:
    """What a model expects and was fitted with: the same for every model trained on the same
    columns with the same libraries, so it is named by its digest and stored once."""
    versions = summary.get("library_versions", {})
    facts = [(OL.featureColumn, string(c)) for c in summary.get("feature_columns", [])]
    facts += [(OL.libraryVersion, string(f"{k} {v}")) for k, v in sorted(versions.items())]
    for predicate, key in (
        (OL.serializationFormat, "serialization_format"),
        (OL.targetColumn, "target_column"),
    ):
        if summary.get(key) is not None:
            facts.append((predicate, string(summary[key])))
    return facts


def _signature_digest(summary: dict[str, Any]) -> str:
    versions = summary.get("library_versions", {})
    return _digest(
        tuple(map(str, summary.get("feature_columns", []))),
        summary.get("target_column"),
        summary.get("serialization_format"),
        tuple(sorted((str(k), str(v)) for k, v in versions.items())),
    )


@lru_cache(maxsize=256)
def _digest(*facts: Any) -> str:
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()


def _validate_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    run = _run(record)
    node = _step_run(record, step.id)
    model_step = step.inputs.get("model")
    model = _output(record, model_step) if model_step else None
    out: list[WriteTriple] = []
    for metric, measured in sorted(result.metrics.items()):
        evaluation = iri(evaluation_iri(record.run_id, step.id, metric))
        literal = double(measured)
        out += [
            (run, iri(metric_property(metric)), literal),
            (run, MLS.hasOutput, evaluation),
            (evaluation, RDF.type, MLS.ModelEvaluation),
            (evaluation, MLS.specifiedBy, iri(measure_iri(metric))),
            (evaluation, MLS.hasValue, literal),
            (evaluation, PROV.wasGeneratedBy, node),
        ]
        if model is not None:
            out.append((evaluation, OL.evaluates, model))
    for check in result.summary.get("thresholds", []):
        check_node = iri(
            sub_iri(step_run_iri(record.run_id, step.id), "threshold", str(check["metric"]))
        )
        out += [
            (node, OL.hasThresholdCheck, check_node),
            (check_node, RDF.type, OL.ThresholdCheck),
            (check_node, OL.metricName, string(check["metric"])),
        ]
        out += _optional(
            check_node,
            [
                (OL.minValue, check.get("min"), double),
                (OL.maxValue, check.get("max"), double),
                (OL.observedValue, check.get("value"), double),
                (OL.passed, check.get("passed"), plain),
            ],
        )
    return out


def _no_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    return []


PHASE_FACTS: dict[str, Callable[[RunRecord, StepRecord, StepResult], list[WriteTriple]]] = {
    "extract": _extract_facts,
    "explore": _explore_facts,
    "build": _build_facts,
    "validate": _validate_facts,
}


SharedGraphs = dict[URIRef, Callable[[], list[WriteTriple]]]


def shared_graphs(record: RunRecord) -> SharedGraphs:
    """The shared graphs ``record`` points to, by name, each with a function that builds its
    triples (only called for a graph the writer has not written yet)."""
    graphs: SharedGraphs = {}
    for step in record.steps.values():
        if step.result is not None and not step.result.error:
            graphs.update(SHARED_FACTS.get(step.phase, _no_shared)(step.result))
    return graphs


def _source_graph(result: StepResult) -> SharedGraphs:
    if not result.outputs or "source" not in result.summary:
        return {}
    ref = str(result.summary["source"])
    name = source_iri(ref)
    source = iri(name)
    return {
        name: lambda: [
            (source, RDF.type, OL.DataSource),
            (source, RDF.type, PROV.Entity),
            (source, OL.sourceRef, string(ref)),
        ]
    }


def _profile_graph(result: StepResult) -> SharedGraphs:
    profile = result.outputs.get("profile")
    columns = result.summary.get("columns", [])
    if profile is None or not columns:
        return {}
    name = profile_iri(profile.sha256)
    return {name: lambda: _column_triples(name, columns)}


def _column_triples(name: URIRef, columns: list[dict[str, Any]]) -> list[WriteTriple]:
    node = iri(name)
    out: list[WriteTriple] = [(node, RDF.type, OL.DataProfile)]
    for column in columns:
        profile = iri(sub_iri(name, "column", str(column["name"])))
        out += [
            (node, OL.hasColumnProfile, profile),
            (profile, RDF.type, OL.ColumnProfile),
            (profile, OL.columnName, string(column["name"])),
        ]
        out += _optional(
            profile,
            [
                (OL.dataType, column.get("dtype"), string),
                (OL.rowCount, column.get("count"), plain),
                (OL.missingCount, column.get("missing"), plain),
                (OL.uniqueCount, column.get("unique"), plain),
                (OL.mean, column.get("mean"), double),
                (OL.std, column.get("std"), double),
                (OL.minimum, column.get("min"), double),
                (OL.maximum, column.get("max"), double),
            ],
        )
    return out


def _build_graphs(result: StepResult) -> SharedGraphs:
    """The implementation and its hyperparameters, each setting, and the model signature."""
    summary = result.summary
    if not result.outputs:
        return {}
    estimator_class = _estimator_class(summary)
    implementation = implementation_iri(estimator_class)
    names = sorted(summary.get("hyperparameters", {}))
    signature = signature_iri(_signature_digest(summary))
    graphs: SharedGraphs = {
        implementation: lambda: _implementation_triples(implementation, estimator_class, names),
        signature: lambda: [
            (iri(signature), RDF.type, OL.ModelSignature),
            *((iri(signature), p, v) for p, v in _signature_facts(summary)),
        ],
    }
    for setting, facts in _settings(summary).items():
        graphs[setting] = partial(_setting_triples, setting, *facts)
    return graphs


def _setting_triples(setting: URIRef, name: str, parameter: URIRef, raw: Any) -> list[WriteTriple]:
    node = iri(setting)
    return [
        (node, RDF.type, MLS.HyperParameterSetting),
        (node, MLS.specifiedBy, iri(parameter)),
        (node, OL.parameterName, string(name)),
        (node, MLS.hasValue, value(raw)),
    ]


def _implementation_triples(
    implementation: URIRef, estimator_class: str, names: list[str]
) -> list[WriteTriple]:
    node = iri(implementation)
    out: list[WriteTriple] = [
        (node, RDF.type, MLS.Implementation),
        (node, RDFS.label, string(estimator_class)),
    ]
    for name in names:
        parameter = iri(hyperparameter_iri(estimator_class, name))
        out += [
            (parameter, RDF.type, MLS.HyperParameter),
            (parameter, RDFS.label, string(name)),
            (node, MLS.hasHyperParameter, parameter),
        ]
    return out


def _no_shared(result: StepResult) -> SharedGraphs:
    return {}


SHARED_FACTS: dict[str, Callable[[StepResult], SharedGraphs]] = {
    "extract": _source_graph,
    "explore": _profile_graph,
    "build": _build_graphs,
}


def _run(record: RunRecord) -> ox.NamedNode:
    return iri(run_iri(record.run_id))


def _step_run(record: RunRecord, step_id: str) -> ox.NamedNode:
    return iri(step_run_iri(record.run_id, step_id))


def _output(record: RunRecord, step_id: str) -> ox.NamedNode:
    return iri(output_iri(record.run_id, step_id))


def _optional(
    subject: ox.NamedNode, facts: list[tuple[ox.NamedNode, Any, Callable[[Any], Any]]]
) -> list[WriteTriple]:
    """Triples for the facts whose value is known."""
    return [
        (subject, predicate, make(known)) for predicate, known, make in facts if known is not None
    ]
