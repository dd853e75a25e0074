"""Issue 16, data roots: ``ol:source`` files are read only from inside the configured roots.

Before, any absolute ``*.csv`` the server could read was accepted (201), run, and its rows
came back through ``GET /api/artifacts/SHA``; now such a definition is refused by name (400)
at validation, with nothing stored, and a version stored earlier cannot run it either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from server import definitions
from server.definitions.ui_document import to_graph


def leaking_document(source: str) -> dict[str, Any]:
    return {
        "id": "leak",
        "task": "classification",
        "steps": [
            {
                "id": "extract",
                "type": "DataExtraction",
                "parameters": {"source": source, "target_column": "y"},
            },
            {"id": "process", "type": "DataProcessing", "consumes": ["extract"]},
            {
                "id": "build",
                "type": "ModelBuilding",
                "consumes": ["process"],
                "parameters": {"estimator": "GaussianNB"},
            },
            {"id": "validate", "type": "ModelValidation", "consumes": ["build", "process"]},
        ],
    }


def write_table(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{i},{'secret' if i % 2 else 'plain'}\n" for i in range(30))
    path.write_text("x,y\n" + rows)
    return path


@pytest.fixture
def outside_csv(tmp_path: Path) -> Path:
    """A real, readable CSV outside the data dir and outside ./data."""
    return write_table(tmp_path / "elsewhere" / "secret.csv")


@pytest.fixture
def data_dir(live_server: Any) -> Path:
    return Path(live_server.platform.settings.data).resolve()


def assert_refused_by_name(reply: requests.Response, source: str, data_dir: Path) -> None:
    assert reply.status_code == 400, reply.text
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    problem = reply.json()
    assert "outside the data roots" in problem["detail"]
    assert str(data_dir) in problem["detail"] and "ONTOLAB_DATA_ROOTS" in problem["detail"]
    assert [(v["node"], v["path"], v["value"]) for v in problem["violations"]] == [
        (":extract", "ol:source", source)
    ]


def nothing_stored(server: Any) -> bool:
    experiments = requests.get(server("/api/experiments"), timeout=10).json()["experiments"]
    runs = requests.get(server("/api/runs"), timeout=10).json()["total"]
    return experiments == [] and runs == 0


def test_an_absolute_source_outside_the_roots_is_refused_at_validation(
    live_server: Any, outside_csv: Path, data_dir: Path
) -> None:
    doc = leaking_document(str(outside_csv))
    for route in ("/api/experiments/validate", "/api/experiments"):
        reply = requests.post(live_server(route), json=doc, timeout=30)
        assert_refused_by_name(reply, str(outside_csv), data_dir)
    turtle = to_graph(doc).serialize(format="turtle")
    reply = requests.post(
        live_server("/api/experiments"),
        data=turtle,
        headers={"Content-Type": "text/turtle"},
        timeout=30,
    )
    assert_refused_by_name(reply, str(outside_csv), data_dir)
    assert nothing_stored(live_server)


def test_dot_dot_and_symlinks_cannot_lead_out_of_a_root(
    live_server: Any, outside_csv: Path, data_dir: Path
) -> None:
    escape = str(data_dir / ".." / "elsewhere" / "secret.csv")
    link = data_dir / "tables" / "innocent.csv"
    link.parent.mkdir()
    link.symlink_to(outside_csv)
    for source in (escape, str(link)):
        reply = requests.post(
            live_server("/api/experiments"), json=leaking_document(source), timeout=30
        )
        assert_refused_by_name(reply, source, data_dir)
        assert str(outside_csv) in reply.json()["violations"][0]["message"]
    assert nothing_stored(live_server)


@pytest.mark.slow
def test_a_source_inside_the_data_dir_is_read(
    live_server: Any, finished_run: Any, data_dir: Path
) -> None:
    inside = write_table(data_dir / "tables" / "fine.csv")
    created = requests.post(
        live_server("/api/experiments"), json=leaking_document(str(inside)), timeout=30
    )
    assert created.status_code == 201, created.text
    started = requests.post(live_server("/api/runs"), json={"experiment": "leak"}, timeout=30)
    assert started.status_code == 202, started.text
    assert finished_run(live_server.url, started.json()["run_id"])["status"] == "succeeded"


def test_a_stored_version_reading_outside_the_roots_cannot_run(
    live_server: Any, outside_csv: Path
) -> None:
    # As if stored before the data roots existed, or under roots that have since changed.
    graph = to_graph(leaking_document(str(outside_csv)))
    definitions.submit(live_server.platform.store, graph, roots=[outside_csv.parent])

    reply = requests.post(live_server("/api/runs"), json={"experiment": "leak"}, timeout=30)

    assert reply.status_code == 400, reply.text
    detail = reply.json()["detail"]
    assert repr(str(outside_csv)) in detail and "ONTOLAB_DATA_ROOTS" in detail
    assert requests.get(live_server("/api/runs"), timeout=10).json()["total"] == 0


def test_the_refusal_is_json_not_a_server_error_for_odd_paths(
    live_server: Any, data_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "loop_a").symlink_to(tmp_path / "loop_b")
    (tmp_path / "loop_b").symlink_to(tmp_path / "loop_a")
    odd = (
        "../../../../etc/passwd.csv",
        "/nonexistent/dir/x.parquet",
        "~/x.csv",
        "nul\u0000byte.csv",
        str(tmp_path / "loop_a" / "x.csv"),
    )
    for source in odd:
        reply = requests.post(
            live_server("/api/experiments/validate"),
            data=json.dumps(leaking_document(source)),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert_refused_by_name(reply, source, data_dir)
