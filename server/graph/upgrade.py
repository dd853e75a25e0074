"""Brings graphs written by earlier versions up to what today's queries read. Adds only.

Graphs written before every node carried its standard types (``server.graph.standard_types``)
get them (``add_standard_types``), and datasets written before they had a DCAT distribution
get one (``add_distributions``): each graph that lacks some gets one atomic addition, so
running it again adds nothing.

Runs written before runs were numbered get their ``ol:runNumber`` (``add_run_numbers``: oldest
first, after the numbers already given), and before runs carried their hyperparameter values
one hop away their ``olp:`` values (``add_parameter_values``), each one addition per run graph.

Earlier run graphs tied each hyperparameter setting to its step run with ``dcterms:isPartOf``
(today: ``ol:hasHyperParameterSetting`` from the step run) and kept metric values only on
``mls:ModelEvaluation``s (today also ``olm:accuracy``… on the run, which the leaderboard
reads). Each such graph is rewritten in one atomic write with those triples added, so an
interrupted upgrade leaves every run either upgraded or as it was, and running it again
changes nothing.
"""

from __future__ import annotations

from collections import defaultdict

from rdflib import Literal, URIRef

from server.graph import queries, run_numbers, write_terms
from server.graph.namespaces import (
    DCTERMS,
    MLS,
    OL,
    RDF,
    RUN_INDEX_GRAPH,
    metric_property,
    param_property,
)
from server.graph.run_numbers import last_run_number
from server.graph.standard_types import StandardTypes, ontology_types
from server.store.base import Store, Triple


def add_distributions(store: Store) -> int:
    """Give each dataset of an Ontolab graph that has none its DCAT distribution (the file it
    is stored as), in the dataset's graph; returns how many were added."""
    rows = queries.select_values(store, "datasets_without_distribution")
    for row in rows:
        dataset = write_terms.iri(row["dataset"])
        facts = (row["sha256"], int(row["size"]), row["media_type"])
        store.add_to_graph(URIRef(row["g"]), write_terms.distribution_triples(dataset, *facts))
    return len(rows)


def add_standard_types(store: Store, types: StandardTypes | None = None) -> tuple[int, int]:
    """Add to every Ontolab graph the standard types its nodes lack (``types``: the map derived
    from the ontology); returns (types added, graphs changed)."""
    types = types or ontology_types()
    held: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in queries.select_values(store, "typed_nodes", classes=types.classes()):
        held[row["g"]].append((row["node"], row["type"]))
    added, graphs = 0, 0
    for graph, pairs in held.items():
        if missing := types.missing(pairs):
            store.add_to_graph(
                URIRef(graph), [(URIRef(node), RDF.type, URIRef(cls)) for node, cls in missing]
            )
            added, graphs = added + len(missing), graphs + 1
    return added, graphs


def add_run_numbers(store: Store) -> int:
    """Number the runs that have no number, oldest first, after the last number given; returns
    how many were numbered. (Two counts first: at 100,000 runs, looking for runs without a
    number takes ~4 s, on every start of the platform; the counts ~0.1 s.)"""
    runs_stored, numbered = (
        int(store.select_values(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")[0]["n"])
        for pattern in (f"?run a <{OL.Run}>", f"?run <{OL.runNumber}> ?number")
    )
    if runs_stored == numbered:
        return 0
    runs = [URIRef(str(row["run"])) for row in queries.select(store, "runs_without_number")]
    if not runs:
        return 0
    last = last_run_number(store)
    # The index first: a numbering cut short leaves a gap, never a number given twice.
    index = [(RUN_INDEX_GRAPH, OL.lastRunNumber, Literal(last + len(runs)))]
    store.replace_graph(RUN_INDEX_GRAPH, index)
    run_numbers.forget(store)
    for number, run in enumerate(runs, start=last + 1):
        store.add_to_graph(run, [(run, OL.runNumber, Literal(number))])
    return len(runs)


def add_parameter_values(store: Store) -> int:
    """Add to each run graph the one-hop ``olp:`` values of its hyperparameters it lacks;
    returns how many run graphs changed."""
    wanted: dict[URIRef, set[Triple]] = defaultdict(set)
    for row in queries.select(store, "run_parameter_values"):
        run = URIRef(str(row["run"]))
        wanted[run].add((run, param_property(str(row["name"])), row["value"]))
    held = {
        (URIRef(str(row["run"])), URIRef(str(row["property"])), row["value"])
        for row in queries.select(store, "run_parameter_values_held")
    }
    changed = 0
    for run, triples in wanted.items():
        if missing := triples - held:
            store.add_to_graph(run, sorted(missing))
            changed += 1
    return changed


def upgrade_runs(store: Store) -> int:
    """Upgrade every run graph that needs it; returns how many were rewritten."""
    runs = [URIRef(str(row["run"])) for row in queries.select(store, "runs_to_upgrade")]
    for run in runs:
        rows = queries.select(store, "graph_triples", graph=str(run))
        triples: list[Triple] = [(row["s"], row["p"], row["o"]) for row in rows]
        store.replace_graph(run, triples + missing_triples(run, triples))
    return len(runs)


def missing_triples(run: URIRef, triples: list[Triple]) -> list[Triple]:
    """What an earlier version's graph of ``run`` lacks, derived from what it holds."""
    settings = {s for s, p, o in triples if p == RDF.type and o == MLS.HyperParameterSetting}
    added: list[Triple] = [
        (step_run, OL.hasHyperParameterSetting, setting)
        for setting, p, step_run in triples
        if p == DCTERMS.isPartOf and setting in settings
    ]
    outputs = {o for s, p, o in triples if s == run and p == MLS.hasOutput}
    measures = {s: o for s, p, o in triples if p == MLS.specifiedBy and s in outputs}
    for evaluation, p, value in triples:
        measure = measures.get(evaluation)
        if p == MLS.hasValue and measure is not None and str(measure).startswith(str(OL)):
            added.append((run, metric_property(str(measure)[len(str(OL)) :]), value))
    present = set(triples)
    return [triple for triple in added if triple not in present]
