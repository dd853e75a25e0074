"""Hostile requests over real HTTP: deep JSON, big bodies, foreign Host, cross-site writes.

One platform per module, served as ``ontolab serve`` serves it, with small body limits so
the over-limit bodies stay small: 50 KB for JSON routes, 100 KB for predict, 200 KB uploads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from server.app import create_app
from server.platform import open_platform
from server.settings import Settings
from tests.conftest import LiveServer, assert_problem

TIMEOUT = 30
DEEP = 1000
CSV = b"a,b\n1,2\n3,4\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[LiveServer]:
    overrides = {"max_request_mb": 0.05, "max_predict_mb": 0.1, "max_upload_mb": 0.2}
    data = tmp_path_factory.mktemp("guards") / "data"
    platform = open_platform(Settings.load({"data": data, **overrides}, environ={}))
    with serve_app(create_app(platform=platform)) as url:
        yield LiveServer(url, platform)
    platform.close()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def post_json(url: str, text: str, media_type: str = "application/json") -> requests.Response:
    return requests.post(url, data=text, headers={"Content-Type": media_type}, timeout=TIMEOUT)


# --- JSON depth: 500 before, 400 naming the limit after -------------------------------------


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/api/runs", "application/json"),
        ("/api/experiments", "application/json"),
        ("/api/experiments", "application/ld+json"),
        ("/api/experiments/validate", "application/json"),
        ("/api/models/any/predict", "application/json"),
        ("/api/queries/runs", "application/json"),
    ],
)
def test_deeply_nested_json_is_a_400_naming_the_limit(
    served: LiveServer, path: str, media_type: str
) -> None:
    body = '{"experiment": "x", "inputs": ' + nested(DEEP) + "}"
    answer = post_json(served(path), body, media_type)
    assert_problem(answer, 400, "deeper than 64 levels", "ONTOLAB_MAX_JSON_DEPTH")


def test_nesting_within_the_limit_is_read_as_before(served: LiveServer) -> None:
    body = json.dumps({"experiment": "no-such-experiment", "extra": json.loads(nested(60))})
    answer = post_json(served("/api/runs"), body)
    assert answer.status_code == 404, answer.text  # read, then the experiment is looked up


def test_brackets_inside_strings_do_not_count_as_nesting(served: LiveServer) -> None:
    body = json.dumps({"experiment": "[" * 5000})
    assert post_json(served("/api/runs"), body).status_code == 404


# --- Body limits: accepted before, 413 naming the limit and setting after --------------------


def test_a_json_body_over_the_limit_is_a_413_naming_the_setting(served: LiveServer) -> None:
    body = json.dumps({"experiment": "x", "pad": "x" * 60_000})
    answer = post_json(served("/api/runs"), body)
    assert_problem(answer, 413, "at most 0.05 MB", "ONTOLAB_MAX_REQUEST_MB")


def test_a_chunked_body_over_the_limit_is_refused_too(served: LiveServer) -> None:
    chunks = (b"x" * 10_000 for _ in range(8))  # no Content-Length: Transfer-Encoding: chunked
    answer = requests.post(
        served("/api/runs"),
        data=chunks,
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert_problem(answer, 413, "ONTOLAB_MAX_REQUEST_MB")


def test_predict_has_its_own_limit(served: LiveServer) -> None:
    rows = json.dumps({"dataframe_records": [{"a": 1.0}] * 7_000})  # ~70 KB: over 50, under 100
    within = post_json(served("/api/models/no-such-model/predict"), rows)
    assert within.status_code == 404, within.text  # read, then the model is looked up
    big = json.dumps({"dataframe_records": [{"a": 1.0}] * 12_000})  # ~120 KB
    answer = post_json(served("/api/models/no-such-model/versions/1/predict"), big)
    assert_problem(answer, 413, "at most 0.1 MB", "ONTOLAB_MAX_PREDICT_MB")


def test_uploads_keep_their_own_limit(served: LiveServer) -> None:
    small = requests.post(
        served("/api/datasets"), params={"name": "sized"}, data=b"a\n" + b"1\n" * 40_000,
        headers={"Content-Type": "text/csv"}, timeout=TIMEOUT,
    )  # fmt: skip
    assert small.status_code == 201, small.text  # 80 KB: over the JSON limit, fine for uploads
    answer = requests.post(
        served("/api/datasets"), params={"name": "huge"}, data=b"1\n" * 1_000_000,
        headers={"Content-Type": "text/csv"}, timeout=TIMEOUT,
    )  # fmt: skip
    assert_problem(answer, 413, "0.2 MB", "ONTOLAB_MAX_UPLOAD_MB")


# --- Host: DNS rebinding reached every route before; 400 after -------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:3000", "127.0.0.1.evil.example"])
def test_a_foreign_host_is_refused(served: LiveServer, host: str) -> None:
    answer = requests.get(served("/api/health"), headers={"Host": host}, timeout=TIMEOUT)
    assert_problem(answer, 400, f"Host {host!r}", "ONTOLAB_ALLOWED_HOSTS")
    write = requests.post(
        served("/api/datasets"), params={"name": "rebound"}, data=CSV,
        headers={"Host": host, "Content-Type": "text/csv"}, timeout=TIMEOUT,
    )  # fmt: skip
    assert write.status_code == 400
    assert "rebound" not in [d["name"] for d in datasets(served)]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]"])
def test_loopback_names_are_answered(served: LiveServer, host: str) -> None:
    port = served.url.rsplit(":", 1)[1]
    answer = requests.get(
        served("/api/health"), headers={"Host": f"{host}:{port}"}, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text


# --- Origin: a cross-site upload answered 201 before; 403 and nothing stored after -----------


def datasets(served: LiveServer) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = requests.get(served("/api/datasets"), timeout=TIMEOUT).json()[
        "datasets"
    ]
    return listed


def upload(served: LiveServer, name: str, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        served("/api/datasets"),
        params={"name": name},
        files={"file": ("data.csv", CSV, "text/csv")},
        headers=headers,
        timeout=TIMEOUT,
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:1"},  # another port is another origin
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["foreign-origin", "null-origin", "other-port", "sec-fetch-site"],
)
def test_a_cross_site_upload_is_refused_and_stores_nothing(
    served: LiveServer, headers: dict[str, str]
) -> None:
    answer = upload(served, "planted", headers)
    assert_problem(answer, 403, "POST refused", "ONTOLAB_ALLOWED_HOSTS")
    assert "planted" not in [d["name"] for d in datasets(served)]


def test_cross_site_deletes_are_refused(served: LiveServer) -> None:
    answer = requests.delete(
        served("/api/experiments/anything"),
        headers={"Origin": "http://evil.example"},
        timeout=TIMEOUT,
    )
    assert_problem(answer, 403, "DELETE refused")


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, scripts, the executor: no Origin
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
    ],
    ids=["no-origin", "same-origin-fetch", "typed-by-user"],
)
def test_same_origin_and_non_browser_writes_keep_working(
    served: LiveServer, headers: dict[str, str]
) -> None:
    name = f"kept-{len(datasets(served))}"
    answer = upload(served, name, headers)
    assert answer.status_code == 201, answer.text


def test_the_ui_own_origin_may_write(served: LiveServer) -> None:
    answer = upload(served, "from-ui", {"Origin": served.url})
    assert answer.status_code == 201, answer.text


def test_cross_site_reads_are_not_refused(served: LiveServer) -> None:
    answer = requests.get(
        served("/api/health"), headers={"Origin": "http://evil.example"}, timeout=TIMEOUT
    )
    assert answer.status_code == 200
