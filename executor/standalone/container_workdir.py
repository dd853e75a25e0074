"""The working directory of a container step (``ol:ContainerStep``), as the platform's
provisioners lay it out around the author's image and an export's ``pipeline.py`` lays it
out again: each input under ``inputs/`` by a fixed name, an empty ``outputs/`` for the
command to write to, whose files become the step's output."""

from __future__ import annotations

import shutil
from pathlib import Path

# --- code ---
WORKDIR_INPUTS, WORKDIR_OUTPUTS = "inputs", "outputs"
#: The file name each input kind is staged under in WORKDIR/inputs (``files`` is a folder).
STAGED_NAMES = {
    "dataset": "dataset.parquet",
    "profile": "profile.json",
    "splits": "splits.joblib",
    "model": "model.joblib",
    "report": "report.json",
    "data_report": "data_report.json",  # a data validation (check) step's
}


def fresh_workdir(folder: Path) -> tuple[Path, Path]:
    """Empty ``folder/inputs`` and ``folder/outputs``, the latter writable by any user (the
    image may run as any); both paths."""
    staged, outputs = folder / WORKDIR_INPUTS, folder / WORKDIR_OUTPUTS
    shutil.rmtree(staged, ignore_errors=True)
    shutil.rmtree(outputs, ignore_errors=True)
    staged.mkdir(parents=True)
    outputs.mkdir()
    outputs.chmod(0o777)
    return staged, outputs


def output_files(folder: Path) -> list[str]:
    """The files the command wrote under ``folder/outputs`` (relative, posix, sorted);
    symbolic links left out: they could point anywhere."""
    outputs = folder / WORKDIR_OUTPUTS
    return sorted(
        p.relative_to(outputs).as_posix()
        for p in outputs.rglob("*")
        if p.is_file() and not p.is_symlink()
    )
