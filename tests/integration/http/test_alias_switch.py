"""Deployments that follow an alias, over real HTTP with real model server processes: the switch
under load with no failed request, the rollback, and a new server that fails its health check.

One module platform with three versions of breast-cancer-classifier (1 logistic regression,
2 a decision stump, 3 an artifact that is not a model); the tests run in file order on the
alias ``champion`` and one deployment following it.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sklearn.datasets import load_breast_cancer

from server.app import create_app
from server.graph.clock import utc_now
from server.platform import Platform, open_platform
from server.registry.model import ModelVersion
from server.serving.front import VERSION_HEADER
from server.settings import Settings
from tests.conftest import assert_problem
from tests.deployments import records
from tests.integration.http.test_deployments import pid_alive
from tests.unit.server.registry import test_registry as built_runs

MODEL = built_runs.MODEL
TIMEOUT = 30
CLIENTS = 8
MAX_REQUESTS = 600  # per client: the load is bounded in count ...
MAX_SECONDS = 60.0  # ... and in time


@dataclass
class Served:
    platform: Platform
    api: str
    rows: list[dict[str, float]]
    deployment: dict[str, Any] = field(default_factory=dict)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{self.api}{path}", timeout=120, **kwargs)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[Served]:
    settings = Settings.load({"data": tmp_path_factory.mktemp("switch") / "data"}, environ={})
    platform = open_platform(settings)
    stack = ExitStack()
    api = stack.enter_context(serve_app(create_app(platform=platform)))
    for text in (built_runs.BASE, built_runs.variant(built_runs.STUMP, min_accuracy="0.8")):
        assert built_runs.run_text(platform, text).status == "succeeded"
    _register_broken_version(platform)
    rows = records(load_breast_cancer(as_frame=True).data, 5)
    yield Served(platform, api, rows)
    stack.close()
    platform.close()


def _register_broken_version(platform: Platform) -> None:
    """Version 3: checksummed bytes that are no model, so its server fails before /health."""
    with tempfile.NamedTemporaryFile("wb", suffix=".joblib", delete=False) as handle:
        handle.write(b"not a model")
    ref = platform.artifacts.put(Path(handle.name), "application/octet-stream")
    os.unlink(handle.name)
    broken = ModelVersion(
        name=MODEL,
        number=3,
        run_id="broken0000000000",
        artifact="https://w3id.org/ontolab/id/run/broken0000000000/output/build",
        sha256=ref.sha256,
        created=utc_now(),
        passed=True,
        note="registered by the test as a model that cannot load",
    )
    added, _ = platform.registry.import_versions(MODEL, "classification", [broken], {})
    assert [v.number for v in added] == [3]


def predict(session: requests.Session, url: str, rows: list[dict[str, float]]) -> tuple[int, int]:
    """(HTTP status, version named by the answer's header, -1 when absent); the body agrees."""
    answer = session.post(f"{url}/predict", json={"dataframe_records": rows}, timeout=TIMEOUT)
    version = int(answer.headers.get(VERSION_HEADER, -1))
    if answer.ok:
        assert answer.json()["model"]["version"] == version
    return answer.status_code, version


class Load:
    """``CLIENTS`` threads posting /predict on kept-alive connections until stopped or bounded."""

    def __init__(self, url: str, rows: list[dict[str, float]]) -> None:
        self.url, self.rows = url, rows
        self.stop = threading.Event()
        self.results: list[list[tuple[float, float, int, int]]] = [[] for _ in range(CLIENTS)]
        self.errors: list[str] = []
        self.threads = [
            threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(CLIENTS)
        ]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(TIMEOUT)

    def count(self) -> int:
        return sum(len(r) for r in self.results)

    def wait(self, condition: Any, seconds: float = MAX_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline and not self.errors:
            time.sleep(0.01)
        assert not self.errors, self.errors[:3]
        assert condition(), "the load did not get there in time"

    def _client(self, index: int) -> None:
        session = requests.Session()
        deadline = time.monotonic() + MAX_SECONDS
        try:
            while not self.stop.is_set() and len(self.results[index]) < MAX_REQUESTS:
                if time.monotonic() > deadline:
                    break
                sent = time.monotonic()
                status, version = predict(session, self.url, self.rows)
                self.results[index].append((sent, time.monotonic(), status, version))
        except Exception as exc:  # a refused or reset connection is a failed request too
            self.errors.append(f"client {index}: {type(exc).__name__}: {exc}")
        finally:
            session.close()


def move_champion(served: Served, version: int) -> dict[str, Any]:
    answer = served.call("PUT", f"/api/models/{MODEL}/aliases/champion", json={"version": version})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def served_version(served: Served) -> int:
    with requests.Session() as session:
        status, version = predict(session, served.deployment["url"], served.rows)
    assert status == 200
    return version


def test_a_deployment_from_an_alias_follows_it(served: Served) -> None:
    move_champion(served, 1)
    answer = served.call("POST", "/api/deployments", json={"model": MODEL, "alias": "champion"})
    assert answer.status_code == 201, answer.text
    served.deployment = answer.json()
    assert served.deployment["follows_alias"] is True and served.deployment["version"] == 1
    assert served_version(served) == 1


def test_moving_the_alias_switches_under_load_without_a_failed_request(served: Served) -> None:
    old_pid, url = served.deployment["pid"], served.deployment["url"]
    with Load(url, served.rows) as load:
        load.wait(lambda: load.count() >= 80)  # every client is busy before the move
        change = move_champion(served, 2)
        switched_at = time.monotonic()
        load.wait(
            lambda: all(sum(1 for r in rs if r[0] > switched_at) >= 10 for rs in load.results)
        )
    assert not load.errors, load.errors[:3]
    results = [r for rs in load.results for r in rs]
    assert len(results) <= CLIENTS * MAX_REQUESTS
    assert [r for r in results if r[2] != 200] == []  # zero failed requests
    assert {r[3] for r in results if r[1] < switched_at - 0.5} <= {1}
    assert {r[3] for r in results if r[0] > switched_at} == {2}  # sent after the move: new
    for client in load.results:  # once a client saw the new version it never sees the old
        versions = [r[3] for r in client]
        assert versions == sorted(versions)
    [switch] = change["switches"]
    assert (switch["outcome"], switch["from_version"], switch["to_version"]) == ("switched", 1, 2)
    now = served.call("GET", f"/api/deployments/{served.deployment['id']}").json()
    assert (now["version"], now["url"], now["status"]) == (2, url, "running")
    assert now["pid"] == switch["pid"] != old_pid and pid_alive(now["pid"])
    assert not pid_alive(old_pid)
    why = served.call("GET", f"/api/models/{MODEL}/aliases/champion/why").json()
    assert why["change"] == change["change"]
    assert [(c["type"], c.get("outcome")) for c in why["causes"]][-1] == (
        "DeploymentSwitch",
        "switched",
    )


def test_rollback_returns_the_alias_and_the_deployment(served: Served) -> None:
    before = served.call("GET", f"/api/models/{MODEL}/aliases/champion/history").json()
    assert before["rollback_to"] == 1  # what the rollback below returns it to
    answer = served.call("POST", f"/api/models/{MODEL}/aliases/champion/rollback")
    assert answer.status_code == 200, answer.text
    change = answer.json()
    assert (change["version"], change["previous"]) == (1, 2)
    assert [s["outcome"] for s in change["switches"]] == ["switched"]
    assert served_version(served) == 1
    history = served.call("GET", f"/api/models/{MODEL}/aliases/champion/history").json()
    assert [(c["kind"], c["cause"], c["version"]) for c in history["changes"]][:2] == [
        ("move", "rollback", 1),
        ("move", "manual", 2),
    ]
    assert history["rollback_to"] is None
    again = served.call("POST", f"/api/models/{MODEL}/aliases/champion/rollback")
    assert_problem(again, 409, "no previous version")
    assert served_version(served) == 1  # the refused rollback changed nothing


def test_challenge_refuses_a_worse_version_and_promotes_a_better_one(served: Served) -> None:
    refused = served.call("POST", f"/api/models/{MODEL}/versions/2/challenge").json()
    assert refused["outcome"] == "refused" and "does not beat" in refused["reason"]
    assert refused["champion_change"] is None and served_version(served) == 1
    why = served.call("GET", f"/api/models/{MODEL}/aliases/challenger/why").json()
    decision = next(c for c in why["causes"] if c["type"] == "PromotionDecision")
    assert (decision["outcome"], decision["metric"]) == ("refused", "accuracy")
    assert decision["challenger_value"] < decision["champion_value"]

    move_champion(served, 2)
    assert served_version(served) == 2
    trigger = "urn:example:trigger-firing:1"
    answer = served.call(
        "POST", f"/api/models/{MODEL}/versions/1/challenge", json={"trigger": trigger}
    )
    promoted = answer.json()
    assert promoted["outcome"] == "promoted", promoted["reason"]
    [switch] = promoted["champion_change"]["switches"]
    assert (switch["outcome"], switch["to_version"]) == ("switched", 1)
    assert served_version(served) == 1
    why = served.call("GET", f"/api/models/{MODEL}/aliases/champion/why").json()
    chain = [c["iri"] if c["type"] is None else c["type"] for c in why["causes"]]
    assert chain == ["AliasChange", "PromotionDecision", trigger, "DeploymentSwitch"]
    decisions = served.call("GET", f"/api/models/{MODEL}/decisions").json()["decisions"]
    assert [(d["version"], d["outcome"]) for d in decisions][:2] == [
        (1, "promoted"),
        (2, "refused"),
    ]
    assert decisions[0]["iri"] == why["causes"][1]["iri"]
    assert (decisions[0]["informed_by"], decisions[0]["champion"]) == (trigger, 2)
    assert decisions[1]["reason"] == refused["reason"]
    assert decisions[1]["challenger_value"] == refused["challenger_value"]
    limited = served.call("GET", f"/api/models/{MODEL}/decisions?limit=1").json()["decisions"]
    assert limited == decisions[:1]


def test_a_new_server_failing_its_health_check_leaves_traffic_on_the_old(served: Served) -> None:
    pid = served.call("GET", f"/api/deployments/{served.deployment['id']}").json()["pid"]
    change = move_champion(served, 3)
    [switch] = change["switches"]
    assert switch["outcome"] == "failed"
    assert "exited" in switch["reason"] or "did not answer" in switch["reason"]
    assert served_version(served) == 1
    now = served.call("GET", f"/api/deployments/{served.deployment['id']}").json()
    assert (now["version"], now["pid"], now["status"]) == (1, pid, "running")
    why = served.call("GET", f"/api/models/{MODEL}/aliases/champion/why").json()
    failed = [c for c in why["causes"] if c["type"] == "DeploymentSwitch"]
    assert failed and failed[0]["outcome"] == "failed" and failed[0]["reason"]


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        (f"/api/models/{MODEL}/aliases/champion/at?time=not-a-time", 400, "ISO 8601"),
        (f"/api/models/{MODEL}/aliases/champion/at", 400, "?time="),
        (f"/api/models/{MODEL}/aliases/champion/at?time=2000-01-01T00:00:00Z", 404, "not exist"),
        (f"/api/models/{MODEL}/aliases/nothing/history", 404, "no history"),
        ("/api/models/unknown-model/aliases/champion/history", 404, "no model"),
        (f"/api/models/{MODEL}/decisions?limit=0", 400, "from 1 to 1000"),
        (f"/api/models/{MODEL}/decisions?limit=x", 400, "from 1 to 1000"),
        ("/api/models/unknown-model/decisions", 404, "no model"),
    ],
)
def test_history_reads_answer_bad_input_with_problems(
    served: Served, path: str, status: int, fragment: str
) -> None:
    assert_problem(served.call("GET", path), status, fragment)


def test_which_version_served_at_a_time(served: Served) -> None:
    changes = served.call("GET", f"/api/models/{MODEL}/aliases/champion/history").json()["changes"]
    for change in changes:
        answer = served.call(
            "GET", f"/api/models/{MODEL}/aliases/champion/at", params={"time": change["time"]}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["version"] == change["version"]


def test_challenge_refuses_bad_input_and_changes_nothing(served: Served) -> None:
    before = served.call("GET", f"/api/models/{MODEL}").json()["aliases"]
    bad = served.call(
        "POST", f"/api/models/{MODEL}/versions/2/challenge", json={"trigger": "not an iri"}
    )
    assert_problem(bad, 400, "trigger")
    assert_problem(
        served.call("POST", f"/api/models/{MODEL}/versions/9/challenge"), 404, "no version"
    )
    assert served.call("GET", f"/api/models/{MODEL}").json()["aliases"] == before
