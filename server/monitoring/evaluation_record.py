"""A window evaluation as the graph states it: its triples, and reading the history back.

Each deployment's evaluations live in their own named graph, ``DEPLOYMENT/monitoring`` (the
deployment's graph is rewritten as its process restarts; this one only grows). An evaluation
is named by its window's bounds and its count of labelled rows
(``DEPLOYMENT/evaluation/KEY``), so recording the same window twice finds the node there and
adds nothing. It is an ``ol:WindowEvaluation``, also typed ``mls:ModelEvaluation`` and
``prov:Activity`` for clients that know only ML-Schema and PROV: ``ol:ofDeployment`` the
deployment, ``prov:used`` the model version, the window bounds, one ``ol:FeatureDrift`` per
feature and one ``mls:ModelEvaluation`` per live measure (``ol:hasLiveEvaluation``,
``mls:specifiedBy`` the ontology's measure, ``mls:hasValue``).

The three queries (``monitoring_evaluations``, ``monitoring_features``,
``monitoring_live_metrics``) read the history back newest first.

May import: ``server.monitoring.evaluation``, ``server.graph``, ``server.store.base``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from server.graph import queries
from server.graph.namespaces import MLS, OL, PROV, RDF
from server.graph.terms import plain_row
from server.monitoring.evaluation import Watched, WindowEvaluation
from server.store.base import ReadableStore, Triple

MAX_HISTORY = 1000


def monitoring_graph(watched: Watched) -> URIRef:
    """The named graph of a deployment's evaluations."""
    return URIRef(f"{watched.iri}/monitoring")


def evaluation_iri(evaluation: WindowEvaluation) -> URIRef | None:
    """The node of the evaluation's window; None for an empty window (nothing to record)."""
    watched, bounds = evaluation.deployment, evaluation.bounds
    if bounds is None:
        return None
    key = bounds.key(watched.id, watched.version, evaluation.performance.labelled)
    return URIRef(f"{watched.iri}/evaluation/{key}")


def evaluation_triples(evaluation: WindowEvaluation) -> list[Triple]:
    node, bounds = evaluation_iri(evaluation), evaluation.bounds
    if node is None or bounds is None:
        return []
    watched = evaluation.deployment
    performance = evaluation.performance
    triples: list[Triple] = [
        (node, RDF.type, OL.WindowEvaluation),
        (node, RDF.type, MLS.ModelEvaluation),
        (node, RDF.type, PROV.Activity),
        (node, OL.ofDeployment, URIRef(watched.iri)),
        (node, PROV.used, URIRef(watched.iri)),
        (node, OL.servedModelName, Literal(watched.model)),
        (node, OL.servedModelVersion, Literal(watched.version, datatype=XSD.integer)),
        (node, OL.windowSpec, Literal(evaluation.window.spec)),
        (node, OL.windowStart, Literal(bounds.start, datatype=XSD.dateTime)),
        (node, OL.windowEnd, Literal(bounds.end, datatype=XSD.dateTime)),
        (node, OL.firstRequestId, Literal(bounds.first_request)),
        (node, OL.lastRequestId, Literal(bounds.last_request)),
        (node, OL.rowCount, Literal(bounds.rows, datatype=XSD.integer)),
        (node, OL.labelledRowCount, Literal(performance.labelled, datatype=XSD.integer)),
        (node, PROV.endedAtTime, Literal(evaluation.evaluated_at, datatype=XSD.dateTime)),
    ]
    if watched.version_iri:
        triples.append((node, PROV.used, URIRef(watched.version_iri)))
    if evaluation.drift_note:
        triples.append((node, OL.driftNote, Literal(evaluation.drift_note)))
    drift = evaluation.drift
    if drift is not None:
        triples += [
            (node, OL.driftShare, _double(drift.drift_share)),
            (node, OL.driftDetected, Literal(drift.verdict == "drift")),
        ]
        for index, feature in enumerate(drift.features):
            child = URIRef(f"{node}/feature/{index}")
            triples += [
                (node, OL.hasFeatureDrift, child),
                (child, RDF.type, OL.FeatureDrift),
                (child, RDF.type, PROV.Entity),
                (child, OL.featureName, Literal(feature.name)),
                (child, OL.psi, _double(feature.psi)),
                (child, OL.jsDistance, _double(feature.js_distance)),
                (child, OL.testName, Literal(feature.test)),
                (child, OL.testStatistic, _double(feature.statistic)),
                (child, OL.pValue, _double(feature.p_value)),
                (child, OL.adjustedPValue, _double(feature.adjusted_p_value)),
                (child, OL.drifted, Literal(feature.drifted)),
            ]
    for name, value in performance.metrics.items():
        child = URIRef(f"{node}/live/{name}")
        triples += [
            (node, OL.hasLiveEvaluation, child),
            (child, RDF.type, MLS.ModelEvaluation),
            (child, MLS.specifiedBy, OL[name]),
            (child, MLS.hasValue, _double(value)),
        ]
    return triples


def _double(value: float) -> Literal:
    return Literal(float(value), datatype=XSD.double)


def recorded(store: ReadableStore, evaluation: WindowEvaluation) -> bool:
    """Whether the graph already holds the evaluation of this window."""
    node = evaluation_iri(evaluation)
    graph = monitoring_graph(evaluation.deployment)
    return node is not None and queries.ask(
        store, "monitoring_evaluation_exists", graph=str(graph), evaluation=str(node)
    )


def history(store: ReadableStore, watched: Watched, limit: int) -> list[dict[str, Any]]:
    """The deployment's recorded evaluations, newest window first, with their figures."""
    graph = str(monitoring_graph(watched))
    rows = [
        plain_row(r)
        for r in queries.select(store, "monitoring_evaluations", graph=graph, limit=limit)
    ]
    nodes = [str(r["evaluation"]) for r in rows]
    features: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in queries.select(store, "monitoring_features", graph=graph, evaluations=nodes):
        value = plain_row(row)
        features[str(value.pop("evaluation"))].append(value)
    metrics: dict[str, dict[str, float]] = defaultdict(dict)
    for row in queries.select(store, "monitoring_live_metrics", graph=graph, evaluations=nodes):
        value = plain_row(row)
        metrics[str(value["evaluation"])][str(value["measure"])] = float(value["value"])
    return [_entry(row, features, metrics) for row in rows]


def _entry(
    row: dict[str, Any],
    features: dict[str, list[dict[str, Any]]],
    metrics: dict[str, dict[str, float]],
) -> dict[str, Any]:
    node = str(row["evaluation"])
    share = row.get("drift_share")
    return {
        "evaluation": node,
        "model": str(row["model"]),
        "version": int(row["version"]),
        "window": {
            "spec": str(row["spec"]),
            "start": _text(row["start"]),
            "end": _text(row["end"]),
            "rows": int(row["rows"]),
        },
        "evaluated_at": _text(row["evaluated_at"]),
        "drift_share": float(share) if share is not None else None,
        "drift_detected": bool(row["detected"]) if "detected" in row else None,
        "drift_note": row.get("note"),
        "drifted_features": sorted(f["feature"] for f in features[node] if f["drifted"]),
        "features": sorted(
            (
                {
                    "name": str(f["feature"]),
                    "psi": float(f["psi"]),
                    "js_distance": float(f["js"]),
                    "test": str(f["test"]),
                    "adjusted_p_value": float(f["adjusted_p"]),
                    "drifted": bool(f["drifted"]),
                }
                for f in features[node]
            ),
            key=lambda f: f["name"],
        ),
        "performance": {"labelled_rows": int(row["labelled"]), "metrics": metrics[node]},
    }


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
