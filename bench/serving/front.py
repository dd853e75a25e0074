"""What the stable front of an alias-following deployment adds to /predict.

Two deployments of the same version in one platform: one made from the version (clients reach
its model server directly), one made from the alias ``champion`` (clients reach a front in the
platform process that forwards to an identical model server). Loaded alternately with wrk —
direct, front, direct, front … ``--rounds`` times, ``--duration`` seconds each — at each of
``--connections``; a side's figure is the median over its rounds. Written to
``bench/results/serving-front.json``.

    .venv/bin/python bench/serving/front.py [--duration 5] [--rounds 3] [--connections 1 8]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests
from sklearn.datasets import load_breast_cancer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    MODEL_NAME,
    RESULTS,
    ROOT,
    Settings,
    alternate,
    create_app,
    definitions,
    deploy,
    ensure_wrk,
    open_platform,
    print_latencies,
    stop_waitress,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per round")
    parser.add_argument("--rounds", type=int, default=3, help="direct/front alternations")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    wrk = ensure_wrk()
    row = {str(k): float(v) for k, v in load_breast_cancer(as_frame=True).data.iloc[0].items()}
    body = json.dumps({"dataframe_records": [row]})
    with tempfile.TemporaryDirectory(prefix="ontolab-bench-front-") as name, ExitStack() as stack:
        tmp = Path(name)
        report = measure(stack, tmp, wrk, body, args)
    report["load"] = f"wrk -t1 -d{args.duration}s --latency, single-row POST, 127.0.0.1"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving-front.json").write_text(json.dumps(report, indent=2))
    print_latencies(report["by_connections"], ("direct", "front"), 16)
    return 0


def measure(
    stack: ExitStack, tmp: Path, wrk: str, body: str, args: argparse.Namespace
) -> dict[str, Any]:
    from waitress.server import create_server

    platform = open_platform(Settings.load({"data": tmp / "data"}, environ={}))
    stack.callback(platform.close)
    server = create_server(create_app(platform=platform), host="127.0.0.1", port=0, threads=8)
    api = f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    stack.callback(stop_waitress, server, thread)
    text = (ROOT / "examples" / "breast_cancer.ttl").read_text()
    record = platform.runs.run(definitions.submit(platform.store, definitions.parse(text)).version)
    if record.status != "succeeded":
        sys.exit(f"the breast_cancer run {record.status}: {record.error}")
    answer = requests.put(
        f"{api}/api/models/{MODEL_NAME}/aliases/champion", json={"version": 1}, timeout=60
    )
    answer.raise_for_status()
    off = {"prediction_log": False}
    sides = {
        "direct": deploy(api, **off),
        "front": deploy(api, version=None, alias="champion", **off),
    }
    assert sides["front"]["follows_alias"] and not sides["direct"]["follows_alias"]
    load = (wrk, body, args.duration, args.rounds, tmp)
    report: dict[str, Any] = {"rounds": args.rounds}
    report["by_connections"] = alternate(sides, args.connections, *load)
    return report


if __name__ == "__main__":
    sys.exit(main())
