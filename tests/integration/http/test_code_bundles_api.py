"""POST /api/experiments with a code bundle (multipart: the definition + a zip) over real
HTTP: stored by its sha256 and run; an unsafe or unreadable zip is a 400 and stores nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import assert_problem, wait_for_run

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "wine_custom_code.ttl"


def zipped(files: dict[str, str]) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return data.getvalue()


def example_code() -> bytes:
    folder = EXAMPLE.parent / "wine_custom_code"
    return zipped({p.name: p.read_text() for p in folder.glob("*.py")})


def post(server: Any, code: bytes | None, path: str = "/api/experiments") -> requests.Response:
    files: dict[str, Any] = {"definition": ("wine_custom_code.ttl", EXAMPLE.read_bytes())}
    if code is not None:
        files["code"] = ("code.zip", code, "application/zip")
    return requests.post(server(path), files=files, timeout=60)


def test_a_definition_with_its_code_is_stored_and_runs(live_server: Any) -> None:
    answer = post(live_server, example_code())
    assert answer.status_code == 201, answer.text
    again = post(live_server, example_code())
    assert (again.status_code, again.json()["version"]) == (200, 1)  # same code, same version
    reply = requests.post(live_server("/api/runs"), json={"experiment": "wine_custom"}, timeout=30)
    assert reply.status_code == 202, reply.text
    run = wait_for_run(live_server.url, reply.json()["run_id"])
    assert run["status"] == "succeeded", run
    model = requests.get(live_server("/api/models/wine-ensemble"), timeout=10)
    assert model.status_code == 200, model.text  # the code step's model is registered
    row = {"alcohol": 13.2, "malic_acid": 1.8, "ash": 2.4, "alcalinity_of_ash": 16.0,
           "magnesium": 100.0, "total_phenols": 2.8, "flavanoids": 2.9,
           "nonflavanoid_phenols": 0.3, "proanthocyanins": 1.9, "color_intensity": 5.6,
           "hue": 1.04, "od280/od315_of_diluted_wines": 3.2, "proline": 7.0,
           "flavanoid_ratio": 1.04, "colour_per_hue": 5.4}  # fmt: skip
    predicted = requests.post(
        live_server("/api/models/wine-ensemble/predict"),
        json={"dataframe_records": [row]},
        timeout=30,
    )
    assert predicted.status_code == 200, predicted.text


def test_validate_takes_the_bundle_too_and_stores_nothing(live_server: Any) -> None:
    answer = post(live_server, example_code(), "/api/experiments/validate")
    assert answer.status_code == 200, answer.text
    assert "features" in answer.text
    assert requests.get(live_server("/api/experiments/wine_custom"), timeout=10).status_code == 404


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        (b"not a zip at all", "is not a readable zip"),
        (zipped({"../escape.py": ""}), "which leaves its folder; remove it"),
        (zipped({"/etc/cron.py": ""}), "absolute path"),
        (None, "has code steps (ensemble, features) but no code came with it; put"),
    ],
)
def test_a_bad_bundle_is_a_400_and_stores_nothing(
    live_server: Any, code: bytes | None, fragment: str
) -> None:
    before = sorted(p.name for p in live_server.platform.artifacts.root.rglob("*") if p.is_file())
    assert_problem(post(live_server, code), 400, fragment)
    after = sorted(p.name for p in live_server.platform.artifacts.root.rglob("*") if p.is_file())
    assert after == before
    listed = requests.get(live_server("/api/experiments"), timeout=10).json()
    assert "wine_custom" not in str(listed)


def test_a_multipart_body_without_a_definition_is_a_400(live_server: Any) -> None:
    answer = requests.post(
        live_server("/api/experiments"), files={"code": ("c.zip", zipped({"a.py": ""}))}, timeout=10
    )
    assert_problem(answer, 400, "no part named definition; send the definition")
