"""Drift benchmark: Ontolab's drift computation against Evidently's data-drift preset, side by side.

Two sizes, each a reference and a current window of the same shape, made once from a seeded
generator and written as ``.npy`` files both sides read (so both get the very same frames):

* 10,000 rows × 25 columns (20 numbers, 5 categories of 8 values),
* 300,000 rows × 1,000 columns (800 numbers as float32, 200 categories).

The current window is shifted by 0.2 σ in a tenth of its number columns, so both sides find
some drift. Ontolab's reference profile is computed once beforehand, as a build does at
training time (timed apart: "profile"), and prepared once, as serving does per model version
("prepare"); the timed part is ``compute_drift(reference, window)`` — binning the window and
every statistic (PSI, Jensen–Shannon, KS / chi-square, the missing-rate test, the correction).
Evidently 0.7's ``Report([DataDriftPreset()]).run(current, reference)`` runs in its own venv
(bench/.venv-evidently, created with pip on first use: it needs pandas < 3), each call timed
inside that process, so neither side pays for starting Python or reading the files.

    .venv/bin/python bench/drift/run.py [--repeats 20] [--evidently-timeout 600] [--skip-large]

Evidently on 300,000 × 1,000 may not finish on a busy machine: it is bounded by
``--evidently-timeout`` (its process is stopped by its pid) and reported as "> N s", and its
memory by ``--evidently-memory-gb`` (a failure past it is reported as such); it is then
also timed on the first 25 columns of the same rows, and that time × 40 is printed, marked as
an estimate. Results go to bench/results/drift-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from frames import LABELS, load_frame  # noqa: E402

from executor.standalone.reference import reference_profile  # noqa: E402
from server.monitoring.drift import Reference, compute_drift  # noqa: E402

EVIDENTLY_VENV = ROOT / "bench" / ".venv-evidently"
EVIDENTLY_PIN = "evidently==0.7.23"
RESULTS = ROOT / "bench" / "results"
SIDE = Path(__file__).with_name("evidently_side.py")
WEIGHTS = [0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05]
SIZES = {"10k_x_25": (10_000, 20, 5, "float64"), "300k_x_1000": (300_000, 800, 200, "float32")}


def ensure_evidently() -> Path:
    python = EVIDENTLY_VENV / "bin" / "python"
    if not python.exists() or subprocess.run([str(python), "-c", "import evidently"]).returncode:
        print(f"installing {EVIDENTLY_PIN} into {EVIDENTLY_VENV} (first run only) …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(EVIDENTLY_VENV)], check=True)
        pins = [EVIDENTLY_PIN, "pandas<3"]
        subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    return python


def write_data(folder: Path, rows: int, numbers: int, categories: int, dtype: str) -> None:
    """reference and current windows as .npy: numbers, and category codes (int8)."""
    rng = np.random.default_rng(20261203)
    shifted = max(1, numbers // 10)
    for name, shift in (("reference", 0.0), ("current", 0.2)):
        values = rng.standard_normal((rows, numbers), dtype=np.float32).astype(dtype)
        values[:, :shifted] += shift
        np.save(folder / f"{name}_numbers.npy", values)
        codes = rng.choice(len(LABELS), size=(rows, categories), p=WEIGHTS).astype(np.int8)
        np.save(folder / f"{name}_codes.npy", codes)


def time_ontolab(folder: Path, repeats: int) -> dict[str, Any]:
    reference_frame = load_frame(folder, "reference")
    started = time.perf_counter()
    profile = reference_profile(reference_frame)
    profile_s = time.perf_counter() - started
    del reference_frame
    started = time.perf_counter()
    reference = Reference(profile)
    prepare_s = time.perf_counter() - started
    window = load_frame(folder, "current")
    compute_drift(reference, window)  # warm: imports, first-call costs
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        report = compute_drift(reference, window)
        times.append(time.perf_counter() - started)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "repeats": repeats,
        "profile_s": profile_s,
        "prepare_s": prepare_s,
        "drift_share": report.drift_share,
        "drifted_features": len(report.drifted),
    }


def time_evidently(
    python: Path,
    folder: Path,
    repeats: int,
    timeout: float,
    memory_gb: float,
    columns: int | None = None,
) -> dict[str, Any]:
    argv = [str(python), str(SIDE), str(folder), str(repeats), str(columns or 0)]
    limit = int(memory_gb * 2**30)

    def bounded() -> None:  # a wide frame must not take the memory of the whole machine
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    # its own process group, so a timeout stops it and whatever it started, by its pid
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=bounded
    )
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"timed_out": True, "timeout_s": timeout}
    if process.returncode:  # e.g. a MemoryError past the memory bound: reported, not hidden
        return {"failed": True, "exit_code": process.returncode, "memory_gb": memory_gb}
    return json.loads(out.strip().splitlines()[-1])


def run_size(name: str, args: argparse.Namespace, python: Path) -> dict[str, Any]:
    rows, numbers, categories, dtype = SIZES[name]
    large = rows > 100_000
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as tmp:
        folder = Path(tmp)
        write_data(folder, rows, numbers, categories, dtype)
        ours = time_ontolab(folder, 3 if large else args.repeats)
        print(f"{name}: Ontolab {ours['median_s'] * 1000:.1f} ms", flush=True)
        bounds = (args.evidently_timeout, args.evidently_memory_gb)
        theirs = time_evidently(python, folder, 1 if large else 3, *bounds)
        result: dict[str, Any] = {"ontolab": ours, "evidently": theirs}
        if theirs.get("timed_out") or theirs.get("failed"):
            part = time_evidently(python, folder, 1, *bounds, columns=25)
            result["evidently_first_25_columns"] = part
            if "median_s" in part:
                result["evidently_estimate_s"] = part["median_s"] * (numbers + categories) / 25
        else:
            result["ratio"] = theirs["median_s"] / ours["median_s"]
    return result


def report(results: dict[str, Any]) -> None:
    print("\nsize          Ontolab drift   (profile, prepare)      Evidently preset     ratio")
    for name, found in results["sizes"].items():
        ours, theirs = found["ontolab"], found["evidently"]
        mine = f"{ours['median_s'] * 1000:9.1f} ms   ({ours['profile_s']:.2f} s, "
        mine += f"{ours['prepare_s'] * 1000:.1f} ms)"
        estimate = found.get("evidently_estimate_s")
        if theirs.get("failed"):
            other, ratio = f"failed (exit {theirs['exit_code']})", "-"
            if estimate:
                other += f", est. {estimate:.0f} s"
                ratio = f"est. {estimate / ours['median_s']:.0f}×"
        elif theirs.get("timed_out"):
            other = f"> {theirs['timeout_s']:.0f} s (stopped)"
            ratio = f"> {theirs['timeout_s'] / ours['median_s']:.0f}×"
            if estimate:
                other += f", est. {estimate:.0f} s"
                ratio += f" (est. {estimate / ours['median_s']:.0f}×)"
        else:
            other, ratio = f"{theirs['median_s']:.2f} s", f"{found['ratio']:.0f}×"
        print(f"{name:13} {mine:40} {other:20} {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--evidently-timeout", type=float, default=600.0)
    parser.add_argument("--evidently-memory-gb", type=float, default=8.0)
    parser.add_argument("--skip-large", action="store_true", help="only 10,000 × 25")
    args = parser.parse_args()
    python = ensure_evidently()
    sizes = ["10k_x_25"] if args.skip_large else list(SIZES)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "evidently": EVIDENTLY_PIN,
        "sizes": {},
    }
    for name in sizes:
        results["sizes"][name] = run_size(name, args, python)
    results["machine"]["load_average_after"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"drift-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=1))
    report(results)
    print(f"\nload average {results['machine']['load_average']} → written to {out}")


if __name__ == "__main__":
    main()
