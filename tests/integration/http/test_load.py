"""50 clients at once for a bounded time against a served platform with a deployed model.

The load generator is ``bench/load/run.py`` (loaded from its file, so the benchmark and this
test cannot drift apart): predicts on the deployment and on the platform, the run list, compare,
SPARQL and health, while 3 of the clients start a run each. No request may fail (no 5xx, no
4xx, no connection error, no timeout), and afterwards the graph must be consistent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
CLIENTS = 50
SECONDS = 20.0
RUNS = 3


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_fifty_clients_get_no_error_and_leave_a_consistent_graph(
    tmp_path: Path, serve_app: Any
) -> None:
    bench = load_bench()
    with bench.served_platform(tmp_path / "data", serve_app) as url:
        target = bench.seed(url)
        tally = bench.hammer(target, CLIENTS, SECONDS, RUNS)
        problems = bench.consistency(target, tally.started)
    figures = tally.summary()
    print({kind: (row["requests"], row["p50_ms"], row["p99_ms"]) for kind, row in figures.items()})
    assert not tally.errors, f"{len(tally.errors)} errors, first: {tally.errors[:10]}"
    assert len(tally.started) == RUNS
    assert not problems, problems
    assert set(figures) >= set(bench.KINDS) | {"start run"}
    assert all(row["requests"] > 0 for row in figures.values())
