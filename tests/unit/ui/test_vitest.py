"""The UI's own unit tests (Vitest: pipeline document, cycles, Prometheus text, best values,
filters) run by `npm test`, so the one pytest command runs them too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[3] / "ui"


def test_vitest_suite_passes() -> None:
    npm = shutil.which("npm")
    if npm is None or not (UI / "node_modules" / ".bin" / "vitest").exists():
        pytest.fail("the UI's dependencies are not installed; run ./installation.sh (npm ci)")
    done = subprocess.run(
        [npm, "test", "--silent"], cwd=UI, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert " passed" in done.stdout
