"""Benchmark: the breast_cancer example through `ontolab run` against a plain script.

Whole-process wall time, both measured in this one run, alternating, after one warm-up each.
Ontolab runs with --no-cache (every step really runs, each in its own process) against a data
dir that already holds the experiment, as a user re-running it would; a cached re-run is shown
too. Prints medians and the ratio ontolab / plain.

    .venv/bin/python bench/overhead/run.py [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "breast_cancer.ttl"
PLAIN = Path(__file__).with_name("plain_breast_cancer.py")
ONTOLAB = Path(sys.executable).with_name("ontolab")


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ONTOLAB_DATA": str(Path(tmp) / "data")}
        ontolab = [str(ONTOLAB), "run", "--no-cache", str(EXAMPLE)]
        cached = [str(ONTOLAB), "run", str(EXAMPLE)]
        plain = [sys.executable, str(PLAIN), str(Path(tmp) / "plain")]
        first_use = timed(ontolab, env)
        timed(plain, env)
        times: dict[str, list[float]] = {"ontolab": [], "plain": [], "cached": []}
        for _ in range(args.repeats):
            times["plain"].append(timed(plain, env))
            times["ontolab"].append(timed(ontolab, env))
            times["cached"].append(timed(cached, env))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"breast_cancer, {args.repeats} runs each, whole-process wall time (median, min–max)")
    for name, label in (
        ("plain", "plain python script"),
        ("ontolab", "ontolab run --no-cache"),
        ("cached", "ontolab run (step cache)"),
    ):
        values = times[name]
        print(f"  {label:26} {median[name]:6.2f} s  ({min(values):.2f}–{max(values):.2f})")
    print(f"  {'first use (new data dir)':26} {first_use:6.2f} s")
    print(f"ratio ontolab / plain: {median['ontolab'] / median['plain']:.2f}x")
    print(f"ratio cached / plain:  {median['cached'] / median['plain']:.2f}x")


if __name__ == "__main__":
    main()
