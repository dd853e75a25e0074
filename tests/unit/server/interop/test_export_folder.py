"""Writing an export: a new or empty folder only (unless forced), nothing left on failure."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from server.errors import ExportError
from server.interop.export import write_folder, zip_bytes


def test_a_new_folder_gets_every_file(tmp_path: Path) -> None:
    source = tmp_path / "artifact"
    source.write_bytes(b"rows")
    write_folder({"a.txt": b"a", "data/t.parquet": source}, tmp_path / "out")
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"a"
    assert (tmp_path / "out" / "data" / "t.parquet").read_bytes() == b"rows"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifact", "out"]  # no scratch left


def test_a_non_empty_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "mine.txt").write_text("mine")
    with pytest.raises(ExportError, match="is not empty; .* or pass --force"):
        write_folder({"a.txt": b"a"}, target)
    assert not (target / "a.txt").exists()
    write_folder({"a.txt": b"a"}, target, force=True)
    assert (target / "a.txt").read_bytes() == b"a"
    assert (target / "mine.txt").read_text() == "mine"


def test_a_file_is_refused_as_the_target(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("x")
    with pytest.raises(ExportError, match="is a file; give a folder path"):
        write_folder({"a.txt": b"a"}, tmp_path / "out", force=True)


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_folder({"a.txt": b"a", "b.txt": tmp_path / "missing"}, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_the_zip_puts_every_file_under_one_folder(tmp_path: Path) -> None:
    data = zip_bytes({"a.txt": b"a", "data/x": b"x"}, "ontolab-run-1")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["ontolab-run-1/a.txt", "ontolab-run-1/data/x"]
