"""executor.contract: the artifact store's layout and its atomic, self-repairing writes."""

from __future__ import annotations

from pathlib import Path

from executor.contract import artifact_path, store_artifact


def test_storing_again_repairs_a_damaged_file_under_the_same_checksum(tmp_path: Path) -> None:
    source = tmp_path / "model.joblib"
    source.write_bytes(b"the true bytes")
    ref = store_artifact(tmp_path / "artifacts", source, "application/x-joblib")
    stored = artifact_path(tmp_path / "artifacts", ref.sha256)
    stored.write_bytes(b"the bad  bytes")  # same size, damaged on disk
    again = store_artifact(tmp_path / "artifacts", source, "application/x-joblib")
    assert again == ref
    assert stored.read_bytes() == b"the true bytes"
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]  # no temp file left


def test_storing_an_intact_artifact_again_keeps_the_file(tmp_path: Path) -> None:
    source = tmp_path / "profile.json"
    source.write_text("{}")
    ref = store_artifact(tmp_path / "artifacts", source, "application/json")
    stored = artifact_path(tmp_path / "artifacts", ref.sha256)
    inode = stored.stat().st_ino
    store_artifact(tmp_path / "artifacts", source, "application/json")
    assert stored.stat().st_ino == inode
