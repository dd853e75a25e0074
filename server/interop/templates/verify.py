"""Re-run pipeline.py and check it reproduces what the Ontolab run recorded.

1. Every data file listed in data_manifest.json has the sha256 and size the run read.
2. What pipeline.py needs besides Python is here: for a container step, Docker and its image
   (by the ID the run ran); otherwise it says what is missing and how to get it, and runs
   nothing.
3. pipeline.run() gives, for each step expected_metrics.json lists: every metric equal to the
   recorded one (exactly, or within 1e-12 relative for floats, and says which), the sha256 of
   the test-split predictions, the profile's checksum, the rows the extract step read, the
   files a container step wrote, and what a data validation step found for each of its
   expectations.

Exit status 0 when everything matches; 1 naming each mismatch otherwise.
Run it with the Python of a venv made from requirements.txt: ``python verify.py``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RELATIVE_TOLERANCE = 1e-12


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_data(manifest: dict[str, Any]) -> list[str]:
    """A sentence per data file that is missing or differs from what the run read."""
    problems = []
    for entry in manifest["files"]:
        path = HERE / entry["path"]
        if not path.is_file():
            problems.append(f"{entry['path']}: missing (the run read sha256 {entry['sha256']})")
            continue
        found = sha256_of(path)
        if found != entry["sha256"] or path.stat().st_size != entry["size"]:
            problems.append(
                f"{entry['path']}: sha256 {found} ({path.stat().st_size} bytes), but the run "
                f"read sha256 {entry['sha256']} ({entry['size']} bytes): the data changed"
            )
    return problems


def compare(expected: float, found: Any) -> str | None:
    """How ``found`` matches ``expected`` ("exact", "within 1e-12 relative"), or None."""
    if not isinstance(found, int | float):
        return None
    if found == expected:
        return "exact"
    scale = max(abs(expected), abs(found))
    if abs(found - expected) <= RELATIVE_TOLERANCE * scale:
        return f"within {RELATIVE_TOLERANCE:g} relative"
    return None


def check_metrics(step: str, expected: dict[str, float], found: dict[str, Any]) -> list[str]:
    problems = []
    for name, value in sorted(expected.items()):
        how = compare(value, found.get(name))
        if how is None:
            problems.append(f"{step}.{name}: {found.get(name)!r}, but the run measured {value!r}")
        else:
            print(f"ok    {step}.{name} = {value!r} ({how})")
    extra = sorted(set(found) - set(expected))
    if extra:
        problems.append(f"{step}: measured {', '.join(extra)}, which the run did not")
    return problems


def check_equal(what: str, expected: Any, found: Any) -> list[str]:
    if expected == found:
        print(f"ok    {what} = {expected} (exact)")
        return []
    return [f"{what}: {found}, but the run recorded {expected}"]


def check_table(what: str, path: Path, found: Any) -> list[str]:
    """The rows a step produced equal the table the run stored (values and dtypes, exactly)."""
    import pandas as pd
    import pyarrow.parquet as pq

    try:
        pd.testing.assert_frame_equal(found, pq.read_table(path).to_pandas(), check_exact=True)
    except AssertionError as exc:
        first = str(exc).strip().splitlines()[0]
        return [f"{what}: the rows differ from {path.relative_to(HERE)} ({first})"]
    print(f"ok    {what} = {path.relative_to(HERE)} (exact)")
    return []


def check_files(what: str, expected: dict[str, str], folder: Path) -> list[str]:
    """The files a step wrote have the names and sha256 of the files the run stored."""
    found = {
        p.relative_to(folder).as_posix(): sha256_of(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    problems = [
        f"{what}: {name} has sha256 {found[name]}, but the run stored {sha}"
        for name, sha in sorted(expected.items())
        if name in found and found[name] != sha
    ]
    for name in sorted(set(expected) - set(found)):
        problems.append(f"{what}: {name} is missing (the run stored it)")
    for name in sorted(set(found) - set(expected)):
        problems.append(f"{what}: {name} was written, but the run stored no such file")
    if not problems:
        print(f"ok    {what} = {len(found)} file(s) as the run stored them (exact)")
    return problems


def check_step(step: str, expected: dict[str, Any], output: Any) -> list[str]:
    problems = []
    if "metrics" in expected:
        problems += check_metrics(step, expected["metrics"], output["metrics"])
    if "predictions_sha256" in expected:
        found = output["predictions_sha256"]
        problems += check_equal(f"{step}.predictions_sha256", expected["predictions_sha256"], found)
    if "test_rows" in expected:
        problems += check_equal(f"{step}.test_rows", expected["test_rows"], output["test_rows"])
    if "profile_sha256" in expected:
        import pipeline

        found = pipeline.profile_sha256(output)
        problems += check_equal(f"{step}.profile_sha256", expected["profile_sha256"], found)
    if "checks" in expected:  # a data validation step's expectations, as the run found them
        problems += check_equal(f"{step}.checks", expected["checks"], output["checks"])
    if "table" in expected:
        problems += check_table(f"{step}.rows", HERE / expected["table"], output)
    if "files" in expected:
        problems += check_files(f"{step}.files", expected["files"], output)
    return problems


def main() -> int:
    manifest = json.loads((HERE / "data_manifest.json").read_text(encoding="utf-8"))
    expected = json.loads((HERE / "expected_metrics.json").read_text(encoding="utf-8"))
    problems = check_data(manifest)
    if not problems:
        sys.path.insert(0, str(HERE))
        import pipeline

        check = getattr(pipeline, "container_problems", None)  # with container steps only
        missing = check(pipeline.PARAMS) if check else []
        for problem in missing:
            print(f"FAIL  {problem}", file=sys.stderr)
        if missing:
            print("verify: pipeline.py cannot run here; nothing was run", file=sys.stderr)
            return 1
        outputs = pipeline.run()
        for step, wanted in expected["steps"].items():
            problems += check_step(step, wanted, outputs[step])
    for problem in problems:
        print(f"FAIL  {problem}", file=sys.stderr)
    if problems:
        print(f"verify: {len(problems)} mismatch(es) with the recorded run", file=sys.stderr)
        return 1
    print(f"verify: pipeline.py reproduces run {expected['run_id']} exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
