"""`ontolab store upgrade`: run graphs written by the earlier shape read fully again."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef

from server import definitions
from server.cli import main
from server.graph import queries, run_numbers
from server.graph.namespaces import DCTERMS, MLS, OL, OLM, OLP, RDF, RUN_INDEX_GRAPH, run_iri
from server.platform import open_platform
from server.settings import Settings
from server.store import Store, open_store
from server.store.base import Triple
from server.tracking import catalog, run_index

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "wine.ttl"


def as_written_before(store: Store, run: URIRef) -> list[Triple]:
    """The run's graph in the earlier shape: each setting a node of the run's own, tied to the
    run by mls:hasInput and to its step run by dcterms:isPartOf; no olm: or olp: values and no
    run number."""
    rows = queries.select(store, "graph_triples", graph=str(run))
    triples = [(row["s"], row["p"], row["o"]) for row in rows]
    old = [
        (s, p, o)
        for s, p, o in triples
        if p not in (OL.hasHyperParameterSetting, OL.runNumber)
        and not str(p).startswith((str(OLM), str(OLP)))
    ]
    for step_run, p, setting in triples:
        if p != OL.hasHyperParameterSetting:
            continue
        facts = store.select(
            "PREFIX ol: <https://w3id.org/ontolab/ns#> PREFIX mls: <http://www.w3.org/ns/mls#> "
            f"SELECT ?name ?value ?parameter WHERE {{ <{setting}> ol:parameterName ?name ; "
            "mls:hasValue ?value ; mls:specifiedBy ?parameter }"
        )[0]
        node = URIRef(f"{step_run}/hyperparameter/{facts['name']}")
        old += [
            (run, MLS.hasInput, node),
            (node, RDF.type, MLS.HyperParameterSetting),
            (node, MLS.specifiedBy, facts["parameter"]),
            (node, OL.parameterName, facts["name"]),
            (node, MLS.hasValue, facts["value"]),
            (node, DCTERMS.isPartOf, step_run),
        ]
    return old


def upgrade(data: Path, capsys: pytest.CaptureFixture[str], changed: int) -> None:
    """``ontolab store upgrade`` on ``data`` succeeds and says it changed ``changed`` runs."""
    assert main(["--data", str(data), "store", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert f"upgraded {changed} run graphs" in out
    assert f"numbered {changed} runs; added one-hop parameter values to {changed} runs" in out


@pytest.mark.slow
def test_upgrade_adds_what_old_run_graphs_lack_and_is_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    platform = open_platform(Settings.load({"data": tmp_path}, environ={}), serve_deployments=False)
    try:
        version = definitions.submit(platform.store, definitions.parse(EXAMPLE.read_text()))
        record = platform.runs.run(version.version)
        assert record.status == "succeeded", record.error
        run = run_iri(record.run_id)
        expected = catalog.run_details(platform.store, record.run_id)["hyperparameters"]
        board = catalog.leaderboard(platform.store, "wine", "accuracy")
        assert expected and board, "the example records hyperparameters and accuracy"
        by_param = run_index.Selection(filter="params.n_estimators = 100")
        assert run_index.select(platform.store, by_param)[0] == 1
        platform.store.replace_graph(run, as_written_before(platform.store, run))
        platform.store.delete_graph(RUN_INDEX_GRAPH)
        run_numbers.forget(platform.store)  # as a store written before run numbers
        assert catalog.run_details(platform.store, record.run_id)["hyperparameters"] == []
        assert catalog.leaderboard(platform.store, "wine", "accuracy") == []
        assert run_index.select(platform.store, by_param)[0] == 0, "no olp: value"
        assert run_index.summaries(platform.store, [record.run_id])[0].number is None
    finally:
        platform.close()

    upgrade(tmp_path, capsys, changed=1)
    store = open_store(f"oxigraph:{tmp_path / 'store'}")
    try:
        assert catalog.run_details(store, record.run_id)["hyperparameters"] == expected
        assert catalog.leaderboard(store, "wine", "accuracy") == board
        assert run_index.select(store, by_param)[0] == 1
        assert run_index.summaries(store, [record.run_id])[0].number == 1
    finally:
        store.close()

    upgrade(tmp_path, capsys, changed=0)
