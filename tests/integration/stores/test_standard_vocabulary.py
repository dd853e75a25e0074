"""A client that knows only PROV-O, ML-Schema and DCAT (no Ontolab term, no reasoner) gets the
same answers as the Ontolab-vocabulary queries, on each store: embedded, Oxigraph server,
Virtuoso. One real run of the iris example (and one dataset upload) per store, shared by the
module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import URIRef

from server import definitions
from server.graph import queries
from server.graph.namespaces import DCAT, RDF
from server.graph.standard_types import ontology_types
from server.graph.upgrade import add_distributions, add_standard_types
from server.platform import Platform, open_platform
from server.settings import Settings
from server.store.base import Triple
from server.store.typed import StandardTypedStore
from tests.integration.conftest import STORES, StoreServer, clear_ontolab_graphs

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "iris.ttl"
PREFIXES = """PREFIX ol: <https://w3id.org/ontolab/ns#>
PREFIX olm: <https://w3id.org/ontolab/metric#>
PREFIX mls: <http://www.w3.org/ns/mls#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
"""
# Each pair: the question asked in standard terms only, and in Ontolab's terms.
LINEAGE = """SELECT DISTINCT ?model ?dataset WHERE {
  GRAPH ?gm { ?model a MODEL }
  ?model (prov:wasDerivedFrom|prov:wasGeneratedBy/prov:used)+ ?dataset .
  GRAPH ?gd { ?dataset a DATASET }
}"""
EVALUATIONS = {
    "standard": """SELECT ?run ?measure ?value WHERE { GRAPH ?g {
      ?run a mls:Run ; mls:hasOutput ?evaluation .
      ?evaluation a mls:ModelEvaluation ; mls:specifiedBy ?measure ; mls:hasValue ?value } }""",
    "ontolab": """SELECT ?run ?metric ?value WHERE { GRAPH ?g {
      ?run a ol:Run ; ?metric ?value .
      FILTER(STRSTARTS(STR(?metric), "https://w3id.org/ontolab/metric#")) } }""",
}
DISTRIBUTIONS = {
    "standard": """SELECT ?dataset ?media_type ?size WHERE { GRAPH ?g {
      ?dataset a dcat:Dataset ; dcat:distribution ?file .
      ?file a dcat:Distribution ; dcat:mediaType ?media_type ; dcat:byteSize ?size } }""",
    "ontolab": """SELECT ?dataset ?media_type ?size WHERE { GRAPH ?g {
      ?dataset a ol:Dataset ; dcat:mediaType ?media_type ; ol:byteSize ?size } }""",
}
ACTIVITIES = {
    "standard": """SELECT ?activity ?started WHERE { GRAPH ?g {
      ?activity a prov:Activity ; prov:startedAtTime ?started } }""",
    "ontolab": """SELECT ?activity ?started WHERE { GRAPH ?g {
      { ?activity a ol:Run } UNION { ?activity a ol:StepRun }
      UNION { ?activity a ol:ModelDeployment }
      ?activity prov:startedAtTime ?started } }""",
}


def lineage(model_class: str, dataset_class: str) -> str:
    return LINEAGE.replace("MODEL", model_class).replace("DATASET", dataset_class)


def rows(platform: Platform, query: str) -> set[tuple[Any, ...]]:
    found = platform.store.select_values(PREFIXES + query)
    return {tuple(sorted(row.items())) for row in found}


@pytest.fixture(scope="module", params=STORES)
def platform(
    request: pytest.FixtureRequest,
    store_servers: dict[str, StoreServer],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    """A platform on one store holding one succeeded iris run and one uploaded dataset."""
    url = "" if request.param == "embedded" else store_servers[request.param].store_url
    if url:
        clear_ontolab_graphs(url)
    data = tmp_path_factory.mktemp(f"standard-{request.param}")
    settings = Settings.load({"data": data, "store": url or None}, environ={})
    opened = open_platform(settings, serve_deployments=False)
    try:
        graph = definitions.parse(EXAMPLE.read_text())
        record = opened.runs.run(definitions.submit(opened.store, graph).version)
        assert record.status == "succeeded", record.error
        opened.datasets.upload("flowers", b"a,b,target\n1,2,0\n3,4,1\n5,6,0\n", "text/csv")
        yield opened
    finally:
        opened.close()


@pytest.mark.slow
def test_lineage_from_model_to_dataset_in_standard_terms(platform: Platform) -> None:
    standard = rows(platform, lineage("mls:Model", "mls:Dataset"))
    ontolab = rows(platform, lineage("ol:Model", "ol:Dataset"))
    assert standard == ontolab
    assert len({dict(row)["model"] for row in standard}) == 1, "one model"
    assert len(standard) == 2, "the model comes from the splits and the extracted dataset"
    assert rows(platform, lineage("mls:Model", "dcat:Dataset")) == standard


@pytest.mark.slow
def test_runs_with_their_evaluations_in_ml_schema_terms(platform: Platform) -> None:
    standard = {
        (row["run"], row["measure"].rpartition("#")[2], row["value"])
        for row in platform.store.select_values(PREFIXES + EVALUATIONS["standard"])
    }
    ontolab = {
        (row["run"], row["metric"].rpartition("#")[2], row["value"])
        for row in platform.store.select_values(PREFIXES + EVALUATIONS["ontolab"])
    }
    assert standard == ontolab
    assert {measure for _, measure, _ in standard} >= {"accuracy", "f1"}


@pytest.mark.slow
def test_datasets_with_their_distributions_in_dcat_terms(platform: Platform) -> None:
    standard = rows(platform, DISTRIBUTIONS["standard"])
    assert standard == rows(platform, DISTRIBUTIONS["ontolab"])
    datasets = {dict(row)["dataset"] for row in standard}
    assert len(datasets) == 3, "the run's dataset and splits, and the uploaded version"


@pytest.mark.slow
def test_activities_in_prov_terms(platform: Platform) -> None:
    standard = rows(platform, ACTIVITIES["standard"])
    assert standard == rows(platform, ACTIVITIES["ontolab"])
    assert len(standard) == 6, "the run and its five step runs"


@pytest.mark.slow
def test_every_node_carries_its_standard_types_in_the_graph_that_types_it(
    platform: Platform,
) -> None:
    types = ontology_types()
    held: dict[str, list[tuple[str, str]]] = {}
    for row in queries.select_values(platform.store, "typed_nodes", classes=types.classes()):
        held.setdefault(row["g"], []).append((row["node"], row["type"]))
    kinds = {graph.split("/id/")[-1].split("/")[0] for graph in held}
    assert {"run", "experiment", "model", "dataset", "source"} <= kinds, kinds
    assert {graph: types.missing(pairs) for graph, pairs in held.items()} == {
        graph: [] for graph in held
    }


@pytest.mark.slow
def test_upgrade_gives_a_graph_written_without_standard_types_the_same_answers(
    platform: Platform,
) -> None:
    """The run's graph as earlier versions wrote it (no standard types, no distributions),
    then upgraded."""
    query = PREFIXES + "SELECT ?run WHERE { GRAPH ?run { ?run a ol:Run } }"
    (run,) = [URIRef(str(r["run"])) for r in platform.store.select(query)]
    before = {name: rows(platform, query["standard"]) for name, query in _PAIRS.items()}
    assert isinstance(platform.store, StandardTypedStore)
    platform.store.backend.replace_graph(run, _without_standard_types(platform, run))
    assert not rows(platform, ACTIVITIES["standard"]), "no activity is typed so any longer"
    assert len(rows(platform, DISTRIBUTIONS["standard"])) == 1, "the upload's alone"

    assert add_distributions(platform.store) == 2, "the run's dataset and splits"
    added, graphs = add_standard_types(platform.store)
    assert graphs == 1 and added >= 12, (added, graphs)
    assert {name: rows(platform, query["standard"]) for name, query in _PAIRS.items()} == before
    assert add_distributions(platform.store) == 0
    assert add_standard_types(platform.store) == (0, 0)


_PAIRS = {
    "lineage": {"standard": lineage("mls:Model", "mls:Dataset")},
    "evaluations": EVALUATIONS,
    "distributions": DISTRIBUTIONS,
    "activities": ACTIVITIES,
}


def _without_standard_types(platform: Platform, run: URIRef) -> list[Triple]:
    found = queries.select(platform.store, "graph_triples", graph=str(run))
    triples = [(row["s"], row["p"], row["o"]) for row in found]
    superclasses = ontology_types().superclasses
    added = {
        (s, str(standard))
        for s, p, o in triples
        if p == RDF.type
        for standard in superclasses.get(str(o), ())
    }
    files = {o for s, p, o in triples if p == DCAT.distribution}
    return [
        (s, p, o)
        for s, p, o in triples
        if not (p == RDF.type and (s, str(o)) in added)
        and p != DCAT.distribution
        and s not in files
    ]
