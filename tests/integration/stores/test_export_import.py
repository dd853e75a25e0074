"""`ontolab store export` / `import`: embedded → file → Oxigraph server and Virtuoso, losslessly."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from server import definitions
from server.cli import main
from server.errors import StoreError
from server.graph import queries
from server.graph.namespaces import run_iri
from server.platform import open_platform
from server.settings import Settings
from server.store import ReadableStore, open_store
from server.store.base import Row
from server.store.oxigraph import OxigraphStore
from server.store.transfer import export_graphs, import_graphs, quad_count
from server.tracking import catalog

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "wine.ttl"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    """An embedded store holding one run of the wine example: (data dir, run id, model IRI)."""
    data = tmp_path_factory.mktemp("source")
    platform = open_platform(Settings.load({"data": data}, environ={}), serve_deployments=False)
    try:
        graph = definitions.parse(EXAMPLE.read_text())
        record = platform.runs.run(definitions.submit(platform.store, graph).version)
        assert record.status == "succeeded", record.error
        model = catalog.resolve_model(platform.store, record.run_id)
    finally:
        platform.close()
    yield data, record.run_id, model


def _same(value: Any) -> Any:
    """Values as comparable across stores: Virtuoso prints doubles with 6 significant digits
    and times in another (equal) form."""
    if isinstance(value, float):
        return float(f"{value:.5g}")
    if isinstance(value, str) and value[:4].isdigit() and "T" in value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def answers(store: ReadableStore, run_id: str, model: str) -> dict[str, list[str]]:
    run = str(run_iri(run_id))
    asked = {
        "runs": {},
        "run_metrics": {"run": run},
        "run_hyperparameters": {"run": run},
        "run_artifacts": {"run": run},
        "run_steps": {"run": run},
        "lineage": {"entity": model},
        "lineage_nodes": {"entity": model},
        "experiments": {},
        "registry_models": {},
    }
    return {
        name: sorted(
            repr(sorted((k, _same(v)) for k, v in row.items()))
            for row in queries.select_values(store, name, **params)
        )
        for name, params in asked.items()
    }


@pytest.mark.slow
@pytest.mark.parametrize("target", ["oxigraph-server", "virtuoso"])
def test_round_trip_keeps_every_quad_and_every_answer(
    source: tuple[Path, str, str],
    store_servers: dict[str, Any],
    clear_store: Callable[[str], None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    target: str,
) -> None:
    data, run_id, model = source
    url = store_servers[target].store_url
    for suffix in (".nq", ".trig"):
        clear_store(url)
        dump = tmp_path / f"dump{suffix}"
        assert main(["--data", str(data), "store", "export", str(dump)]) == 0
        assert main(["--data", str(data), "--store", url, "store", "import", str(dump)]) == 0
        assert "imported" in capsys.readouterr().out
        embedded, remote = open_store(f"oxigraph:{data / 'store'}"), open_store(url)
        try:
            assert quad_count(remote) == quad_count(embedded) > 1000
            expected, got = answers(embedded, run_id, model), answers(remote, run_id, model)
            for name, rows in expected.items():
                assert got[name] == rows, (name, set(got[name]) ^ set(rows))
        finally:
            embedded.close()
            remote.close()


class _FailingMidway(OxigraphStore):
    """The embedded store, with its reads failing from the third on: an endpoint that goes
    away in the middle of an export."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.reads = 0

    def select(self, query: str) -> list[Row]:
        self._read()
        return super().select(query)

    def serialize_query(self, query: str, media_types: Sequence[str] = ()) -> tuple[bytes, str]:
        self._read()
        return super().serialize_query(query, media_types)

    def _read(self) -> None:
        self.reads += 1
        if self.reads > 2:
            raise StoreError("the store went away")


def test_export_writes_the_whole_file_and_nothing_beside_it(
    source: tuple[Path, str, str], tmp_path: Path
) -> None:
    data = source[0]
    dump = tmp_path / "dump.nq"
    store = OxigraphStore(data / "store")
    try:
        moved = export_graphs(store, dump)
        assert moved.quads == quad_count(store) > 1000
    finally:
        store.close()
    assert sum(1 for _ in ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS)) == moved.quads
    assert [p.name for p in tmp_path.iterdir()] == ["dump.nq"]


def test_failed_export_leaves_the_file_as_it_was(
    source: tuple[Path, str, str], tmp_path: Path
) -> None:
    dump = tmp_path / "dump.nq"
    dump.write_text("an earlier export\n")
    store = _FailingMidway(source[0] / "store")
    try:
        with pytest.raises(StoreError, match="went away"):
            export_graphs(store, dump)
        assert store.reads == 3  # the graph list and one graph were read before the failure
    finally:
        store.close()
    assert dump.read_text() == "an earlier export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["dump.nq"]


G = "https://w3id.org/ontolab/test/g"
NQ = '<https://w3id.org/ontolab/test/s> <https://w3id.org/ontolab/test/p> "{value}" <{graph}> .\n'


def _values(store: OxigraphStore, graph: str) -> list[str]:
    rows = queries.select_values(store, "graph_triples", graph=graph)
    return sorted(str(row["o"]) for row in rows)


@pytest.mark.parametrize(
    "bad_end",
    [
        '<https://w3id.org/ontolab/test/s> <https://w3id.org/ontolab/test/p> "cut short\n',
        '<https://w3id.org/ontolab/test/s> <https://w3id.org/ontolab/test/p> "no graph" .\n',
    ],
    ids=["cut short", "outside any graph"],
)
def test_an_import_that_fails_changes_nothing(tmp_path: Path, bad_end: str) -> None:
    """The file is read whole before anything is written: a bad last line, after graphs that
    would replace one already there and add another, leaves the store as it was."""
    dump = tmp_path / "bad.nq"
    dump.write_text(NQ.format(value="new", graph=G) + NQ.format(value="x", graph=f"{G}2") + bad_end)
    store = OxigraphStore(tmp_path / "store")
    try:
        store.replace_graph(URIRef(G), [(URIRef(f"{G}/s"), URIRef(f"{G}/p"), Literal("old"))])
        before = quad_count(store)
        with pytest.raises(StoreError, match="cannot read|outside any named graph"):
            import_graphs(store, dump)
        assert quad_count(store) == before == 1
        assert _values(store, G) == ["old"] and _values(store, f"{G}2") == []
    finally:
        store.close()


def test_a_graph_met_again_further_on_keeps_both_stretches(tmp_path: Path) -> None:
    dump = tmp_path / "by_hand.nq"
    dump.write_text(
        NQ.format(value="a", graph=G) + NQ.format(value="x", graph=f"{G}2")
        + NQ.format(value="b", graph=G)
    )  # fmt: skip
    store = OxigraphStore(tmp_path / "store")
    try:
        store.replace_graph(URIRef(G), [(URIRef(f"{G}/s"), URIRef(f"{G}/p"), Literal("old"))])
        moved = import_graphs(store, dump)
        assert (moved.graphs, moved.quads) == (2, 3)
        assert _values(store, G) == ["a", "b"] and _values(store, f"{G}2") == ["x"]
    finally:
        store.close()
