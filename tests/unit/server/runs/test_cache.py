"""server.runs.cache: a hit needs the earlier outputs intact, checked by checksum, not by size."""

from __future__ import annotations

from pathlib import Path

import pytest

import server.tracking.artifacts as artifacts_module
from executor.contract import ArtifactRef, StepResult, StepSpec
from server.runs.cache import StepCache
from server.tracking.artifacts import ArtifactStore


@pytest.fixture
def artifacts(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def cache(tmp_path: Path, artifacts: ArtifactStore) -> StepCache:
    return StepCache(tmp_path / "cache", artifacts)


def spec(artifacts: ArtifactStore) -> StepSpec:
    dataset = ArtifactRef("a" * 64, 10, "application/vnd.apache.parquet")
    return StepSpec("run", "explore", "explore", {}, {"dataset": dataset}, str(artifacts.root))


def cached_output(cache: StepCache, artifacts: ArtifactStore, tmp_path: Path) -> Path:
    """Put a succeeded result whose one output is stored; the output's file."""
    source = tmp_path / "profile.json"
    source.write_text('{"rows": 178}')
    ref = artifacts.put(source, "application/json")
    result = StepResult("succeeded", "t0", "t1", outputs={"profile": ref})
    cache.put(spec(artifacts), result, "urn:step-run")
    return artifacts.path(ref.sha256)


def test_a_hit_is_checked_once_while_the_outputs_are_unchanged(
    cache: StepCache, artifacts: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached_output(cache, artifacts, tmp_path)
    hashed: list[object] = []
    real = artifacts_module.sha256_of
    monkeypatch.setattr(artifacts_module, "sha256_of", lambda p: hashed.append(p) or real(p))
    for _ in range(3):
        hit = cache.get(spec(artifacts))
        assert hit is not None and hit.step_run == "urn:step-run"
    assert hashed == []  # checked when stored, remembered since


def test_an_output_with_the_right_size_but_other_bytes_is_a_miss(
    cache: StepCache, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    output = cached_output(cache, artifacts, tmp_path)
    output.write_text('{"rows": 999}')  # same size, other bytes
    assert cache.get(spec(artifacts)) is None
    assert not output.exists()  # quarantined, so the rerun stores the true bytes again
    assert artifacts.quarantined(output.parent.name + output.name).is_file()


def test_a_damaged_cache_entry_is_a_miss(
    cache: StepCache, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    cached_output(cache, artifacts, tmp_path)
    entry = next((tmp_path / "cache").rglob("*.json"))
    entry.write_text('{"result": ')  # cut short
    assert cache.get(spec(artifacts)) is None
