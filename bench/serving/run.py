"""Serving benchmark: an Ontolab deployment against ``mlflow models serve``, side by side.

The breast_cancer LogisticRegression pipeline is built once by Ontolab (examples/
breast_cancer.ttl), deployed through ``POST /api/deployments``, and the very same fitted
pipeline is saved with ``mlflow.sklearn.save_model`` and served by ``mlflow models serve
--env-manager local``. One bounded load generator (wrk, concurrency 8, fixed duration, single-row
requests) hits each server in turn on 127.0.0.1. Reported: req/s, p50, p99, the ratios, the
in-process predict time for one row, and the time from deploy request to first healthy answer.

    .venv/bin/python bench/serving/run.py [--duration 10] [--connections 8]
    .venv/bin/python bench/serving/run.py --log-overhead-only   # the prediction log on vs off

The prediction log's cost (issue 21: at most 1 ms p95 on /predict): two deployments of the same
version, one with its prediction log on and one with it off, loaded alternately (off, on, off,
on, … ``--rounds`` times) at each of ``--log-connections``; p50/p95 per side are the medians
over the rounds.

MLflow lives in its own venv (bench/.venv-mlflow, created on first use); wrk is installed with
apt-get if missing. Every process started here is stopped by its pid (a server's process group
is the one it was started in). Nothing is sent anywhere but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import joblib
import requests
import sklearn
from sklearn.datasets import load_breast_cancer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import definitions  # noqa: E402
from server.app import create_app  # noqa: E402
from server.platform import open_platform  # noqa: E402
from server.serving.loaded_model import LoadedModel  # noqa: E402
from server.settings import Settings  # noqa: E402

MLFLOW_VENV = ROOT / "bench" / ".venv-mlflow"
RESULTS = ROOT / "bench" / "results"
MODEL_NAME = "breast-cancer-classifier"
HEALTH_DEADLINE = 120.0

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[BODY]]
done = function(summary, latency, requests)
  io.write(string.format("PERCENTILES_US %d %d %d\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: run `sudo apt-get install -y wrk` and try again")
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=600"]
    subprocess.run([*apt, "update", "-q"], check=True)
    subprocess.run([*apt, "install", "-y", "-q", "--no-install-recommends", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk did not install")


def ensure_mlflow() -> Path:
    python = MLFLOW_VENV / "bin" / "python"
    if not (MLFLOW_VENV / "bin" / "mlflow").exists():
        print(f"installing MLflow into {MLFLOW_VENV} (first run only) …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        pins = [f"scikit-learn=={sklearn.__version__}", "pandas", "mlflow"]
        subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    return python


def wait_healthy(url: str, process: subprocess.Popen[Any] | None, deadline: float) -> float:
    """Seconds until ``url`` answers 200 (polling every 5 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it was healthy")
        try:
            if requests.get(url, timeout=1).ok:
                return time.perf_counter() - started
        except requests.RequestException:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{url} was not healthy within {deadline:g} s")


def run_wrk(wrk: str, url: str, body: str, duration: int, connections: int, tmp: Path) -> dict:
    script = tmp / "post.lua"
    script.write_text(LUA.replace("BODY", body))
    argv = [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url]
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=duration + 60)
    text = out.stdout
    if "Non-2xx" in text or "Socket errors" in text:
        raise RuntimeError(f"wrk saw errors against {url}:\n{text}")
    percentiles = re.search(r"PERCENTILES_US (\d+) (\d+) (\d+)", text)
    return {
        "p95_ms": int(percentiles[2]) / 1000 if percentiles else None,
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1]),  # type: ignore[index]
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", text)[1]),  # type: ignore[index]
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", text)[1]),  # type: ignore[index]
        "requests": int(re.search(r"(\d+) requests in", text)[1]),  # type: ignore[index]
    }


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def stop(process: subprocess.Popen[Any]) -> None:
    """Stop a server we started (and its workers: the process group it leads) by its pid."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def stop_waitress(server: Any, thread: threading.Thread) -> None:
    """Stop a waitress server on its loop's own thread (server.close() from here races it)."""
    from waitress import wasyncore

    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    thread.join(10)
    server.task_dispatcher.shutdown()


def in_process_times(artifact: Path, row: dict[str, float]) -> dict[str, float]:
    bundle = joblib.load(artifact)
    pipeline = bundle["pipeline"]
    import pandas as pd

    frame = pd.DataFrame([row])
    features = pipeline[:-1].transform(frame)
    estimator = pipeline.steps[-1][1]
    model = LoadedModel.load(artifact)
    payload = {"dataframe_records": [row]}

    def per_call_ms(call: Any) -> float:
        runs = timeit.repeat(call, number=200, repeat=5)
        return min(runs) / 200 * 1000

    return {
        "sklearn_estimator_on_numpy_ms": per_call_ms(lambda: estimator.predict(features)),
        "sklearn_pipeline_on_dataframe_ms": per_call_ms(lambda: pipeline.predict(frame)),
        "ontolab_loaded_model_predict_ms": per_call_ms(lambda: model.predict(payload)),
    }


def deploy(api: str, **body: Any) -> dict[str, Any]:
    answer = requests.post(
        f"{api}/api/deployments", json={"model": MODEL_NAME, "version": 1, **body}, timeout=60
    )
    answer.raise_for_status()
    deployment: dict[str, Any] = answer.json()
    wait_healthy(deployment["url"] + "/health", None, HEALTH_DEADLINE)
    return deployment


def log_counters(url: str) -> dict[str, float]:
    text = requests.get(f"{url}/metrics", timeout=10).text
    found = re.findall(
        r"^ontolab_model_prediction_log_(written|dropped)_total ([\d.e+]+)$", text, re.M
    )
    return {name: float(value) for name, value in found}


def log_overhead(api: str, wrk: str, body: str, args: argparse.Namespace, tmp: Path) -> dict:
    """/predict with the prediction log on and off, alternately, in the same minute."""
    sides = {"off": deploy(api, prediction_log=False), "on": deploy(api, prediction_log=True)}
    print(f"log overhead: off {sides['off']['url']}, on {sides['on']['url']}", flush=True)
    load = (wrk, body, args.duration, args.rounds, tmp)
    by_connections = alternate(sides, args.log_connections, *load)
    report: dict[str, Any] = {"rounds": args.rounds, "by_connections": by_connections}
    report["log_counters"] = log_counters(sides["on"]["url"])
    report["log_call_us"] = log_call_microseconds(tmp, body)
    for deployment in sides.values():
        requests.delete(f"{api}/api/deployments/{deployment['id']}", timeout=30).raise_for_status()
    return report


def alternate(
    sides: dict[str, dict],
    connections_list: list[int],
    wrk: str,
    body: str,
    duration: int,
    rounds: int,
    tmp: Path,
) -> dict[str, Any]:
    """Load two deployments in turn, ``rounds`` times at each connection count; per count the
    medians of each side, what the second side adds (``added_ms``) and every round's figures."""
    base, other = list(sides)
    report: dict[str, Any] = {}
    for connections in connections_list:
        runs: dict[str, list[dict]] = {name: [] for name in sides}
        for _ in range(rounds):
            for name, deployment in sides.items():
                url = deployment["url"] + "/predict"
                runs[name].append(run_wrk(wrk, url, body, duration, connections, tmp))
        medians = {name: _medians(found) for name, found in runs.items()}
        medians["added_ms"] = {
            key: medians[other][key] - medians[base][key] for key in ("p50_ms", "p95_ms")
        }
        report[str(connections)] = medians | {"runs": runs}
    return report


def log_call_microseconds(tmp: Path, body: str) -> float:
    """What /predict itself spends on the log: one ``PredictionLogWriter.log`` (a queue put)."""
    from server.monitoring.prediction_log import LogConfig, PredictionLogWriter

    writer = PredictionLogWriter(tmp / "log-call", LogConfig(True, 64.0, 2, 1_000_000))
    raw, predictions = body.encode(), [0]
    try:
        runs = timeit.repeat(lambda: writer.log("id", raw, predictions), number=2000, repeat=5)
    finally:
        writer.close(60)
    return min(runs) / 2000 * 1e6


def _medians(runs: list[dict]) -> dict[str, float]:
    keys = ("requests_per_second", "p50_ms", "p95_ms", "p99_ms")
    return {key: float(statistics.median(run[key] for run in runs)) for key in keys}


def ontolab_side(
    stack: ExitStack, tmp: Path, wrk: str, body: str, args: argparse.Namespace
) -> tuple[dict, Path]:
    from waitress.server import create_server

    overrides = {"data": tmp / "data", "deploy_threads": args.threads}
    settings = Settings.load(overrides, environ={})
    platform = open_platform(settings)
    stack.callback(platform.close)
    app = create_app(platform=platform)  # starts the warm model-server parent
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    api = f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    stack.callback(stop_waitress, server, thread)
    text = (ROOT / "examples" / "breast_cancer.ttl").read_text()
    version = definitions.submit(platform.store, definitions.parse(text)).version
    record = platform.runs.run(version, use_cache=False)
    if record.status != "succeeded":
        sys.exit(f"the breast_cancer run {record.status}: {record.error}")
    result = record.steps["build"].result
    assert result is not None
    artifact = platform.artifacts.path(next(iter(result.outputs.values())).sha256)
    if args.log_overhead_only:
        return {"log_overhead": log_overhead(api, wrk, body, args, tmp)}, artifact
    started = time.perf_counter()
    answer = requests.post(
        f"{api}/api/deployments", json={"model": MODEL_NAME, "version": 1}, timeout=60
    )
    answer.raise_for_status()
    deployment = answer.json()
    wait_healthy(deployment["url"] + "/health", None, HEALTH_DEADLINE)
    healthy = time.perf_counter() - started
    print(f"ontolab: deployed on {deployment['url']} (pid {deployment['pid']})", flush=True)
    load = run_wrk(wrk, deployment["url"] + "/predict", body, args.duration, args.connections, tmp)
    requests.delete(f"{api}/api/deployments/{deployment['id']}", timeout=30).raise_for_status()
    overhead = log_overhead(api, wrk, body, args, tmp)
    return {"seconds_to_healthy": healthy, **load, "log_overhead": overhead}, artifact


def mlflow_side(tmp: Path, wrk: str, body: str, artifact: Path, args: argparse.Namespace) -> dict:
    python = ensure_mlflow()
    model_dir = tmp / "mlflow-model"
    save = (
        "import sys, joblib, mlflow.sklearn\n"
        "bundle = joblib.load(sys.argv[1])\n"
        "mlflow.sklearn.save_model(\n"
        "    bundle['pipeline'], sys.argv[2], serialization_format='cloudpickle'\n"
        ")\n"
    )
    env = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run([str(python), "-c", save, str(artifact), str(model_dir)], check=True, env=env)
    port = free_port()
    argv = ["mlflow", "models", "serve", "-m", str(model_dir), "--env-manager", "local"]
    argv += ["-p", str(port), "-h", "127.0.0.1"]
    log = (tmp / "mlflow.log").open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/ping", process, HEALTH_DEADLINE)
        healthy = time.perf_counter() - started
        print(f"mlflow: serving on 127.0.0.1:{port} (pid {process.pid})", flush=True)
        url = f"http://127.0.0.1:{port}/invocations"
        check = requests.post(url, data=body, headers={"Content-Type": "application/json"})
        check.raise_for_status()
        load = run_wrk(wrk, url, body, args.duration, args.connections, tmp)
    finally:
        stop(process)
        log.close()
    return {"seconds_to_healthy": healthy, **load}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per server")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=None, help="model server threads")
    parser.add_argument(
        "--log-overhead-only", action="store_true", help="only the prediction log on vs off"
    )
    parser.add_argument("--rounds", type=int, default=3, help="log off/on alternations")
    parser.add_argument(
        "--log-connections", type=int, nargs="+", default=[1, 8], help="for the log overhead"
    )
    args = parser.parse_args()
    wrk = ensure_wrk()
    if not args.log_overhead_only:
        ensure_mlflow()
    frame = load_breast_cancer(as_frame=True).data
    row = {str(k): float(v) for k, v in frame.iloc[0].items()}
    body = json.dumps({"dataframe_records": [row]})
    with tempfile.TemporaryDirectory(prefix="ontolab-bench-serving-") as name:
        tmp = Path(name)
        with ExitStack() as stack:
            ontolab, artifact = ontolab_side(stack, tmp, wrk, body, args)
            if args.log_overhead_only:
                return finish_log_overhead(ontolab["log_overhead"], args)
            in_process = in_process_times(artifact, row)
            mlflow = mlflow_side(tmp, wrk, body, artifact, args)
    report = {
        "load": f"wrk -t1 -c{args.connections} -d{args.duration}s, single-row POST, 127.0.0.1",
        "ontolab": ontolab,
        "mlflow": mlflow,
        "in_process": in_process,
        "ratios": {
            "requests_per_second": ontolab["requests_per_second"] / mlflow["requests_per_second"],
            "p50": ontolab["p50_ms"] / mlflow["p50_ms"],
            "p99": ontolab["p99_ms"] / mlflow["p99_ms"],
            "seconds_to_healthy": ontolab["seconds_to_healthy"] / mlflow["seconds_to_healthy"],
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving.json").write_text(json.dumps(report, indent=2))
    print_report(report)
    return 0


def finish_log_overhead(overhead: dict, args: argparse.Namespace) -> int:
    connections = ",".join(map(str, args.log_connections))
    load = f"wrk -t1 -c{{{connections}}} -d{args.duration}s --latency, single-row POST, 127.0.0.1"
    report = {"load": load, **overhead}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving-log-overhead.json").write_text(json.dumps(report, indent=2))
    print_log_overhead(overhead)
    return 0


def print_log_overhead(overhead: dict) -> None:
    print(f"\nprediction log off vs on (medians of {overhead['rounds']} alternating rounds)")
    print_latencies(overhead["by_connections"], ("off", "on"), 14)
    print(f"log counters (on): {overhead['log_counters']}")
    print(f"in-process PredictionLogWriter.log: {overhead['log_call_us']:.2f} µs a call")


def print_latencies(by_connections: dict, names: tuple[str, str], width: int) -> None:
    """Per connection count: req/s and latencies of both sides, then what the second adds."""
    print(f"{'':{width}}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for connections, sides in by_connections.items():
        for name in names:
            side = sides[name]
            print(
                f"{name + ' c=' + connections:{width}}{side['requests_per_second']:>10.0f}"
                f"{side['p50_ms']:>10.3f}{side['p95_ms']:>10.3f}{side['p99_ms']:>10.3f}"
            )
        added = sides["added_ms"]
        print(
            f"{'added c=' + connections:{width}}{'':>10}"
            f"{added['p50_ms']:>10.3f}{added['p95_ms']:>10.3f}"
        )


def print_report(report: dict) -> None:
    o, m, r = report["ontolab"], report["mlflow"], report["ratios"]
    print(f"\n{report['load']}")
    print(f"{'':10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'healthy s':>12}")
    for name, side in (("ontolab", o), ("mlflow", m)):
        print(
            f"{name:10}{side['requests_per_second']:>10.0f}{side['p50_ms']:>10.2f}"
            f"{side['p99_ms']:>10.2f}{side['seconds_to_healthy']:>12.3f}"
        )
    print(
        f"ratio     req/s {r['requests_per_second']:.1f}x  p50 {r['p50']:.3f}  "
        f"p99 {r['p99']:.3f}  healthy {r['seconds_to_healthy']:.3f}  (Ontolab/MLflow)"
    )
    for name, value in report["in_process"].items():
        print(f"in-process {name}: {value:.3f} ms")
    print_log_overhead(o["log_overhead"])


if __name__ == "__main__":
    sys.exit(main())
