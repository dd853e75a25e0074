"""Dataset upload, versions, preview, profile, and use in an experiment, over real HTTP."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from sklearn.datasets import load_wine

from tests.documents import iris_document

CSV = "text/csv"


@pytest.fixture
def wine_csv() -> bytes:
    frame = load_wine(as_frame=True).frame
    frame.loc[3, "alcohol"] = None
    return frame.to_csv(index=False).encode()


def upload(
    server: Any, name: str, data: bytes, media_type: str = CSV, timeout: float = 30
) -> requests.Response:
    """POST ``data`` as dataset ``name``, sent as ``media_type``."""
    return requests.post(
        server("/api/datasets"),
        params={"name": name},
        data=data,
        headers={"Content-Type": media_type},
        timeout=timeout,
    )


def graph_size(server: Any) -> int:
    rows = server.platform.store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(rows[0]["n"])


def test_upload_versions_preview(live_server: Any, wine_csv: bytes) -> None:
    first = upload(live_server, "wine", wine_csv)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["rows"], body["columns"], body["number"]) == (178, 14, 1)
    assert body["source"] == "dataset:wine@1"
    parquet = io.BytesIO()
    pd.read_csv(io.BytesIO(wine_csv)).head(50).to_parquet(parquet)
    second = requests.post(
        live_server("/api/datasets"),
        timeout=30,
        files={"file": ("wine.parquet", parquet.getvalue())},
    )
    assert second.status_code == 201, second.text
    assert (second.json()["name"], second.json()["number"], second.json()["rows"]) == (
        "wine",
        2,
        50,
    )
    listed = requests.get(live_server("/api/datasets"), timeout=10).json()["datasets"]
    assert listed == [{"name": "wine", "versions": 2, "updated": listed[0]["updated"]}]
    preview = requests.get(
        live_server("/api/datasets/wine/preview"), params={"rows": 3, "version": 1}, timeout=10
    ).json()
    assert preview["columns"][0] == "alcohol" and len(preview["rows"]) == 3
    assert preview["rows"][0][0] == pytest.approx(14.23)
    assert preview["total_rows"] == 178


def test_bad_uploads_are_refused_and_store_nothing(live_server: Any) -> None:
    before = graph_size(live_server)
    empty = upload(live_server, "x", b"", timeout=10)
    assert empty.status_code == 400 and "No columns to parse" in empty.json()["detail"]
    garbage = upload(
        live_server,
        "x",
        b"\x00\x01 not parquet",
        media_type="application/vnd.apache.parquet",
        timeout=10,
    )
    assert garbage.status_code == 400 and "not readable" in garbage.json()["detail"]
    wrong = upload(live_server, "x", b"{}", media_type="application/json", timeout=10)
    assert wrong.status_code == 400 and "text/csv" in wrong.json()["detail"]
    assert graph_size(live_server) == before


def test_upload_past_the_size_limit_is_413(live_server: Any, monkeypatch: Any) -> None:
    import dataclasses

    platform = live_server.platform
    monkeypatch.setattr(
        platform, "settings", dataclasses.replace(platform.settings, max_upload_mb=0.001)
    )
    big = b"a,b\n" + b"1,2\n" * 1000
    reply = upload(live_server, "big", big, timeout=10)
    assert reply.status_code == 413
    assert "over the limit of 0.0 MB" in reply.json()["detail"]
    assert "ONTOLAB_MAX_UPLOAD_MB" in reply.json()["detail"]
    assert requests.get(live_server("/api/datasets/big"), timeout=10).status_code == 404


@pytest.mark.slow
def test_profile_and_experiment_on_an_uploaded_dataset(
    live_server: Any, wine_csv: bytes, finished_run: Any
) -> None:
    upload(live_server, "wine", wine_csv)
    profile = requests.get(live_server("/api/datasets/wine/profile"), timeout=120)
    assert profile.status_code == 200, profile.text
    columns = {c["name"]: c for c in profile.json()["columns"]}
    assert columns["alcohol"]["missing"] == 1
    assert sum(columns["alcohol"]["histogram"]["counts"]) == 177
    document = iris_document(
        "wine_upload",
        source="dataset:wine",
        estimator="RandomForestClassifier",
        hyper={"n_estimators": 30},
        min_accuracy=None,
    )
    assert (
        requests.post(live_server("/api/experiments"), json=document, timeout=30).status_code == 201
    )
    run_id = requests.post(
        live_server("/api/runs"), json={"experiment": "wine_upload"}, timeout=30
    ).json()["run_id"]
    run = finished_run(live_server.url, run_id)
    assert run["status"] == "succeeded", run.get("error")
    accuracy = next(m["value"] for m in run["metrics"] if m["metric"] == "accuracy")
    assert accuracy > 0.85


def files_under(*roots: Path) -> dict[Path, int]:
    """Every file under ``roots`` with its mtime: what a request may not change."""
    return {p: p.stat().st_mtime_ns for root in roots for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "name", ["..", ".", ".hidden", "a/b", "..\\x", "a\x00b", "n" * 65, "-x", "wine data"]
)
def test_a_name_that_is_not_a_plain_name_is_refused(live_server: Any, name: str) -> None:
    before = graph_size(live_server)
    reply = upload(live_server, name, b"a,b\n1,2\n")
    assert reply.status_code == 400, reply.text
    detail = reply.json()["detail"]
    assert "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}" in detail and "rename the dataset" in detail
    assert graph_size(live_server) == before
    root = live_server.platform.artifacts.root
    assert [p for p in root.rglob("*") if p.is_file()] == []


def test_reading_the_profile_changes_nothing(live_server: Any, wine_csv: bytes) -> None:
    settings = live_server.platform.settings
    reply = upload(live_server, "wine", wine_csv, timeout=120)
    assert reply.status_code == 201 and "profile_error" not in reply.json(), reply.text
    roots = (settings.data / "artifacts", settings.cache_dir, settings.data / "profiles")
    before = files_under(*roots)
    for _ in range(2):
        profile = requests.get(live_server("/api/datasets/wine/profile"), timeout=30)
        assert profile.status_code == 200, profile.text
        assert {c["name"] for c in profile.json()["columns"]} >= {"alcohol", "target"}
    assert files_under(*roots) == before
    shutil.rmtree(settings.cache_dir)  # as after `rm -rf data/cache`: nothing to read back
    missing = requests.get(live_server("/api/datasets/wine/profile"), timeout=30)
    assert missing.status_code == 404
    assert "upload the file again with POST /api/datasets?name=wine" in missing.json()["detail"]
    assert not settings.cache_dir.exists()
