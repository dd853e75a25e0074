"""The served API against its own OpenAPI document, with schemathesis.

One platform per module, seeded over HTTP with an experiment, two finished runs, an uploaded
dataset, a registered model with a ``champion`` alias and a running deployment, so that the
generated requests reach real resources and not only 404s. Every operation of the document
(except the event stream, checked separately because it never ends) gets positive cases with
random path parameters, positive cases with the seeded ones, and negative cases, from a fixed
seed (``derandomize``) and a bounded number of examples. Each response must pass
``not_a_server_error``, ``status_code_conformance``, ``content_type_conformance`` and
``response_schema_conformance``; each request has a timeout, and a timeout counts as a hang.

Operations whose side effects would destroy the seeded data get only random path parameters
(``DESTRUCTIVE``): deleting the experiment, the deployment or the champion alias would turn
every later request on them into a 404, and a rerun of a seeded run starts a real run each time.
No operation is left out.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.api.mlflow import speaks_mlflow
from server.app import create_app
from server.platform import open_platform
from server.settings import Settings
from tests.documents import iris_document

REQUEST_TIMEOUT = 30  # seconds; no request of this API should come near it: a timeout is a hang
EXAMPLES = 10  # per operation and generation mode
MAX_HANGS = 3  # past this many timeouts the server is wedged: stop sending, keep the run bounded
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
STREAM = "/api/events"
DESTRUCTIVE = {
    ("DELETE", "/api/experiments/{identifier}"),
    ("DELETE", "/api/deployments/{deployment_id}"),
    ("POST", "/api/runs/{run_id}/rerun"),
    ("DELETE", "/api/models/{name}/aliases/{alias}"),
}
MODEL = "iris-lr"
PIPELINE = iris_document("iris_doc", label="Iris", model=MODEL, hyper={"max_iter": 500})


@dataclass
class Seeded:
    """The served platform and the names of what was seeded in it, by path parameter."""

    url: str
    runs: list[str]
    real: dict[str, Any]


def _ok(answer: requests.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, f"{answer.request.method} {answer.url}: {answer.text}"
    body: dict[str, Any] = answer.json()
    return body


def _finished(url: str, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        run = _ok(requests.get(f"{url}/api/runs/{run_id}", timeout=REQUEST_TIMEOUT), 200)
        if run["status"] != "running":
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def seed(url: str) -> Seeded:
    """An experiment, two finished runs, a dataset, a champion and a running deployment."""
    post = requests.post
    _ok(post(f"{url}/api/experiments", json=PIPELINE, timeout=REQUEST_TIMEOUT), 201)
    runs = [
        _ok(post(f"{url}/api/runs", json={"experiment": "iris_doc"}, timeout=30), 202)["run_id"]
        for _ in range(2)
    ]
    for run_id in runs:
        assert _finished(url, run_id)["status"] == "succeeded"
    _ok(
        post(
            f"{url}/api/datasets?name=tiny",
            data="a,b,label\n1,2,x\n3,4,y\n5,6,x\n",
            headers={"Content-Type": "text/csv"},
            timeout=REQUEST_TIMEOUT,
        ),
        201,
    )
    champion = {"version": 1}
    _ok(requests.put(f"{url}/api/models/{MODEL}/aliases/champion", json=champion, timeout=30), 200)
    deployment = _ok(post(f"{url}/api/deployments", json={"model": MODEL, "version": 1}), 201)
    details = _ok(requests.get(f"{url}/api/runs/{runs[0]}", timeout=REQUEST_TIMEOUT), 200)
    sha256 = next(a["sha256"] for a in details["artifacts"] if a["kind"] == "model")
    real = {
        "identifier": "iris_doc",
        "number": 1,
        "run_id": runs[0],
        "step_id": "build",
        "sha256": sha256,
        "version": 1,
        "alias": "champion",
        "deployment_id": deployment["id"],
    }
    return Seeded(url, runs, real)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[Seeded]:
    settings_ = Settings.load({"data": tmp_path_factory.mktemp("conformance") / "data"}, environ={})
    platform = open_platform(settings_)
    try:
        with serve_app(create_app(platform=platform)) as url:
            yield seed(url)
    finally:
        platform.close()


def _name_for(path: str) -> str:
    """The seeded value of ``{name}``, which names a different resource in each family."""
    for prefix, name in (("/api/datasets/", "tiny"), ("/api/queries/", "experiments")):
        if path.startswith(prefix):
            return name
    return MODEL


def real_parameters(seeded: Seeded, path: str, names: list[str]) -> dict[str, Any]:
    """The seeded values for the path parameters of ``path``."""
    values = dict(seeded.real, name=_name_for(path))
    return {name: values[name] for name in names if name in values}


@dataclass
class Tally:
    """What the run sent and what failed, by check and by operation."""

    requests: int = 0
    operations: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    unsatisfiable: list[str] = field(default_factory=list)
    seconds: Counter[str] = field(default_factory=Counter)

    def fail(self, kind: str, label: str, detail: str) -> None:
        self.failures[kind] += 1
        self.examples.setdefault(f"{kind} {label}", detail[:1500])


def exercise(operation: Any, strategy: Any, base_url: str, tally: Tally) -> None:
    """Send each generated case once and record the failures (never raised: no shrinking)."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def send(case: Any) -> None:
        if tally.failures["hang"] >= MAX_HANGS:
            return
        tally.requests += 1
        try:
            response = case.call(base_url=base_url, timeout=REQUEST_TIMEOUT)
        except requests.Timeout:
            tally.fail("hang", operation.label, case.as_curl_command())
            return
        except requests.ConnectionError as exc:
            tally.fail("connection_error", operation.label, f"{exc}\n{case.as_curl_command()}")
            return
        tally.statuses[response.status_code] += 1
        checks = CHECKS
        if response.status_code == 501 and speaks_mlflow(operation.path):
            # MLflow's NOT_IMPLEMENTED for a call the layer does not serve: documented and
            # deliberate (the client raises it as is), not a server fault
            checks = [check for check in CHECKS if check is not not_a_server_error]
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                tally.fail(str(failure.title), operation.label, str(group))

    try:
        send()
    except Unsatisfiable:
        # Negative mode on an operation with nothing to break (no parameters, no body).
        tally.unsatisfiable.append(operation.label)


def test_every_operation_conforms_to_the_document(seeded: Seeded) -> None:
    schema = schemathesis.openapi.from_url(f"{seeded.url}/api/openapi.json", timeout=30)
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == STREAM:
            continue
        tally.operations += 1
        names = [p.name for p in operation.path_parameters]
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        if names and (operation.method.upper(), operation.path) not in DESTRUCTIVE:
            real = real_parameters(seeded, operation.path, names)
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))
        begun = time.monotonic()
        for strategy in strategies:
            exercise(operation, strategy, seeded.url, tally)
        tally.seconds[operation.label] += time.monotonic() - begun
    report = (
        f"{tally.requests} requests to {tally.operations} operations; statuses "
        f"{dict(sorted(tally.statuses.items()))}; failures {dict(tally.failures)}; "
        f"{len(tally.unsatisfiable)} operations with nothing to negate; slowest "
        + ", ".join(f"{label} {s:.1f} s" for label, s in tally.seconds.most_common(5))
    )
    print(report)
    assert not tally.failures, (
        report
        + "\n\n"
        + "\n\n".join(f"== {key}\n{detail}" for key, detail in sorted(tally.examples.items()))
    )


def test_event_stream_opens_sends_and_closes(seeded: Seeded) -> None:
    """``/api/events`` never ends, so it is read as a stream: open, first bytes, close."""
    started = time.monotonic()
    url = f"{seeded.url}{STREAM}?run={seeded.runs[0]}"
    with requests.get(url, stream=True, timeout=REQUEST_TIMEOUT) as answer:
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("text/event-stream")
        first = next(answer.iter_content(chunk_size=None))
    # An SSE comment (": connected") or field opens the stream at once, before any event.
    assert re.match(rb"(:|retry:|event:|data:|id:)", first), first
    assert time.monotonic() - started < REQUEST_TIMEOUT
    # Closing the stream frees the server: it still answers at once.
    health = requests.get(f"{seeded.url}/api/health", timeout=REQUEST_TIMEOUT)
    assert health.status_code == 200


SAMPLED = [
    ("GET", "/api/health", "/api/health", 200),
    ("GET", "/api/experiments", "/api/experiments", 200),
    ("GET", "/api/experiments/{identifier}", "/api/experiments/iris_doc", 200),
    (
        "GET",
        "/api/experiments/{identifier}/versions/{number}",
        "/api/experiments/iris_doc/versions/1",
        200,
    ),
    (
        "GET",
        "/api/experiments/{identifier}/leaderboard",
        "/api/experiments/iris_doc/leaderboard?metric=accuracy",
        200,
    ),
    ("GET", "/api/runs", "/api/runs", 200),
    ("GET", "/api/runs/{run_id}", "/api/runs/{run}", 200),
    ("GET", "/api/compare", "/api/compare?runs={run},{other}", 200),
    ("GET", "/api/datasets", "/api/datasets", 200),
    ("GET", "/api/datasets/{name}", "/api/datasets/tiny", 200),
    ("GET", "/api/datasets/{name}/preview", "/api/datasets/tiny/preview", 200),
    ("GET", "/api/models", "/api/models", 200),
    ("GET", "/api/models/{name}", f"/api/models/{MODEL}", 200),
    ("GET", "/api/models/{name}/versions/{version}", f"/api/models/{MODEL}/versions/1", 200),
    ("GET", "/api/models/{name}/aliases/{alias}", f"/api/models/{MODEL}/aliases/champion", 200),
    ("GET", "/api/deployments", "/api/deployments", 200),
    ("GET", "/api/deployments/{deployment_id}", "/api/deployments/{deployment}", 200),
    ("GET", "/api/queries", "/api/queries", 200),
    ("GET", "/api/queries/{name}", "/api/queries/experiments", 200),
    ("GET", "/api/lineage", "/api/lineage?run={run}", 200),
    ("GET", "/api/runs/{run_id}", "/api/runs/0000000000000000", 404),
    ("GET", "/api/models/{name}", "/api/models/nope", 404),
    ("GET", "/api/compare", "/api/compare", 400),
]


def _schema_for(document: dict[str, Any], method: str, path: str, status: int) -> Any:
    response = document["paths"][path][method.lower()]["responses"][str(status)]
    media = "application/json" if status < 400 else "application/problem+json"
    return response["content"][media]["schema"]


def test_real_responses_match_the_documented_schemas(seeded: Seeded) -> None:
    """The main resources' documented schemas describe what the handlers really answer."""
    document = requests.get(f"{seeded.url}/api/openapi.json", timeout=REQUEST_TIMEOUT).json()
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
    ]
    values = {"run": seeded.runs[0], "other": seeded.runs[1], **seeded.real}
    values["deployment"] = seeded.real["deployment_id"]
    for method, path, url, status in SAMPLED:
        answer = requests.request(
            method, seeded.url + url.format(**values), timeout=REQUEST_TIMEOUT
        )
        assert answer.status_code == status, f"{method} {url}: {answer.text}"
        schema = _schema_for(document, method, path, status)
        resolved = {**schema, "components": document["components"]}
        validator = jsonschema_rs.Draft202012Validator(resolved)
        errors = [str(e) for e in validator.iter_errors(answer.json())]
        assert not errors, f"{method} {url} ({status}) does not match its schema: {errors}"


def test_every_path_refuses_other_methods_with_405_and_allow(seeded: Seeded) -> None:
    """A method a path does not serve is a 405 problem naming the methods it does (Allow)."""
    document = requests.get(f"{seeded.url}/api/openapi.json", timeout=REQUEST_TIMEOUT).json()
    missing = []
    for path, operations in document["paths"].items():
        if path in ("/", "/assets/{filename}"):
            continue  # the UI's fallback answers any GET, and other methods there are 404s
        allowed = {m.upper() for m in operations}
        method = "PATCH"
        url = seeded.url + path.format_map(_Placeholder())
        answer = requests.request(method, url, timeout=REQUEST_TIMEOUT)
        assert answer.status_code == 405, f"{method} {path}: {answer.status_code}"
        header = {m.strip() for m in answer.headers.get("Allow", "").split(",") if m.strip()}
        if not allowed <= header:
            missing.append(f"{path}: Allow {sorted(header)} lacks {sorted(allowed - header)}")
    assert not missing, "\n".join(missing)


class _Placeholder(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "1"  # matches every converter, <int:…> too


def test_problem_schema_is_shared_and_referenced(seeded: Seeded) -> None:
    document = requests.get(f"{seeded.url}/api/openapi.json", timeout=REQUEST_TIMEOUT).json()
    untyped = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                # MLflow's tracking API answers errors in MLflow's shape, which its client reads
                kind, name = (
                    ("application/json", "MlflowError")
                    if speaks_mlflow(path)
                    else ("application/problem+json", "Problem")
                )
                if int(status) >= 400 and content.get(kind, {}).get("schema") != {
                    "$ref": f"#/components/schemas/{name}"
                }:
                    untyped.append(f"{method.upper()} {path} {status}")
    assert not untyped, f"error responses without the shared Problem schema: {untyped}"


def test_main_resources_declare_response_schemas(seeded: Seeded) -> None:
    document = requests.get(f"{seeded.url}/api/openapi.json", timeout=REQUEST_TIMEOUT).json()
    for method, path, _url, status in SAMPLED:
        assert _schema_for(document, method, path, status), f"{method} {path} has no schema"


@pytest.mark.parametrize("body", [[1], "x", 3])
def test_rerun_refuses_a_body_that_is_not_an_object(seeded: Seeded, body: Any) -> None:
    """Found while probing for 5xx: a JSON body other than an object was a 500 (AttributeError)."""
    url = f"{seeded.url}/api/runs/{seeded.runs[0]}/rerun"
    answer = requests.post(url, json=body, timeout=REQUEST_TIMEOUT)
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert "must be a JSON object" in answer.json()["detail"]
