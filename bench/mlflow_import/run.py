"""bench/mlflow_import: how long ``ontolab import mlflow`` takes for an MLflow store of RUNS runs
x METRICS metrics, against how long MLflow's own client took to log the same data.

    nice -n 10 .venv/bin/python bench/mlflow_import/run.py --runs 10000 [--metrics 20] [--steps 1]

MLflow (bench/.venv-mlflow; made with pip when missing) fills an SQLite store with
``create_run`` + one ``log_batch`` + ``set_terminated`` per run (bench/mlflow_import/
mlflow_side.py); then the import reads that store read-only into a fresh embedded Ontolab data
dir, in-process, and once more (the idempotent pass: everything already present). Both sides
run in the same invocation and are printed side by side; the ratio is Ontolab's import time
over MLflow's ``log_batch`` time for the same data.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
MLFLOW_VENV = ROOT / "bench" / ".venv-mlflow"
MLFLOW = "mlflow==3.17.2"


def mlflow_python(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", MLFLOW], check=True)
    return python


def mlflow_side(python: Path, db: Path, args: argparse.Namespace) -> dict[str, float]:
    script = Path(__file__).with_name("mlflow_side.py")
    command = [str(python), str(script), str(db), str(args.runs), str(args.metrics)]
    done = subprocess.run([*command, str(args.steps)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"MLflow's side failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def ontolab_side(db: Path, data: Path) -> tuple[dict[str, object], dict[str, object], float]:
    """(first import's report, second import's report, seconds to open the platform)."""
    from server.interop.mlflow_import.sources import open_source
    from server.interop.mlflow_import.writer import MlflowImporter
    from server.platform import open_platform
    from server.settings import Settings

    started = time.perf_counter()
    platform = open_platform(Settings.load({"data": data}, environ={}), serve_deployments=False)
    opened = time.perf_counter() - started
    try:
        importer = MlflowImporter(
            platform.store, platform.tracked, platform.registry, platform.artifacts
        )
        reports = []
        for _ in range(2):
            source = open_source(db)
            try:
                reports.append(importer.run(source).to_json())
            finally:
                source.close()
    finally:
        platform.close()
    return reports[0], reports[1], opened


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument("--steps", type=int, default=1, help="points per metric")
    parser.add_argument("--work", type=Path, help="folder for both stores (default: a temp dir)")
    parser.add_argument("--mlflow-venv", type=Path, default=MLFLOW_VENV)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-mlflow-import-"))
    db = work / "mlflow.db"
    if db.exists():
        sys.exit(f"{db} exists; give an empty --work folder")
    work.mkdir(parents=True, exist_ok=True)
    print(f"MLflow logs {args.runs} runs x {args.metrics} metrics x {args.steps} steps ...")
    theirs = mlflow_side(mlflow_python(args.mlflow_venv), db, args)
    print("Ontolab imports them ...")
    first, second, opened = ontolab_side(db, work / "data")
    print_table(args, theirs, first, second, opened)


def print_table(
    args: argparse.Namespace,
    theirs: dict[str, float],
    first: dict[str, object],
    second: dict[str, object],
    opened: float,
) -> None:
    counts = first["counts"]
    assert isinstance(counts, dict)
    ours = float(first["seconds"])  # type: ignore[arg-type]
    again = float(second["seconds"])  # type: ignore[arg-type]
    batch = theirs["log_batch_seconds"]
    runs = args.runs
    points = counts["metric_points"]["found"]
    print()
    print(f"{runs} runs x {args.metrics} metrics x {args.steps} steps ({points} metric points)")
    print(f"{'':<44}{'seconds':>10}{'runs/s':>10}")
    rows = [
        ("MLflow log_batch (sqlite), the calls alone", batch),
        ("MLflow create_run + log_batch + set_terminated", theirs["lifecycle_seconds"]),
        ("Ontolab import mlflow (embedded store)", ours),
        ("Ontolab import again (all already present)", again),
    ]
    for label, seconds in rows:
        print(f"{label:<44}{seconds:>10.1f}{runs / seconds:>10.1f}")
    print(f"(opening the platform: {opened:.1f} s, not counted)")
    print(f"ratio import / log_batch: {ours / batch:.2f}x (below 1: the import is quicker)")
    print(
        f"complete: {first['complete']}; second import added "
        f"{sum(c['imported'] for c in second['counts'].values())} things"
    )  # type: ignore[union-attr]
    lost = {k: c["lost"] for k, c in counts.items() if c["lost"]}
    if lost or not first["complete"]:
        sys.exit(f"LOSS: {lost} {first['losses'][:5]}")  # type: ignore[index]


if __name__ == "__main__":
    main()
