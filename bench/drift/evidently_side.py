"""Evidently's side of bench/drift/run.py, run inside bench/.venv-evidently (pandas < 3).

    python evidently_side.py FOLDER REPEATS COLUMNS

Builds the reference and current frames from FOLDER's .npy files exactly as run.py does (the
first COLUMNS columns, or all with 0), runs ``Report([DataDriftPreset()])`` REPEATS times and
prints one JSON line: the median and minimum seconds per run and the drift share it found.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from evidently import Report
from evidently.presets import DataDriftPreset
from frames import load_frame


def main() -> None:
    folder, repeats, columns = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    reference = load_frame(folder, "reference", columns)
    current = load_frame(folder, "current", columns)
    times, share = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
        times.append(time.perf_counter() - started)
        share = result.dict()["metrics"][0]["value"]["share"]
    print(
        json.dumps(
            {
                "median_s": statistics.median(times),
                "min_s": min(times),
                "repeats": repeats,
                "columns": reference.shape[1],
                "drift_share": float(share) if share is not None else None,
            }
        )
    )


if __name__ == "__main__":
    main()
