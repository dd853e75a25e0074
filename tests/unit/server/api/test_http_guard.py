"""The request guards on their own: JSON depth, Host names, Origin, body limits, stream threads."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest

from server.errors import (
    ConfigError,
    CrossSiteRequest,
    HostNotAllowed,
    JsonTooDeep,
    RequestTooLarge,
    TooManyStreams,
)
from server.http_guard import (
    BodyLimit,
    CappedInput,
    RequestPolicy,
    check_json_depth,
    host_name,
    is_loopback,
    loads_json,
)
from server.http_server import StreamThreads
from server.settings import Settings


def policy(bound: str = "127.0.0.1", **settings: Any) -> RequestPolicy:
    predict = BodyLimit(2, "ONTOLAB_MAX_PREDICT_MB")
    return RequestPolicy.build(
        Settings.load(settings, environ={}), bound, [("POST", r"/x/[^/]+/predict", predict)]
    )


def nested(depth: int, kind: str = "[]") -> str:
    return kind[0] * depth + kind[1] * depth


# --- JSON depth ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["[]", "{}"])
def test_depth_at_the_limit_passes_one_more_is_refused(kind: str) -> None:
    inner = nested(64) if kind == "[]" else '{"a":' * 63 + "{}" + "}" * 63
    assert json.loads(inner) is not None
    check_json_depth(inner, 64)
    deeper = "[" + inner + "]"
    with pytest.raises(JsonTooDeep, match="deeper than 64 levels; .*ONTOLAB_MAX_JSON_DEPTH"):
        check_json_depth(deeper, 64)


def test_bytes_are_checked_like_text() -> None:
    with pytest.raises(JsonTooDeep):
        loads_json(nested(100).encode(), 64)
    assert loads_json(b'{"a": [[1]]}', 64) == {"a": [[1]]}


def test_a_thousand_levels_never_reach_the_parser() -> None:
    with pytest.raises(JsonTooDeep):
        loads_json('{"rows": ' + nested(100_000) + "}", 64)


def test_brackets_in_strings_and_escaped_quotes_do_not_count() -> None:
    text = json.dumps({"a": "[" * 200 + '\\"{{{' + '"[[', "b": ["]]]" * 100]})
    assert loads_json(text, 3)["b"] == ["]]]" * 100]


def test_many_shallow_rows_pass() -> None:
    rows = json.dumps({"dataframe_records": [{"a": i, "b": [i]} for i in range(10_000)]})
    assert len(loads_json(rows, 4)["dataframe_records"]) == 10_000


def test_malformed_json_still_fails_as_json() -> None:
    with pytest.raises(ValueError):
        loads_json("[[[", 64)


# --- Host ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:3000", "127.0.0.1"),
        ("LocalHost", "localhost"),
        ("[::1]:3000", "::1"),
        ("::1", "::1"),
        ("lab.example.", "lab.example"),
    ],
)
def test_host_names_are_read_without_port_or_brackets(header: str, name: str) -> None:
    assert host_name(header) == name


def test_loopback_binding_answers_loopback_names_only() -> None:
    guard = policy()
    for header in ("127.0.0.1:3000", "localhost:3000", "[::1]:3000", None):
        guard.check_host(header)
    for header in ("evil.example", "10.0.0.5:3000", "localhost.evil.example"):
        with pytest.raises(HostNotAllowed, match="add the name to ONTOLAB_ALLOWED_HOSTS"):
            guard.check_host(header)


def test_allowed_hosts_and_platform_url_are_answered() -> None:
    guard = policy(allowed_hosts="lab.example, Other.Example", platform_url="http://mgr:3000")
    for header in ("lab.example", "other.example:80", "mgr:3000"):
        guard.check_host(header)
    with pytest.raises(HostNotAllowed):
        guard.check_host("evil.example")


def test_a_toml_list_of_allowed_hosts_works_too() -> None:
    from_toml: Any = ["a.example", " B "]
    assert Settings(allowed_hosts=from_toml).allowed_host_names == ("a.example", "b")


def test_a_star_turns_the_host_check_off() -> None:
    policy(allowed_hosts="*").check_host("anything.example")


def test_a_wildcard_binding_answers_any_address_but_no_unknown_name() -> None:
    guard = policy("0.0.0.0")
    guard.check_host("192.168.1.20:3000")
    guard.check_host("[fe80::1]:3000")
    with pytest.raises(HostNotAllowed):
        guard.check_host("rebound.evil.example:3000")


def test_a_specific_binding_answers_its_own_address() -> None:
    guard = policy("192.168.1.20")
    guard.check_host("192.168.1.20:3000")
    with pytest.raises(HostNotAllowed):
        guard.check_host("192.168.1.21:3000")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True)]
    + [("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.2", False)]
    + [("example.org", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# --- Origin ----------------------------------------------------------------------------------


def environ(method: str, **headers: str) -> dict[str, Any]:
    base = {"REQUEST_METHOD": method, "PATH_INFO": "/api/datasets", "HTTP_HOST": "127.0.0.1:3000"}
    return base | {f"HTTP_{k.upper()}": v for k, v in headers.items()}


def test_a_foreign_origin_may_read_but_not_write() -> None:
    guard = policy()
    guard.check(environ("GET", origin="http://evil.example"))
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with pytest.raises(CrossSiteRequest, match=f"{method} refused: .*http://evil.example"):
            guard.check(environ(method, origin="http://evil.example"))


def test_own_origin_no_origin_and_configured_origins_may_write() -> None:
    guard = policy(allowed_hosts="ui.example")
    guard.check(environ("POST", origin="http://127.0.0.1:3000"))
    guard.check(environ("POST"))
    guard.check(environ("POST", sec_fetch_site="same-site"))
    guard.check(environ("POST", origin="https://ui.example"))
    with pytest.raises(CrossSiteRequest, match="Sec-Fetch-Site: cross-site"):
        guard.check(environ("POST", sec_fetch_site="cross-site"))


# --- Body limits -----------------------------------------------------------------------------


def test_each_route_has_its_limit_and_names_its_setting() -> None:
    guard = policy(max_request_mb=1)
    assert guard.limit_for("POST", "/x/m/predict").setting == "ONTOLAB_MAX_PREDICT_MB"
    assert guard.limit_for("GET", "/x/m/predict").setting == "ONTOLAB_MAX_REQUEST_MB"
    assert guard.largest_body == 2 * 1024 * 1024
    big = environ("POST") | {"CONTENT_LENGTH": str(3 * 1024 * 1024)}
    with pytest.raises(RequestTooLarge, match="3.0 MB; .*at most 1 MB; .*ONTOLAB_MAX_REQUEST_MB"):
        guard.check(big)
    guard.check(big | {"PATH_INFO": "/x/m/predict", "CONTENT_LENGTH": str(2 * 1024 * 1024)})


def test_a_body_without_length_is_capped_while_read() -> None:
    guard = policy(max_request_mb=0.001)
    request = environ("POST") | {
        "wsgi.input": io.BytesIO(b"x" * 5000),
        "wsgi.input_terminated": True,
    }
    guard.check(request)
    capped = request["wsgi.input"]
    assert isinstance(capped, CappedInput)
    assert capped.read(1000) == b"x" * 1000
    with pytest.raises(RequestTooLarge, match="larger than that"):
        capped.read()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("max_request_mb", "0", "ONTOLAB_MAX_REQUEST_MB must be a positive"),
        ("max_predict_mb", "-1", "ONTOLAB_MAX_PREDICT_MB must be a positive"),
        ("max_json_depth", "0", "ONTOLAB_MAX_JSON_DEPTH must be between 1 and 500"),
        ("max_event_streams", "0", "ONTOLAB_MAX_EVENT_STREAMS must be at least 1"),
    ],
)
def test_bad_guard_settings_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.load(environ={f"ONTOLAB_{name.upper()}": value})


# --- Stream threads --------------------------------------------------------------------------


class FakeDispatcher:
    def __init__(self) -> None:
        self.counts: list[int] = []

    def set_thread_count(self, count: int) -> None:
        self.counts.append(count)


def test_each_stream_borrows_a_thread_and_gives_it_back_once() -> None:
    dispatcher = FakeDispatcher()
    threads = StreamThreads(limit=2)
    threads.attach(dispatcher, 8)
    first, second = threads.open(), threads.open()
    assert threads.open_count == 2 and dispatcher.counts == [9, 10]
    with pytest.raises(TooManyStreams, match="raise ONTOLAB_MAX_EVENT_STREAMS"):
        threads.open()
    first()
    first()  # idempotent: closing twice gives back one thread
    assert threads.open_count == 1 and dispatcher.counts == [9, 10, 9]
    second()
    assert threads.open_count == 0 and dispatcher.counts[-1] == 8


def test_the_openapi_document_declares_what_the_guards_answer() -> None:
    from server.api.openapi import document

    paths = document()["paths"]
    assert set(paths["/api/datasets"]["post"]["responses"]) >= {"400", "403", "413"}
    assert "400" in paths["/api/health"]["get"]["responses"]
    assert "403" not in paths["/api/health"]["get"]["responses"]
    assert "503" in paths["/api/events"]["get"]["responses"]


def reference_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(reference_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(reference_depth, value), default=0)
    return 0


def random_document(rng: random.Random, depth: int) -> Any:
    kind = rng.random()
    if depth == 0 or kind < 0.2:
        return rng.choice([1, 2.5, None, True, '"[{', "\\", "]]}", 'a\\"[', ""])
    if kind < 0.6:
        return [random_document(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    keys = ["a", "[", '"}', "\\"]
    return {rng.choice(keys): random_document(rng, depth - 1) for _ in range(rng.randint(0, 3))}


def test_the_depth_check_agrees_with_a_parse_on_random_documents() -> None:
    rng = random.Random(16)
    for _ in range(500):
        document = random_document(rng, rng.randint(0, 12))
        text = json.dumps(document, indent=rng.choice([None, 1]), ensure_ascii=rng.random() < 0.5)
        depth = reference_depth(document)
        for limit in (max(depth - 1, 1), depth, depth + 1):
            if depth > limit:
                with pytest.raises(JsonTooDeep):
                    check_json_depth(text, limit)
            else:
                check_json_depth(text, limit)
                check_json_depth(text.encode(), limit)
