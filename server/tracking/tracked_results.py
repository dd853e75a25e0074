"""A tracked run as triples (PROV-O + ML-Schema, in the shape of a native run), and read back.

A tracked run is a ``RunRecord`` whose pipeline has one step run, ``tracked`` (phase
``tracked``: the code the platform did not execute), plus one succeeded ``build`` step run per
model it logged, so the run writer, run list, compare, leaderboard, lineage and registry work on
it unchanged. What only a tracked run states is added to its graph by ``tracked_triples``:

- who recorded it (``ol:trackedFrom``), its display name, whether MLflow deleted it;
- each param as an ``mls:HyperParameterSetting`` of the tracked step run (a shared graph,
  named by the param and its value) and as the run's ``olp:NAME`` property;
- each metric's latest value as the run's ``olm:NAME`` property and an ``mls:ModelEvaluation``
  (as validate and code steps write them); every point of its history as an ``ol:MetricPoint``
  (value, step, timestamp in ms, index in logged order), with the ids of the batches received,
  in the run's history graph (``RUN_IRI/history``, ``history_triples``), which is only added
  to: a batch adds its points there and rewrites only the small run graph;
- tags as ``ol:Tag`` nodes; artifacts as ``ol:Artifact`` (prov:Entity) with path, sha256, size
  and media type, ``prov:wasGeneratedBy`` the tracked step run.

``read_tracked`` and ``read_history`` rebuild the ``TrackedRun`` from both graphs, so a tracked
run is the same after a platform restart. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote, unquote

import pyoxigraph as ox
from rdflib import URIRef

from executor.contract import ArtifactRef, StepResult
from server.definitions.steps import Pipeline
from server.graph.namespaces import (
    ID,
    OLP,
    evaluation_iri,
    hyperparameter_iri,
    hyperparameter_setting_iri,
    measure_iri,
    metric_property,
    output_iri,
    param_property,
    run_iri,
    step_run_iri,
    sub_iri,
)
from server.graph.terms import python_value
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
)
from server.store.base import WriteTriple
from server.tracking.records import RunRecord, StepRecord
from server.tracking.shared import SharedGraphs
from server.tracking.tracked_records import (
    TRACKED_STEP,
    LoggedModel,
    MetricPoint,
    TrackedRun,
)

#: The implementation a tracked step run's params are hyperparameters of.
TRACKED_IMPLEMENTATION = "tracked-code"
_JSON = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON")


def tracked_step_iri(experiment: str) -> URIRef:
    """The ``ol:TrackedCode`` step of a tracked experiment (``experiment``: its node's IRI)."""
    return URIRef(f"{experiment}/step/{TRACKED_STEP}")


def tracked_measure(key: str) -> URIRef:
    """The evaluation measure a tracked metric is of: the ontology's for its names
    (``accuracy``), else one named by the key."""
    return measure_iri(quote(key, safe="-_.~"))


def as_record(run: TrackedRun, pipeline: Pipeline) -> RunRecord:
    """The run as a ``RunRecord`` for the run writer and the registry."""
    final = run.status if run.ended else "running"
    step = StepRecord(
        id=TRACKED_STEP,
        phase="tracked",
        definition=str(tracked_step_iri(pipeline.experiment)),
        output=None,
        inputs={},
        depends_on=(),
        status=final,
        started_at=run.started_at,
        ended_at=run.ended_at,
    )
    steps = {TRACKED_STEP: step}
    for model in run.models:
        steps[model.step_id] = model_step(run, pipeline, model)
    return RunRecord(
        run_id=run.run_id,
        pipeline=pipeline,
        provisioner="external",
        started_at=run.started_at,
        steps=steps,
        status=final,
        ended_at=run.ended_at,
        started_by=run.started_by,
    )


def model_step(run: TrackedRun, pipeline: Pipeline, model: LoggedModel) -> StepRecord:
    """The succeeded build step run standing for logging ``model``: its output is the model."""
    result = StepResult(
        status="succeeded",
        started_at=model.logged_at,
        ended_at=model.logged_at,
        outputs={"model": model.ref},
        summary={**model.summary, "model_name": model.name, "hyperparameters": {}},
    )
    return StepRecord(
        id=model.step_id,
        phase="build",
        definition=str(tracked_step_iri(pipeline.experiment)),
        output=None,
        inputs={},
        depends_on=(),
        status="succeeded",
        started_at=model.logged_at,
        ended_at=model.logged_at,
        result=result,
        parameters={"model_name": model.name},
    )


def tracked_triples(run: TrackedRun) -> list[WriteTriple]:
    """What the run graph states besides ``run_triples`` of its record."""
    node = iri(run_iri(run.run_id))
    step = iri(step_run_iri(run.run_id, TRACKED_STEP))
    out: list[WriteTriple] = [(node, OL.trackedFrom, string(run.source))]
    if run.name:
        out.append((node, OL.runName, string(run.name)))
    if run.deleted:
        out.append((node, OL.deleted, plain(True)))
    out += _param_triples(run, node, step)
    out += _metric_triples(run, node, step)
    out += _tag_triples(run, node)
    out += _artifact_triples(run, step)
    for model in run.models:
        entity = iri(output_iri(run.run_id, model.step_id))
        summary = json.dumps(model.summary, sort_keys=True, default=str)
        out.append((entity, OL.modelSummary, ox.Literal(summary, datatype=_JSON)))
        out.append((entity, PROV.generatedAtTime, date_time(model.logged_at)))
    return out


def history_graph(run_id: str) -> URIRef:
    """The graph of a tracked run's metric points and the batch ids it received: only ever
    added to (one addition per batch), so a long history never makes a batch rewrite it."""
    return URIRef(f"{run_iri(run_id)}/history")


def history_triples(
    run_id: str, points: Iterable[tuple[int, MetricPoint]], batch_id: str | None = None
) -> list[WriteTriple]:
    """The triples of new metric points (each with its index in its metric's history) and of
    the batch that brought them."""
    step = iri(step_run_iri(run_id, TRACKED_STEP))
    base = step_run_iri(run_id, TRACKED_STEP)
    out: list[WriteTriple] = []
    if batch_id is not None:
        out.append((step, OL.batchId, string(batch_id)))
    for index, point in points:
        node = iri(f"{sub_iri(base, 'metric', point.key)}/{index}")
        out += [
            (step, OL.hasMetricPoint, node),
            (node, RDF.type, OL.MetricPoint),
            (node, OL.metricName, string(point.key)),
            (node, MLS.hasValue, double(point.value)),
            (node, OL.stepNumber, plain(point.step)),
            (node, OL.pointIndex, plain(index)),
            (node, PROV.wasGeneratedBy, step),
        ]
        if point.timestamp is not None:
            out.append((node, OL.timestampMillis, plain(point.timestamp)))
    return out


def read_history(
    points: Iterable[Mapping[str, Any]], batches: Iterable[Mapping[str, Any]]
) -> tuple[dict[str, list[MetricPoint]], set[str]]:
    """The metric histories and batch ids from the ``tracked_points`` and ``tracked_batches``
    queries' plain rows."""
    found: dict[str, list[tuple[int, MetricPoint]]] = {}
    for row in points:
        stamp = row.get("timestamp")
        point = MetricPoint(
            str(row["key"]),
            float(row["value"]),
            int(row["step"]),
            int(stamp) if stamp is not None else None,
        )
        found.setdefault(point.key, []).append((int(row["index"]), point))
    history = {
        key: [p for _, p in sorted(pairs, key=lambda x: x[0])] for key, pairs in found.items()
    }
    return history, {str(row["batch_id"]) for row in batches}


def tracked_shared(run: TrackedRun, known_measures: frozenset[str]) -> SharedGraphs:
    """The shared graphs the run points to: each param setting, and each metric's measure the
    ontology does not declare (so run details and compare, which read a measure's label, show
    it)."""
    graphs: SharedGraphs = {}
    for name, raw in run.params.items():
        graphs[_setting(name, raw)] = partial(_setting_graph, name, raw)
    for key in run.metrics:
        if str(tracked_measure(key)) not in known_measures:
            graphs[URIRef(f"{ID}measure/{quote(key, safe='-_.~')}")] = partial(_measure_graph, key)
    return graphs


def _setting_graph(name: str, raw: str) -> list[WriteTriple]:
    setting = iri(_setting(name, raw))
    parameter = iri(hyperparameter_iri(TRACKED_IMPLEMENTATION, name))
    return [
        (setting, RDF.type, MLS.HyperParameterSetting),
        (setting, MLS.specifiedBy, parameter),
        (setting, OL.parameterName, string(name)),
        (setting, MLS.hasValue, string(raw)),
        (parameter, RDF.type, MLS.HyperParameter),
        (parameter, RDFS.label, string(name)),
    ]


def _measure_graph(key: str) -> list[WriteTriple]:
    measure = iri(tracked_measure(key))
    return [(measure, RDF.type, MLS.EvaluationMeasure), (measure, RDFS.label, string(key))]


def _setting(name: str, raw: str) -> URIRef:
    parameter = hyperparameter_iri(TRACKED_IMPLEMENTATION, name)
    return hyperparameter_setting_iri(parameter, json.dumps(raw))


def _param_triples(run: TrackedRun, node: ox.NamedNode, step: ox.NamedNode) -> list[WriteTriple]:
    out: list[WriteTriple] = []
    for name, raw in sorted(run.params.items()):
        out.append((step, OL.hasHyperParameterSetting, iri(_setting(name, raw))))
        out.append((node, iri(param_property(name)), string(raw)))
    return out


def _metric_triples(run: TrackedRun, node: ox.NamedNode, step: ox.NamedNode) -> list[WriteTriple]:
    out: list[WriteTriple] = []
    for key, latest in sorted(run.latest().items()):
        evaluation = iri(evaluation_iri(run.run_id, TRACKED_STEP, key))
        literal = double(latest.value)
        out += [
            (node, iri(metric_property(key)), literal),
            (node, MLS.hasOutput, evaluation),
            (evaluation, RDF.type, MLS.ModelEvaluation),
            (evaluation, MLS.specifiedBy, iri(tracked_measure(key))),
            (evaluation, MLS.hasValue, literal),
            (evaluation, PROV.wasGeneratedBy, step),
        ]
    return out


def _tag_triples(run: TrackedRun, node: ox.NamedNode) -> list[WriteTriple]:
    return tag_triples(node, run_iri(run.run_id), run.tags)


def tag_triples(node: ox.NamedNode, parent: URIRef, tags: Mapping[str, str]) -> list[WriteTriple]:
    """``node``'s tags as ``ol:Tag`` nodes named under ``parent``."""
    out: list[WriteTriple] = []
    for key, raw in sorted(tags.items()):
        tag = iri(sub_iri(parent, "tag", key))
        out += [
            (node, OL.hasTag, tag),
            (tag, RDF.type, OL.Tag),
            (tag, OL.tagKey, string(key)),
            (tag, OL.tagValue, string(raw)),
        ]
    return out


def _artifact_triples(run: TrackedRun, step: ox.NamedNode) -> list[WriteTriple]:
    out: list[WriteTriple] = []
    for path, ref in sorted(run.artifacts.items()):
        entity = iri(sub_iri(run_iri(run.run_id), "file", path))
        out += [
            (entity, RDF.type, OL.Artifact),
            (entity, OL.artifactKind, string("file")),
            (entity, OL.artifactPath, string(path)),
            (entity, OL.sha256, string(ref.sha256)),
            (entity, OL.byteSize, plain(ref.size)),
            (entity, DCAT.mediaType, string(ref.media_type)),
            (entity, PROV.wasGeneratedBy, step),
        ]
    return out


# --- reading back ---------------------------------------------------------------------------


def read_tracked(
    run_id: str, head: Mapping[str, Any], triples: Iterable[tuple[Any, Any, Any]]
) -> TrackedRun:
    """Rebuild a tracked run from its graph. ``head``: the ``tracked_run`` query's row, plain
    (experiment, experiment_id, status, started, ended, source, name, deleted, number);
    ``triples``: every triple of its graph (rdflib terms)."""
    nodes: dict[str, dict[str, list[Any]]] = {}
    for s, p, o in triples:
        nodes.setdefault(str(s), {}).setdefault(str(p), []).append(o)
    run_node = nodes.get(str(run_iri(run_id)), {})
    run = TrackedRun(
        run_id=run_id,
        experiment=str(head["experiment"]),
        experiment_id=str(head["experiment_id"]),
        name=head.get("name"),
        status=str(head.get("status") or "running"),
        started_at=_iso(head["started"]),
        ended_at=_iso(head["ended"]) if head.get("ended") is not None else None,
        source=str(head.get("source") or "sdk"),
        deleted=bool(head.get("deleted")),
        number=int(head["number"]) if head.get("number") is not None else None,
    )
    for predicate, values in run_node.items():
        if predicate.startswith(str(OLP)):
            run.params[unquote(predicate[len(str(OLP)) :])] = str(values[0])
    for tag in run_node.get(_p(OL.hasTag), []):
        facts = nodes.get(str(tag), {})
        run.tags[str(facts[_p(OL.tagKey)][0])] = str(facts[_p(OL.tagValue)][0])
    run.artifacts = _read_artifacts(nodes, run_id)
    run.models = _read_models(nodes, run_id)
    agents = run_node.get(_p(PROV.wasAssociatedWith), [])
    run.started_by = str(agents[0]) if agents else None
    return run


def _read_artifacts(nodes: dict[str, dict[str, list[Any]]], run_id: str) -> dict[str, ArtifactRef]:
    prefix = str(sub_iri(run_iri(run_id), "file", ""))
    out = {}
    for subject, facts in nodes.items():
        if subject.startswith(prefix) and _p(OL.artifactPath) in facts:
            out[str(facts[_p(OL.artifactPath)][0])] = _ref(facts)
    return out


def _read_models(nodes: dict[str, dict[str, list[Any]]], run_id: str) -> list[LoggedModel]:
    prefix = f"{run_iri(run_id)}/output/"
    models = []
    for subject, facts in nodes.items():
        if subject.startswith(prefix) and _p(OL.modelSummary) in facts:
            summary = json.loads(str(facts[_p(OL.modelSummary)][0]))
            models.append(
                LoggedModel(
                    name=str(facts[_p(OL.modelName)][0]),
                    step_id=unquote(subject[len(prefix) :]),
                    ref=_ref(facts),
                    summary=summary,
                    logged_at=_iso(python_value(facts[_p(PROV.generatedAtTime)][0])),
                )
            )
    return sorted(models, key=lambda m: (m.logged_at, m.step_id))


def _ref(facts: dict[str, list[Any]]) -> ArtifactRef:
    return ArtifactRef(
        sha256=str(facts[_p(OL.sha256)][0]),
        size=int(python_value(facts[_p(OL.byteSize)][0])),
        media_type=str(facts[_p(DCAT.mediaType)][0]),
    )


def _p(node: ox.NamedNode) -> str:
    return node.value


def _iso(stamp: Any) -> str:
    """ISO 8601 as the service writes it (``+00:00``, not ``Z``)."""
    if hasattr(stamp, "isoformat"):
        return str(stamp.isoformat())
    return datetime.fromisoformat(str(stamp)).isoformat()
