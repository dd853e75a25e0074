"""server.api.ui and server.api.vocabulary: the built UI at / and the builder's vocabulary."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from server.app import create_app
from server.platform import Platform


@dataclass
class Answer:
    status_code: int
    mimetype: str | None
    headers: dict[str, str]
    data: bytes

    def get_json(self) -> Any:
        return json.loads(self.data)


class Client:
    """A test client whose answers are read and closed (file responses hold a file open)."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self._call("get", path, headers)

    def post(self, path: str) -> Answer:
        return self._call("post", path)

    def _call(self, method: str, path: str, headers: dict[str, str] | None = None) -> Answer:
        with getattr(self._client, method)(path, headers=headers or {}) as response:
            return Answer(
                response.status_code, response.mimetype, dict(response.headers), response.data
            )


@pytest.fixture
def client(platform: Platform, tmp_path: Path) -> Client:
    app = create_app(platform=platform)
    app.config["ONTOLAB_UI_DIST"] = tmp_path / "dist"
    return Client(app.test_client())


@pytest.fixture
def built(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")
    return dist


def test_without_a_build_the_root_says_how_to_make_one(client: Client) -> None:
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    assert b"./installation.sh" in answer.data


def test_client_routes_get_index_html(client: Client, built: Path) -> None:
    for path in ("/", "/runs/0123456789abcdef", "/compare", "/models/iris-forest"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert b"id=root" in answer.data
        assert answer.headers["Cache-Control"] == "no-cache"


def test_assets_and_top_level_files_are_served(client: Client, built: Path) -> None:
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["Cache-Control"]
    assert client.get("/favicon.svg").data == b"<svg/>"
    assert client.get("/assets/missing.js").status_code == 404


@pytest.fixture
def precompressed(built: Path) -> bytes:
    """A built asset with the .gz and .br siblings the UI build writes beside it."""
    source = b"export const answer = 42;\n" * 200
    (built / "assets" / "page-def456.js").write_bytes(source)
    (built / "assets" / "page-def456.js.gz").write_bytes(gzip.compress(source))
    # Any bytes stand for Brotli here: the server sends the sibling as it is.
    (built / "assets" / "page-def456.js.br").write_bytes(b"brotli-bytes")
    return source


def test_an_asset_comes_gzipped_when_the_client_accepts_gzip(
    client: Client, precompressed: bytes
) -> None:
    answer = client.get("/assets/page-def456.js", {"Accept-Encoding": "gzip, deflate"})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.mimetype == "text/javascript"
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert "immutable" in answer.headers["Cache-Control"]
    assert gzip.decompress(answer.data) == precompressed
    assert int(answer.headers["Content-Length"]) < len(precompressed)


def test_brotli_is_preferred_when_the_client_accepts_it(
    client: Client, precompressed: bytes
) -> None:
    answer = client.get("/assets/page-def456.js", {"Accept-Encoding": "gzip, br"})
    assert answer.headers["Content-Encoding"] == "br"
    assert answer.data == b"brotli-bytes"
    refused = client.get("/assets/page-def456.js", {"Accept-Encoding": "br;q=0, gzip"})
    assert refused.headers["Content-Encoding"] == "gzip"


def test_a_client_that_accepts_no_encoding_gets_the_plain_file(
    client: Client, precompressed: bytes
) -> None:
    for headers in ({}, {"Accept-Encoding": "identity"}):
        answer = client.get("/assets/page-def456.js", headers)
        assert "Content-Encoding" not in answer.headers
        assert answer.data == precompressed
    # A file the build did not compress (too small) is sent as it is.
    small = client.get("/assets/index-abc123.js", {"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in small.headers
    assert small.data == b"console.log(1)"


def test_api_paths_keep_their_problem_json(client: Client, built: Path) -> None:
    for method in ("get", "post"):
        answer = (
            client.get("/api/no-such-route")
            if method == "get"
            else client.post("/api/no-such-route")
        )
        assert answer.status_code == 404
        assert answer.mimetype == "application/problem+json"
    assert client.get("/metrics").mimetype != "text/html"
    assert client.get("/sparql").mimetype != "text/html"


def test_metrics_of_an_unknown_deployment_is_a_404_problem(client: Client) -> None:
    answer = client.get("/api/deployments/nope/metrics")
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"


def test_vocabulary_comes_from_the_shapes(client: Client) -> None:
    vocabulary = client.get("/api/vocabulary").get_json()
    assert vocabulary["task"] == ["classification", "regression"]
    steps = {s["type"]: s for s in vocabulary["steps"]}
    extract = {p["name"]: p for p in steps["DataExtraction"]["parameters"]}
    assert extract["source"]["required"] and extract["target_column"]["required"]
    assert steps["DataExtraction"]["consumes"] == {"min": 0, "max": 0}
    assert steps["ModelValidation"]["consumes"]["min"] == 2
    process = {p["name"]: p for p in steps["DataProcessing"]["parameters"]}
    assert process["scaling"]["in"] == ["standard", "minmax", "robust", "none"]
    assert process["test_size"]["min_exclusive"] == 0 and process["test_size"]["max_exclusive"] == 1
    assert process["one_hot_encoding"]["datatype"] == "boolean"
    estimators = vocabulary["choices_by_task"]["estimator"]
    assert "LogisticRegression" in estimators["classification"]
    assert "Ridge" in estimators["regression"]
    assert vocabulary["choices_by_task"]["metric_name"]["regression"] == ["rmse", "mae", "r2"]
    assert {r["name"] for r in vocabulary["resources"]} == {
        "image",
        "cpus",
        "memory",
        "timeout_seconds",
        "placement",
    }


def test_vocabulary_names_the_step_kinds_and_bundled_sources(client: Client) -> None:
    vocabulary = client.get("/api/vocabulary").get_json()
    phases = {s["type"]: s["phase"] for s in vocabulary["steps"]}
    assert phases["DataExtraction"] == "extract" and phases["ModelBuilding"] == "build"
    assert vocabulary["sources"] == [
        "sklearn:iris",
        "sklearn:wine",
        "sklearn:breast_cancer",
        "sklearn:diabetes",
    ]
    extract = next(s for s in vocabulary["steps"] if s["type"] == "DataExtraction")
    target = next(p for p in extract["parameters"] if p["name"] == "target_column")
    assert target["path"] == "ol:targetColumn"
    structures = {s["type"]: s["structures"] for s in vocabulary["steps"]}
    assert structures["ModelBuilding"] == ["resources", "hyper_parameter", "search_space"]
    assert structures["ModelValidation"] == ["resources", "threshold"]


def test_openapi_documents_the_new_routes(client: Client) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/vocabulary" in paths
    assert "/" in paths
    assert "/api/deployments/{deployment_id}/metrics" in paths


def test_the_builder_palette_offers_data_validation_steps(client: Client) -> None:
    vocabulary = client.get("/api/vocabulary").get_json()
    (check,) = [s for s in vocabulary["steps"] if s["type"] == "DataValidation"]
    assert check["phase"] == "check" and check["label"] == "Data validation"
    assert check["consumes"] == {"min": 1, "max": 1}
    fields = {p["name"]: p for p in check["parameters"]}
    assert {"min_rows", "max_rows", "max_missing_rate", "reference_model"} <= set(fields)
    assert {"reference_version", "reference_alias", "reference_tolerance"} <= set(fields)
    assert fields["max_missing_rate"]["min_inclusive"] == 0
    assert fields["max_missing_rate"]["max_inclusive"] == 1
    assert fields["min_rows"]["datatype"] == "integer"
    assert "expect_column" not in fields  # a structured value, not a plain field
