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


def send(
    server: Any,
    definition: bytes = EXAMPLE.read_bytes(),
    code: bytes | None = None,
    pick: str | None = None,
    path: str = "/api/experiments",
) -> requests.Response:
    """A multipart POST: the definition, with the zip as `code` and/or a picked `code_sha256`."""
    files: dict[str, Any] = {"definition": ("wine_custom_code.ttl", definition)}
    if code is not None:
        files["code"] = ("code.zip", code, "application/zip")
    data = {"code_sha256": pick} if pick is not None else None
    return requests.post(server(path), files=files, data=data, timeout=60)


def relabelled(label: str, identifier: str = "wine_custom") -> bytes:
    text = EXAMPLE.read_text().replace("Wine cultivars with custom code", label)
    return text.replace('"wine_custom"', f'"{identifier}"').encode()


def bundles(server: Any, identifier: str = "wine_custom") -> list[dict[str, Any]]:
    answer = requests.get(server(f"/api/experiments/{identifier}/code-bundles"), timeout=10)
    assert answer.status_code == 200, answer.text
    listed: list[dict[str, Any]] = answer.json()["code_bundles"]
    return listed


def stored_files(server: Any) -> list[str]:
    return sorted(p.name for p in server.platform.artifacts.root.rglob("*") if p.is_file())


def with_extra_file(name: str) -> bytes:
    folder = EXAMPLE.parent / "wine_custom_code"
    return zipped({name: "# more\n"} | {p.name: p.read_text() for p in folder.glob("*.py")})


def test_a_new_version_reuses_an_earlier_versions_bundle_by_its_sha256(live_server: Any) -> None:
    assert send(live_server, code=example_code()).status_code == 201
    second = send(live_server, relabelled("v2"), code=with_extra_file("notes.py"))
    assert (second.status_code, second.json()["version"]) == (201, 2)
    newest, first = bundles(live_server)
    assert (newest["versions"], first["versions"]) == ([2], [1])
    assert first["first_version"] == 1 and first["stored"] is True
    assert first["files"] == ["features.py", "models.py"]
    assert "notes.py" in newest["files"] and newest["size"] > 0
    before = stored_files(live_server)

    third = send(live_server, relabelled("v3 with v1's code"), pick=first["sha256"])

    assert (third.status_code, third.json()["version"]) == (201, 3), third.text
    turtle = requests.get(live_server("/api/experiments/wine_custom/versions/3"), timeout=10)
    assert first["sha256"] in turtle.json()["turtle"]
    assert stored_files(live_server) == before, "nothing uploaded or stored again"
    assert [b["versions"] for b in bundles(live_server)] == [[1, 3], [2]]
    same = send(live_server, pick=first["sha256"])
    assert (same.status_code, same.json()["version"]) == (200, 1), "v1's definition and code"
    checked = send(
        live_server, relabelled("v4"), pick=newest["sha256"], path="/api/experiments/validate"
    )
    assert checked.status_code == 200, checked.text


@pytest.mark.parametrize(
    "pick",
    [
        "0" * 64,  # a checksum, but of nothing stored
        "../../../etc/passwd",  # not a checksum: never a path
        "A" * 64,
        "other",  # the bundle of another experiment (filled in below)
    ],
)
def test_a_bundle_the_experiment_never_stored_is_a_400_naming_it(
    live_server: Any, pick: str
) -> None:
    assert send(live_server, code=example_code()).status_code == 201
    if pick == "other":
        other = send(live_server, relabelled("x", "wine_other"), code=with_extra_file("o.py"))
        assert other.status_code == 201, other.text
        pick = bundles(live_server, "wine_other")[0]["sha256"]
    before = stored_files(live_server)

    for path in ("/api/experiments", "/api/experiments/validate"):
        answer = send(live_server, relabelled("v2"), pick=pick, path=path)
        assert_problem(
            answer,
            400,
            f"no code bundle with sha256 {pick!r} is stored for experiment 'wine_custom'",
            "GET /api/experiments/wine_custom/code-bundles",
        )
    assert stored_files(live_server) == before
    listed = requests.get(live_server("/api/experiments/wine_custom"), timeout=10).json()
    assert [v["version"] for v in listed["versions"]] == [1], "no version stored"


def test_a_zip_and_a_picked_bundle_together_are_a_400(live_server: Any) -> None:
    assert send(live_server, code=example_code()).status_code == 201
    sha256 = bundles(live_server)[0]["sha256"]
    answer = send(live_server, relabelled("v2"), code=example_code(), pick=sha256)
    assert_problem(answer, 400, "has both a part `code` and a field `code_sha256`")


def test_the_bundles_of_an_unknown_experiment_are_404(live_server: Any) -> None:
    answer = requests.get(live_server("/api/experiments/nothing/code-bundles"), timeout=10)
    assert_problem(answer, 404, "no experiment 'nothing' is stored")


def test_an_experiment_without_code_lists_no_bundles(live_server: Any) -> None:
    iris = (EXAMPLE.parent / "iris.ttl").read_bytes()
    stored = requests.post(
        live_server("/api/experiments"),
        data=iris,
        headers={"Content-Type": "text/turtle"},
        timeout=30,
    )
    assert stored.status_code == 201, stored.text
    assert bundles(live_server, "iris") == []
