"""bench/automl: Ontolab's AutoML step against FLAML and the default RandomForest.

    ./bench/automl/setup_flaml.sh                       # FLAML's own venv, once
    PYTHONPATH=. .venv/bin/python bench/automl/bench.py [--seconds 60] [--jobs 2] [--tasks a,b]

Writes the tasks (bench/automl/tasks.py) to bench/automl/results/data, then for each task runs
Ontolab's side (this Python) and FLAML's side (bench/automl/.venv-flaml) one after the other,
each in a fresh process with the same budget and cores, and prints a Markdown table: the test
score of each (accuracy for classification, r2 for regression) and the normalized score,
(score - constant predictor) / (default RandomForest - constant predictor), so the default
RandomForest is 1.0 on every task and the constant predictor 0. The mean of those is the figure
to compare. The results also land in bench/automl/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FLAML_PYTHON = HERE / ".venv-flaml" / "bin" / "python"


def side(command: list[str], timeout: float) -> dict:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": command[-1]}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def normalized(score: float, rf: float, constant: float) -> float:
    return (score - constant) / (rf - constant)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tasks", default="")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import tasks

    data = HERE / "results" / "data"
    tasks.write(data)
    chosen = args.tasks.split(",") if args.tasks else list(tasks.TASKS)
    limit = args.seconds * 4 + 120
    rows = []
    for name in chosen:
        folder, budget, jobs = str(data / name), str(args.seconds), str(args.jobs)
        started = time.perf_counter()
        ours = side([sys.executable, str(HERE / "ontolab_side.py"), folder, budget, jobs], limit)
        flaml = side([str(FLAML_PYTHON), str(HERE / "flaml_side.py"), folder, budget, jobs], limit)
        row = {"task": name, "kind": tasks.TASKS[name], "ontolab": ours, "flaml": flaml}
        rows.append(row)
        print(f"{name}: {time.perf_counter() - started:.0f} s  {json.dumps(row)}", file=sys.stderr)
    (HERE / "results" / "latest.json").write_text(json.dumps(rows, indent=1))
    print(table(rows, args.seconds, args.jobs))


def table(rows: list[dict], seconds: float, jobs: int) -> str:
    lines = [
        f"| task ({seconds:g} s, {jobs} cores) | metric | default RF | Ontolab AutoML | FLAML "
        "| Ontolab norm. | FLAML norm. | Ontolab best (trials, validation) | FLAML best "
        "| wall s (Ontolab / FLAML) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    ours_norm, flaml_norm = [], []
    for row in rows:
        ours, flaml = row["ontolab"], row["flaml"]
        if "error" in ours or "error" in flaml:
            lines.append(f"| {row['task']} | error: {ours.get('error')} / {flaml.get('error')} |")
            continue
        rf, constant = ours["rf"], ours["constant"]
        a, b = normalized(ours["score"], rf, constant), normalized(flaml["score"], rf, constant)
        ours_norm.append(a)
        flaml_norm.append(b)
        metric = "accuracy" if row["kind"] == "classification" else "r2"
        lines.append(
            f"| {row['task']} | {metric} | {rf:.4f} | {ours['score']:.4f} | {flaml['score']:.4f} "
            f"| {a:.3f} | {b:.3f} | {ours['best']} ({ours['trials']}, {ours['validation']}) "
            f"| {flaml['best']} | {ours['wall']:.0f} / {flaml['wall']:.0f} |"
        )
    if ours_norm:
        mean_a, mean_b = sum(ours_norm) / len(ours_norm), sum(flaml_norm) / len(flaml_norm)
        lines.append(
            f"| **mean normalized** | | 1.000 | | | **{mean_a:.3f}** | **{mean_b:.3f}** | | | |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
