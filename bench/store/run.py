"""Benchmark: the hot queries and run writes at 10,000 runs, Ontolab's stores vs MLflow.

Runs the breast_cancer example once for real, then clones its RunRecord N times (metrics and
C perturbed) and writes each through the project's own result writer (server/tracking/writer.py),
so the lineage graph has the real shape (~170 triples a run, plus the shared graphs) in the
platform's embedded Oxigraph store on disk. The same graph is exported and loaded into the
Oxigraph server (``oxigraph serve``) and rdflib in memory, and the same runs are logged into
MLflow (bench/.venv-mlflow, sqlite).
Timed side by side: writing runs into the store of N runs, each as the platform saves it at
its start and then with its results (runs/s, the median of ROUNDS rounds; MLflow, the same two
moments: create_run, then log_batch + set_terminated, its rounds taking turns with the
embedded store's; and, as the ceiling for this graph, pyoxigraph's own transactions for the
same quads made beforehand), leaderboard (top 10 by accuracy in one experiment; MLflow:
search_runs ordered by the metric), compare (two runs' params and metrics) and lineage (model
back to its source).

    .venv/bin/python bench/store/run.py [--runs 10000] [--repeats 21] [--rounds 5] [--no-rdflib]
        [--data DIR] [--mlflow-db FILE | --no-mlflow]

``--data DIR`` starts from a copy of a platform data directory that already holds the runs
(bench/api/compare_runs.py --data DIR builds one) instead of writing them; ``--mlflow-db FILE``
starts MLflow's side from a copy of an MLflow sqlite file (bench/api/compare_runs.py
--mlflow-db FILE) instead of logging them. Neither original is written to.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import io
import json
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset, URIRef

from server import definitions
from server.graph import queries
from server.graph.namespaces import metric_property, output_iri, run_iri
from server.platform import open_platform
from server.settings import Settings
from server.store import Store, open_store
from server.store.oxigraph import to_quads, to_rdflib
from server.tracking.records import RunRecord, as_started
from server.tracking.results import run_triples
from server.tracking.writer import RunWriter

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "breast_cancer.ttl"
MLFLOW_PYTHON = ROOT / "bench" / ".venv-mlflow" / "bin" / "python"
METRIC = "accuracy"
EXPERIMENT = "breast_cancer"
#: With ``--data``, the timed writes are runs ``WRITE_BASE + i``: ids starting "b0", far past
#: the clones (0, 1, ...) and bench/api's writes (1,100,000 + runs, ...); checked in the store.
WRITE_BASE = 0xB0 << 56

#: One timed write round: its index in, runs/s out.
RoundRate = Callable[[int], float]


def clone(record: RunRecord, index: int, rng: random.Random) -> RunRecord:
    """A copy of ``record`` as run number ``index``: metrics and C perturbed."""
    twin = copy.deepcopy(record)
    twin.run_id = f"{index:016x}"
    validate = twin.steps["validate"]
    assert validate.result is not None
    metrics = {k: min(1.0, v * rng.uniform(0.9, 1.02)) for k, v in validate.result.metrics.items()}
    validate.result = dataclasses.replace(validate.result, metrics=metrics)
    build = twin.steps["build"]
    assert build.result is not None
    summary = dict(build.result.summary)
    summary["hyperparameters"] = {**summary["hyperparameters"], "C": rng.choice([0.1, 1.0, 10.0])}
    build.result = dataclasses.replace(build.result, summary=summary)
    return twin


def mlflow_row(record: RunRecord) -> dict[str, Any]:
    """What MLflow logs of a run: metrics and params, and each step's facts as tags."""
    validate, build = record.steps["validate"].result, record.steps["build"].result
    assert validate is not None and build is not None
    steps = {}
    for step in record.steps.values():
        assert step.result is not None
        facts: dict[str, Any] = {"status": step.status, "worker": step.worker}
        facts |= {"started": step.started_at, "ended": step.ended_at}
        for ref in step.result.outputs.values():
            facts |= {"sha256": ref.sha256, "size": ref.size, "media_type": ref.media_type}
        steps[step.id] = facts
    return {"metrics": validate.metrics, "params": build.summary["hyperparameters"], "steps": steps}


def p50(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--writes", type=int, default=200, help="runs written to time writes")
    parser.add_argument("--rounds", type=int, default=5, help="write rounds; the median counts")
    parser.add_argument("--no-rdflib", action="store_true", help="skip rdflib (slow to load)")
    parser.add_argument("--no-mlflow", action="store_true", help="skip MLflow's side")
    parser.add_argument(
        "--mlflow-repeats",
        type=int,
        help="search_runs calls (default: --repeats; 23 min a call at 100,000 runs)",
    )
    parser.add_argument(
        "--data", type=Path, help="start from a copy of this data dir's runs (--runs is ignored)"
    )
    parser.add_argument(
        "--mlflow-db", type=Path, help="start MLflow's side from a copy of this sqlite file"
    )
    args = parser.parse_args()
    if isinstance(sys.stdout, io.TextIOWrapper):  # progress lines as they come, to a file too
        sys.stdout.reconfigure(line_buffering=True)
    for given in (args.data, args.mlflow_db):
        if given is not None and not given.exists():
            sys.exit(f"{given} does not exist: build it with bench/api/compare_runs.py")
    tmp = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        with contextlib.ExitStack() as cleanup:
            bench(args, tmp, cleanup)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench(args: argparse.Namespace, tmp: Path, cleanup: contextlib.ExitStack) -> None:
    started = time.perf_counter()
    if args.data:
        copy_data(args.data, tmp / "data")
    settings = Settings.load({"data": tmp / "data"}, environ={})
    platform = open_platform(settings)
    try:
        if args.data:
            args.runs = count_runs(platform.store)
            print(f"the copy holds {args.runs:,} runs of {EXPERIMENT}", flush=True)
        version = definitions.submit(platform.store, definitions.parse(EXAMPLE.read_text())).version
        record = platform.runs.run(version)
        assert record.status == "succeeded", record.error
        print(f"ran the example for real: run {record.run_id}", flush=True)
        rng = random.Random(7)
        if args.data:
            clones: list[RunRecord] = []
            first = free_write_base(platform.store, 3 * args.writes)
            a, b, model = stored_iris(platform.store)
        else:
            clones = [clone(record, index, rng) for index in range(args.runs)]
            writer = RunWriter(platform.store)
            for index, twin in enumerate(clones):
                writer.write(twin)
                if index and index % 10_000 == 0:
                    print(f"  {index} runs written ({time.perf_counter() - started:.0f} s)")
            first = args.runs
            a, b = run_iri(clones[0].run_id), run_iri(clones[1].run_id)
            model = output_iri(clones[-1].run_id, "build")
        extra = [clone(record, first + i, rng) for i in range(args.writes)]
        unseen = [clone(record, first + args.writes + i, rng) for i in range(args.writes)]
        untyped = [clone(record, first + 2 * args.writes + i, rng) for i in range(args.writes)]
    finally:
        platform.close()
    seconds = time.perf_counter() - started
    if args.data:
        print(f"prepared the copy of {args.runs} runs in {seconds:.0f} s")
    else:
        print(f"generated {args.runs} runs by server/tracking/writer.py in {seconds:.0f} s")
    # The Oxigraph server gets the same graph: rdflib needs an N-Quads dump, exported by the CLI
    # in a process of its own, as a user would (so that the bench's process has not held and
    # freed the whole graph before it times the embedded store), and the server loads it; without
    # rdflib the server opens a copy of the closed store's directory (the same Oxigraph version
    # and on-disk format), which at 100,000 runs saves the half hour of an export and a load.
    dump = tmp / "graph.nq"
    server_dir = tmp / "server"
    if args.no_rdflib:
        shutil.copytree(settings.data / "store", server_dir)
    else:
        exported = subprocess.run(
            [str(Path(sys.executable).parent / "ontolab"), "--data", str(settings.data), "store",
             "export", str(dump)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        print(exported.stdout.strip())
    hot = {
        "leaderboard": queries.load("leaderboard").render(
            experiment="breast_cancer", metric=metric_property(METRIC), limit=10
        ),
        "compare": queries.load("compare_runs").render(run_a=str(a), run_b=str(b)),
        "lineage": queries.load("lineage").render(entity=str(model)),
    }

    if args.no_mlflow:
        mlflow_rows = []
    elif args.mlflow_db:  # its runs are in the copy already: only the timed writes' rows
        mlflow_rows = [mlflow_row(c) for c in extra]
    elif args.data:  # the stored runs' twins, as bench/api made them (the same seed)
        twins = random.Random(7)
        mlflow_rows = [mlflow_row(clone(record, i, twins)) for i in range(args.runs)]
        mlflow_rows += [mlflow_row(c) for c in extra]
    else:
        mlflow_rows = [mlflow_row(c) for c in clones + extra]
    del clones  # the bench's own heap should not weigh on what it times
    mlflow = MlflowSide.start(mlflow_rows, len(extra), args, tmp)
    del mlflow_rows
    if mlflow is not None:
        cleanup.callback(mlflow.close)

    # Embedded Oxigraph on disk: the platform's own store, written run by run as above (not a
    # bulk-loaded copy, which the platform never is). Each Oxigraph store is optimized first,
    # as Oxigraph advises after a batch load, and timed alone: MLflow has logged its first runs
    # before, and the server starts only once the embedded store is done. Write rounds take
    # turns with MLflow's, so a slow minute of a noisy machine falls on all sides; so do
    # pyoxigraph's own transactions for the same quads, on a copy of the store.
    oxigraph = str(Path(sys.executable).parent / "oxigraph")
    optimize(oxigraph, settings.data / "store")
    shutil.copytree(settings.data / "store", tmp / "native")
    embedded, native = open_store(settings.store_url), ox.Store(str(tmp / "native"))
    try:
        results = {"embedded": time_queries(embedded, hot, args)}
        writer = RunWriter(embedded)
        # The same writer on the store beneath the standard-typed one: the cost of the
        # standard types (server/store/typed.py) alone, in rounds taking turns with the rest.
        bare = RunWriter(embedded.backend)  # type: ignore[attr-defined]
        sides = {
            "embedded": round_rate(extra, args.rounds, partial(_save_twice, writer)),
            "without standard types": round_rate(untyped, args.rounds, partial(_save_twice, bare)),
            "pyoxigraph alone": native_rounds(native, unseen, args.rounds),
        }
        rates = take_turns(args.rounds, sides | (mlflow.write_rounds() if mlflow else {}))
    finally:
        embedded.close()
        native.flush()
    results["embedded"]["runs_per_s"] = statistics.median(rates["embedded"])
    results["embedded"]["engine_runs_per_s"] = statistics.median(rates["pyoxigraph alone"])
    results["embedded"]["untyped_runs_per_s"] = statistics.median(rates["without standard types"])
    results["embedded"]["typed_cost"] = median_ratio(
        rates["without standard types"], rates["embedded"]
    )
    mlflow_figures = mlflow.figures(rates, args) if mlflow else None

    # The Oxigraph server over its own copy.
    if not server_dir.exists():
        subprocess.run(
            [oxigraph, "load", "--location", str(server_dir), "--file", str(dump)],
            check=True, capture_output=True,
        )  # fmt: skip
    optimize(oxigraph, server_dir)
    port = free_port()
    server = subprocess.Popen(
        [oxigraph, "serve", "--location", str(server_dir), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    cleanup.callback(stop, server)
    remote = open_store(f"oxigraph-server:http://127.0.0.1:{port}")
    for _ in range(100):
        try:
            remote.ask("ASK {}")
            break
        except Exception:  # noqa: BLE001 — still starting
            time.sleep(0.1)
    print("timing the Oxigraph server", flush=True)
    try:
        results["oxigraph-server"] = time_queries(remote, hot, args)
        writer = RunWriter(remote)
        results["oxigraph-server"]["runs_per_s"] = median_rate(
            extra, args.rounds, partial(_save_twice, writer)
        )
    finally:
        remote.close()

    if not args.no_rdflib:
        results["rdflib"] = bench_rdflib(dump, hot, extra, args)
    report(args.runs, results, mlflow_figures)


def copy_data(source: Path, target: Path) -> None:
    """A copy of the data directory ``source`` at ``target``: the bench writes runs into it."""
    t0 = time.perf_counter()
    print(f"copying {source} to {target} ...", flush=True)
    shutil.copytree(source, target, symlinks=True)
    print(f"copied {source} in {time.perf_counter() - t0:.0f} s", flush=True)


def count_runs(store: Store) -> int:
    """How many runs of the experiment the store holds."""
    text = f"""
        PREFIX ol: <https://w3id.org/ontolab/ns#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT (COUNT(DISTINCT ?run) AS ?n) WHERE {{
          ?version dcterms:identifier "{EXPERIMENT}" . ?run ol:ofExperimentVersion ?version .
        }}"""
    return int(store.select_values(text)[0]["n"])


def free_write_base(store: Store, count: int) -> int:
    """``WRITE_BASE``, once the store is seen to hold none of the runs ``WRITE_BASE + i``
    (``i < count``) that the timed writes will add."""
    iris = " ".join(f"<{run_iri(f'{WRITE_BASE + i:016x}')}>" for i in range(count))
    if store.ask(f"ASK {{ VALUES ?run {{ {iris} }} ?run ?p ?o }}"):
        sys.exit(f"the store already holds runs {WRITE_BASE:016x}...: use a fresh copy")
    return WRITE_BASE


def stored_iris(store: Store) -> tuple[URIRef, URIRef, URIRef]:
    """Two runs of the experiment to compare and a model for lineage, found in the store:
    the first three runs with a model and a value of ``METRIC``, in the store's own order."""
    text = f"""
        PREFIX ol: <https://w3id.org/ontolab/ns#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?run ?model WHERE {{
          ?version dcterms:identifier "{EXPERIMENT}" . ?run ol:ofExperimentVersion ?version .
          ?run <{metric_property(METRIC)}> ?value .
          GRAPH ?run {{ ?model a ol:Model }}
        }} LIMIT 3"""
    rows = store.select_values(text)
    if len(rows) < 3:
        sys.exit(f"the store holds {len(rows)} runs of {EXPERIMENT} with a model: build it again")
    a, b, model = URIRef(rows[0]["run"]), URIRef(rows[1]["run"]), URIRef(rows[2]["model"])
    lineage = queries.load("lineage").render(entity=str(model))
    assert store.select_values(lineage), f"no lineage from {model}"
    print(f"compare {a} and {b}; lineage of {model}", flush=True)
    return a, b, model


def time_queries(store: Store, hot: dict[str, str], args: argparse.Namespace) -> dict[str, float]:
    """p50 ms of each hot query; the leaderboard and compare answers are checked."""
    row = {
        q: p50(lambda text=text: store.select_values(text), args.repeats)  # type: ignore[misc]
        for q, text in hot.items()
    }
    check(store.select_values(hot["leaderboard"]), store.select_values(hot["compare"]))
    return row


def _save_twice(writer: RunWriter, record: RunRecord) -> None:
    """As RunService saves a run: at its start, then with its results."""
    writer.write(as_started(record))
    writer.write(record)


def round_rate(items: list[Any], rounds: int, write: Callable[[Any], None]) -> RoundRate:
    """Round ``i`` of ``rounds`` equal rounds of ``items``: items written per second."""
    size = max(1, len(items) // rounds)

    def rate(index: int) -> float:
        t0 = time.perf_counter()
        for item in items[index * size : (index + 1) * size]:
            write(item)
        return size / (time.perf_counter() - t0)

    return rate


def median_rate(items: list[Any], rounds: int, write: Callable[[Any], None]) -> float:
    """Items written per second: the median over ``rounds`` equal rounds, so one slow moment
    of a noisy machine (a compaction, another process) does not make the figure."""
    return statistics.median(map(round_rate(items, rounds, write), range(rounds)))


def take_turns(rounds: int, sides: dict[str, RoundRate]) -> dict[str, list[float]]:
    """Each side's rate in each round, round ``i`` of every side in turn."""
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for index in range(rounds):
        for name, rate in sides.items():
            rates[name].append(rate(index))
        done = ", ".join(f"{name} {rates[name][-1]:.0f}" for name in sides)
        print(f"write round {index + 1}/{rounds}, runs/s: {done}", flush=True)
    return rates


def median_ratio(ours: list[float], theirs: list[float]) -> float:
    """The median over rounds of one side's rate over the other's in the same round."""
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def native_rounds(store: ox.Store, records: list[RunRecord], rounds: int) -> RoundRate:
    """The same two saves as pyoxigraph's own transactions and nothing else: the quads of each
    run are made before the clock starts, so no write path for this graph on this store can beat
    this rate."""
    saves = [_native_saves(record) for record in records]

    def save(parts: list[list[ox.Quad]]) -> None:
        for quads in parts:
            store.extend(quads)

    return round_rate(saves, rounds, save)


def _native_saves(record: RunRecord) -> list[list[ox.Quad]]:
    """The quads of a run's two saves: at its start, then what its results add."""
    graph = ox.NamedNode(str(run_iri(record.run_id)))
    started = set(run_triples(as_started(record)))
    added = set(run_triples(record)) - started
    return [to_quads(started, graph), to_quads(added, graph)]


def optimize(oxigraph: str, location: Path) -> None:
    t0 = time.perf_counter()
    subprocess.run([oxigraph, "optimize", "--location", str(location)], check=True)
    print(f"optimized {location.name} in {time.perf_counter() - t0:.1f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(10)


def check(leaderboard: list[dict[str, Any]], compare: list[dict[str, Any]]) -> None:
    values = [row["value"] for row in leaderboard]
    assert len(values) == 10 and values == sorted(values, reverse=True), leaderboard
    kinds = {(row["run"], row["kind"]) for row in compare}
    assert len(kinds) == 4, compare


def bench_rdflib(
    dump: Path, hot: dict[str, str], extra: list[RunRecord], args: argparse.Namespace
) -> dict[str, float]:
    t0 = time.perf_counter()
    dataset = Dataset(default_union=True)
    dataset.parse(source=str(dump), format="nquads")
    print(f"rdflib (memory): parse {time.perf_counter() - t0:.1f} s")
    repeats = min(args.repeats, 3)
    row = {q: p50(lambda text=text: list(dataset.query(text)), repeats)  # type: ignore[misc]
           for q, text in hot.items()}  # fmt: skip

    def save_twice(twin: RunRecord) -> None:
        graph = dataset.graph(URIRef(run_iri(twin.run_id)))
        for record in (as_started(twin), twin):
            for s, p, o in run_triples(record):
                graph.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))

    row["runs_per_s"] = median_rate(extra, args.rounds, save_twice)
    return row


class MlflowSide:
    """``mlflow_side.py`` in bench/.venv-mlflow, driven a command a line: it logs the first
    runs as it starts, then one timed round (or the search_runs timing) per command."""

    ROUNDS = {"mlflow": "plain", "mlflow with steps": "with_steps"}

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process

    @classmethod
    def start(
        cls, rows: list[dict[str, Any]], extra: int, args: argparse.Namespace, tmp: Path
    ) -> MlflowSide | None:
        if args.no_mlflow:
            return None
        if not MLFLOW_PYTHON.exists():
            print(f"MLflow skipped: {MLFLOW_PYTHON} is missing (bench/serving/run.py installs it)")
            return None
        t0 = time.perf_counter()
        db = []
        if args.mlflow_db:
            db = [str(tmp / "mlflow.db")]
            copy_sqlite(args.mlflow_db, Path(db[0]))
        process = subprocess.Popen(
            [str(MLFLOW_PYTHON), str(Path(__file__).with_name("mlflow_side.py")), METRIC,
             str(extra), str(args.rounds), *db],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=(tmp / "mlflow.log").open("w"),
            text=True,
        )  # fmt: skip
        side = cls(process)
        assert process.stdin is not None
        process.stdin.writelines(json.dumps(row) + "\n" for row in rows)
        process.stdin.write("\n")
        process.stdin.flush()
        first = side._answer()
        if db:
            print(f"MLflow (sqlite): a copy of {args.mlflow_db}, {first:,.0f} runs of {EXPERIMENT}")
        else:
            print(
                f"MLflow (sqlite): logged the first {len(rows) - extra:,} runs in "
                f"{time.perf_counter() - t0:.0f} s, {first:.0f} runs/s"
            )
        return side

    def ask(self, command: str, argument: int) -> float:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{command} {argument}\n")
        self._process.stdin.flush()
        return self._answer()

    def write_rounds(self) -> dict[str, RoundRate]:
        return {name: partial(self.ask, command) for name, command in self.ROUNDS.items()}

    def figures(self, rates: dict[str, list[float]], args: argparse.Namespace) -> dict[str, float]:
        """search_runs' p50 and the medians of the write rounds; ``ratio``: the median over
        rounds of the embedded store's rate over MLflow's in the same round."""
        return {
            "search_runs_p50_ms": self.ask("search", args.mlflow_repeats or args.repeats),
            "runs_per_s": statistics.median(rates["mlflow"]),
            "with_steps_runs_per_s": statistics.median(rates["mlflow with steps"]),
            "ratio": median_ratio(rates["embedded"], rates["mlflow"]),
            "with_steps_ratio": median_ratio(rates["embedded"], rates["mlflow with steps"]),
            "native_ratio": median_ratio(rates["pyoxigraph alone"], rates["mlflow"]),
        }

    def _answer(self) -> float:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.startswith("@"):
                return float(json.loads(line[1:])["value"])
        raise RuntimeError(f"the MLflow side exited with {self._process.wait()}; see mlflow.log")

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(60)


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of an sqlite file (read-only on ``source``, WAL or not)."""
    t0 = time.perf_counter()
    with (
        contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
    print(f"copied {source} in {time.perf_counter() - t0:.0f} s", flush=True)


def report(
    runs: int, results: dict[str, dict[str, float]], mlflow: dict[str, float] | None
) -> None:
    print(f"\n{runs:,} runs; p50 ms per query; writes in runs/s")
    print(f"  {'store':<17}{'leaderboard':>12}{'compare':>10}{'lineage':>10}{'writes':>10}")
    for name, row in results.items():
        print(
            f"  {name:<17}{row['leaderboard']:>12.2f}{row['compare']:>10.2f}"
            f"{row['lineage']:>10.2f}{row['runs_per_s']:>10.0f}"
        )
    if mlflow is None:
        return
    print(
        f"  {'mlflow (sqlite)':<17}{mlflow['search_runs_p50_ms']:>12.2f}{'-':>10}{'-':>10}"
        f"{mlflow['runs_per_s']:>10.0f}"
    )
    embedded = results["embedded"]
    print(
        f"\nleaderboard: embedded {mlflow['search_runs_p50_ms'] / embedded['leaderboard']:.0f}x "
        f"faster than MLflow search_runs (target >= 50x)"
    )
    print(
        f"writes: embedded {mlflow['ratio']:.1f}x MLflow create_run + log_batch + "
        "set_terminated, the median of the rounds' ratios (target >= 10x)"
    )
    engine = embedded["engine_runs_per_s"]
    print(
        f"       {mlflow['native_ratio']:.1f}x for pyoxigraph's transactions alone "
        f"({engine:.0f} runs/s: the same quads, made beforehand; no write path for this "
        "graph does better)"
    )
    print(
        f"       {mlflow['with_steps_ratio']:.1f}x MLflow logging the same step-level facts "
        f"({mlflow['with_steps_runs_per_s']:.0f} runs/s: a nested run per step, its artifact "
        "as tags; for comparison only)"
    )
    print(
        f"       the standard types cost {100 * (embedded['typed_cost'] - 1):.0f}% of the write "
        f"rate ({embedded['untyped_runs_per_s']:.0f} runs/s without them, the median of the "
        "rounds' ratios)"
    )
    slow = [q for q in ("leaderboard", "compare", "lineage") if embedded[q] > 20]
    print("embedded p50 <= 20 ms for leaderboard, compare, lineage:", "yes" if not slow else slow)


if __name__ == "__main__":
    main()
