"""The README's "From Python" section runs: its ```python blocks, in order, in one fresh
interpreter, against a served platform (the README's URL swapped for the served one)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.integration.sdk.conftest import Served

README_URL = "http://127.0.0.1:3000"


def section_blocks(text: str, heading: str, language: str = "python") -> list[str]:
    """The ```language blocks between ``## heading`` and the next ``## `` heading."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    return re.findall(rf"^```{language}\n(.*?)^```$", section, flags=re.S | re.M)


def test_the_from_python_blocks_run_against_a_served_platform(
    served: Served, tmp_path: Path
) -> None:
    blocks = section_blocks((ROOT / "README.md").read_text(), "From Python")
    assert len(blocks) >= 4 and README_URL in blocks[0]
    script = "\n".join(blocks).replace(README_URL, served.url)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(ROOT)}
    env["ONTOLAB_SPOOL"] = str(tmp_path / "spool")  # the tracking block's, if it needs one
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "succeeded" in out and "{'champion': 1}" in out
    assert "dataset:flowers@1" in out and "404 " in out
    assert out.count("7900/7900") == 1  # the upload's progress ends once
    assert " succeeded\nTrue\n[0]\n5 points" in out  # the tracked run, its model, its history
