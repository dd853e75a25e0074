"""server.tracking.artifacts: bytes are checked before they are trusted, corrupt files
quarantined and repaired by a later store, temporary files a killed writer left swept at
start-up."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import server.tracking.artifacts as artifacts_module
from server.errors import CorruptArtifact, NotFoundError
from server.tracking.artifacts import ArtifactStore

ROOT = Path(__file__).resolve().parents[4]
BODY = b'{"accuracy": 0.98}'
SHA = hashlib.sha256(BODY).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


def stored(store: ArtifactStore, body: bytes = BODY) -> Path:
    source = store.root.parent / "source"
    source.write_bytes(body)
    store.put(source, "application/json")
    return store.root / hashlib.sha256(body).hexdigest()[:2] / hashlib.sha256(body).hexdigest()[2:]


def tamper(path: Path) -> None:
    """Change the bytes but not the size, as a bit flip on disk would."""
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))


def count_hashes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = artifacts_module.sha256_of

    def counting(path: Any) -> str:
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(artifacts_module, "sha256_of", counting)
    return calls


def test_an_intact_file_is_checked_once_while_unchanged(
    store: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = stored(store)
    hashes = count_hashes(monkeypatch)
    for _ in range(3):
        assert store.path(SHA) == path
    assert len(hashes) <= 1  # put() may have remembered the check already


def test_a_file_whose_bytes_differ_is_quarantined_not_returned(store: ArtifactStore) -> None:
    path = stored(store)
    store.path(SHA)  # checked and remembered while intact
    time.sleep(0.01)  # a new mtime, as any later write gets
    tamper(path)
    with pytest.raises(CorruptArtifact, match=f"PUT /api/artifacts/{SHA}") as caught:
        store.path(SHA)
    assert caught.value.status == 410
    assert not path.exists()
    assert store.quarantined(SHA).is_file()
    with pytest.raises(CorruptArtifact, match="does not match its checksum"):
        store.path(SHA)  # still said, not a bare 404
    assert not store.has(artifacts_module.ArtifactRef(SHA, len(BODY), "application/json"))


def test_has_refuses_the_right_size_with_the_wrong_bytes(store: ArtifactStore) -> None:
    path = stored(store)
    tamper(path)
    assert not store.has(artifacts_module.ArtifactRef(SHA, len(BODY), "application/json"))


def test_storing_the_true_bytes_again_repairs_a_corrupt_artifact(store: ArtifactStore) -> None:
    path = stored(store)
    tamper(path)  # not yet noticed: the name is taken by damaged bytes
    stored(store)
    assert store.path(SHA).read_bytes() == BODY
    assert not store.quarantined(SHA).exists()


def test_the_remembered_checks_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ArtifactStore(tmp_path / "artifacts", verified_capacity=1)
    stored(store, b"a")
    stored(store, b"b")
    hashes = count_hashes(monkeypatch)
    for body in (b"a", b"b", b"a"):
        store.path(hashlib.sha256(body).hexdigest())
    assert len(hashes) == 3  # one remembered at a time: each read checks again


def test_a_bad_or_unknown_checksum_is_not_found(store: ArtifactStore) -> None:
    with pytest.raises(NotFoundError, match="64 hex digits"):
        store.path("../etc/passwd")
    with pytest.raises(NotFoundError, match="no artifact"):
        store.path("0" * 64)


def test_opening_the_store_sweeps_what_killed_writers_left(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    (root / "tmp").mkdir(parents=True)
    (root / "ab").mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    old = time.time() - 2 * artifacts_module.STALE_TEMP_SECONDS
    left = [
        root / "tmp" / f"upload-{dead}-x.parquet",
        root / ".upload-old",
        root / "ab" / ".tmp-old",
    ]
    kept = [root / "tmp" / f"upload-{os.getpid()}-y", root / "ab" / ".tmp-fresh"]
    for path in left + kept:
        path.write_bytes(b"half")
    for path in left[1:]:
        os.utime(path, (old, old))
    ArtifactStore(root)
    assert [p for p in left if p.exists()] == []
    assert all(p.exists() for p in kept)  # a live writer's, or too fresh to judge


def test_a_killed_upload_leaves_nothing_once_the_store_is_opened_again(tmp_path: Path) -> None:
    """A real kill -9 while a dataset upload has its temporary Parquet file open."""
    data, scratch = tmp_path / "data", tmp_path / "scratch"
    scratch.mkdir()
    script = f"""
import os, signal
from pathlib import Path
from server.tracking.artifacts import ArtifactStore
from server import datasets
from server.settings import Settings
from server.store import open_store
store = ArtifactStore(Path({str(data / "artifacts")!r}))
def killed(source, media_type):
    assert os.path.getsize(source) > 0
    os.kill(os.getpid(), signal.SIGKILL)
store.put = killed
settings = Settings.load({{"data": Path({str(data)!r})}}, environ={{}})
triples = open_store("oxigraph:memory", settings)
datasets.upload(triples, store, "half", b"a,b\\n1,2\\n", "text/csv")
"""
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    ArtifactStore(data / "artifacts")  # what `ontolab serve` does at start-up
    left = [p for p in [*scratch.rglob("*"), *(data / "artifacts").rglob("*")] if p.is_file()]
    assert left == []
