"""The operations loop on a real platform over HTTP (embedded store, local steps, real model
server processes): the monitor's windows reach the drift trigger, and the whole loop end to end.

The experiment reads an uploaded iris dataset (``dataset:iris_loop``, its newest version) and
builds a decision tree. Version 1 of the data is iris as it is; version 2 is "the world after
the shift": petal length +3 cm and petal width +1.5 cm. Traffic sent to the deployment is
shifted the same way, so the champion (built on version 1) sees drift, and a retrain on
version 2 validates on a new test split, on which the champion is scored before the gate
compares (about 0.33 against 0.98 for the retrained tree).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sklearn.datasets import load_iris

from server.app import create_app
from server.platform import Platform, open_platform
from server.serving.front import VERSION_HEADER
from server.settings import Settings
from tests.conftest import serving

TIMEOUT = 30
WAIT = 120.0  # the bound on every wait for the platform (a run, a firing, a switch)
DATASET = "iris_loop"
EXPERIMENT = "iris-loop"
MODEL = "iris-loop-tree"
SHIFT = {"petal length (cm)": 3.0, "petal width (cm)": 1.5}
DEFINITION = f"""
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://w3id.org/ontolab/tests/loop#> .

:experiment a ol:Experiment ; dcterms:identifier "{EXPERIMENT}" ; ol:task "classification" ;
    ol:hasStep :extract, :process, :build, :validate .
:extract a ol:DataExtraction ; ol:source "dataset:{DATASET}" ; ol:targetColumn "target" ;
    ol:produces :raw .
:process a ol:DataProcessing ; ol:consumes :raw ; ol:testSize 0.3 ; ol:randomSeed 42 ;
    ol:stratify true ; ol:produces :splits .
:build a ol:ModelBuilding ; ol:consumes :splits ; ol:estimator "DecisionTreeClassifier" ;
    ol:modelName "{MODEL}" ; ol:randomSeed 0 ; ol:produces :model .
:validate a ol:ModelValidation ; ol:consumes :model, :splits ;
    ol:threshold [ ol:metricName "accuracy" ; ol:minValue 0.8 ] ; ol:produces :report .
:raw a ol:Dataset . :splits a ol:Dataset . :model a ol:Model . :report a ol:EvaluationReport .
"""


def iris_rows(shifted: bool) -> list[dict[str, float]]:
    frame = load_iris(as_frame=True).frame
    for column, by in SHIFT.items():
        if shifted:
            frame[column] = frame[column] + by
    return [{str(k): float(v) for k, v in row.items()} for _, row in frame.iterrows()]


def traffic() -> list[dict[str, float]]:
    """The shifted rows without their labels, in a fixed random order (so that any window of
    them is a fair sample of the three species, and only the shifted features drift)."""
    rows = [{k: v for k, v in row.items() if k != "target"} for row in iris_rows(shifted=True)]
    random.Random(0).shuffle(rows)
    return rows


def csv(rows: list[dict[str, float]]) -> bytes:
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(repr(row[k]) for k in header) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def until(what: str, found: Callable[[], Any], seconds: float = WAIT) -> Any:
    """Poll ``found`` until it returns something truthy; that, or an AssertionError."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {seconds:g} s")


@dataclass
class Loop:
    platform: Platform
    api: str

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        answer = requests.request(method, f"{self.api}{path}", timeout=TIMEOUT, **kwargs)
        assert answer.status_code == expect, answer.text
        return answer.json()

    def upload(self, rows: list[dict[str, float]]) -> dict[str, Any]:
        headers = {"Content-Type": "text/csv"}
        path = f"/api/datasets?name={DATASET}"
        return dict(self.call("POST", path, 201, data=csv(rows), headers=headers))

    def query(self, name: str, **params: str) -> list[dict[str, Any]]:
        return list(self.call("POST", f"/api/queries/{name}", json=params)["rows"])

    def firings(self, trigger: dict[str, Any]) -> list[dict[str, Any]]:
        path = f"/api/experiments/{EXPERIMENT}/triggers/{trigger['id']}/firings"
        return list(self.call("GET", path)["firings"])

    def logged(self, deployment: dict[str, Any], requests_sent: int) -> None:
        """Wait until the deployment's log holds ``requests_sent`` requests (its writer is a
        thread of the model server, a moment behind the answers)."""
        path = f"/api/deployments/{deployment['id']}/predictions?limit=1000"
        until(
            f"{requests_sent} logged requests",
            lambda: len(self.call("GET", path)["predictions"]) >= requests_sent,
            seconds=30,
        )

    def champion_run(self) -> None:
        """Data version 1, the experiment, its first run: version 1 of the model."""
        self.upload(iris_rows(shifted=False))
        headers = {"Content-Type": "text/turtle"}
        self.call("POST", "/api/experiments", 201, data=DEFINITION, headers=headers)
        run = self.call("POST", "/api/runs", 202, json={"experiment": EXPERIMENT})
        assert self.platform.runs.wait(run["run_id"], WAIT), "the first run did not end"
        assert self.call("GET", f"/api/runs/{run['run_id']}")["status"] == "succeeded"


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[Loop]:
    """A platform whose periodic monitor evaluates the last 60 logged rows every 0.3 s."""
    overrides = {"monitor_interval": 0.3, "monitor_window": "last:60"}
    platform = open_platform(Settings.load({"data": tmp_path / "data", **overrides}, environ={}))
    with ExitStack() as stack:
        stack.callback(platform.close)
        api = stack.enter_context(serving(create_app(platform=platform)))
        yield Loop(platform, api)


@dataclass
class Client:
    """One thread posting shifted rows to a deployment until stopped (bounded in time)."""

    url: str
    rows: list[dict[str, float]]
    results: list[tuple[float, int, int]] = field(default_factory=list)  # sent, status, version
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._send, daemon=True)

    def __enter__(self) -> Client:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(TIMEOUT)

    def _send(self) -> None:
        deadline = time.monotonic() + 4 * WAIT
        with requests.Session() as session:
            index = 0
            while not self.stop.is_set() and time.monotonic() < deadline:
                batch = self.rows[index % 145 : index % 145 + 5]
                index += 5
                sent = time.monotonic()
                try:
                    answer = session.post(
                        f"{self.url}/predict", json={"dataframe_records": batch}, timeout=TIMEOUT
                    )
                except requests.RequestException as exc:  # a refused or reset connection
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                version = int(answer.headers.get(VERSION_HEADER, -1))
                self.results.append((sent, answer.status_code, version))
                self.stop.wait(0.01)  # a steady trickle, not a flood, on a shared machine


def test_the_monitors_drifted_windows_fire_the_drift_trigger(loop: Loop) -> None:
    """The platform's wiring alone: windows the monitor records reach ``triggers.observe``,
    and the firing holds the window's drift share, deployment and evaluation."""
    loop.platform.monitoring.close()  # this test evaluates windows itself, through the API
    loop.champion_run()
    trigger = loop.call(
        "POST",
        f"/api/experiments/{EXPERIMENT}/triggers",
        201,
        json={"kind": "drift", "threshold": 0.3, "windows": 2, "cooldown_seconds": 3600},
    )
    deployment = loop.call("POST", "/api/deployments", 201, json={"model": MODEL, "version": 1})
    shifted = traffic()
    windows = []
    for start in (0, 40):  # two windows of 40 drifted rows, one after the other
        for offset in range(start, start + 40, 10):
            batch = {"dataframe_records": shifted[offset : offset + 10]}
            answer = requests.post(f"{deployment['url']}/predict", json=batch, timeout=TIMEOUT)
            assert answer.status_code == 200, answer.text
        loop.logged(deployment, (start + 40) // 10)
        path = f"/api/deployments/{deployment['id']}/monitoring?window=last:40"
        window = loop.call("GET", path)
        assert window["window"]["rows"] == 40 and window["evaluation"]
        assert window["drift"]["verdict"] == "drift", window["drift"]
        assert window["drift"]["drift_share"] >= 0.3
        assert set(SHIFT) <= set(window["drift"]["drifted_features"])
        windows.append(window)
        if start == 0:
            assert loop.firings(trigger) == [], "one window is not two in a row"
    assert windows[0]["evaluation"] != windows[1]["evaluation"]

    [firing] = until("the firing", lambda: loop.firings(trigger), seconds=10)
    assert firing["outcome"] == "started", firing
    assert firing["observed_value"] == pytest.approx(windows[1]["drift"]["drift_share"])
    assert firing["deployment"] == deployment["id"]
    assert firing["evaluation"] == windows[1]["evaluation"]
    [row] = loop.query("trigger_firings", trigger=trigger["iri"])
    assert float(row["observed"]) == pytest.approx(firing["observed_value"])
    assert row["evaluation"] == windows[1]["evaluation"]
    assert loop.platform.runs.wait(firing["run_id"], WAIT), "the triggered run did not end"


@pytest.mark.slow
def test_drift_retrains_promotes_and_switches_and_the_graph_tells_the_story(loop: Loop) -> None:
    """Deploy the champion → drifted traffic → the periodic monitor detects drift → the drift
    trigger fires → a run on the new data → the gate scores the champion on the challenger's
    test split and promotes the challenger → the deployment switches while a client keeps
    sending requests, none failing → the graph holds every link."""
    loop.champion_run()
    first = loop.call("POST", f"/api/models/{MODEL}/versions/1/challenge")
    assert first["outcome"] == "promoted", first["reason"]  # no champion yet
    deployment = loop.call(
        "POST", "/api/deployments", 201, json={"model": MODEL, "alias": "champion"}
    )
    assert (deployment["version"], deployment["follows_alias"]) == (1, True)
    new_data = loop.upload(iris_rows(shifted=True))  # labelled data after the shift arrived
    trigger = loop.call(
        "POST",
        f"/api/experiments/{EXPERIMENT}/triggers",
        201,
        json={"kind": "drift", "threshold": 0.3, "windows": 2, "cooldown_seconds": 3600},
    )

    with Client(deployment["url"], traffic()) as client:
        started = until(
            "a started firing",
            lambda: [f for f in loop.firings(trigger) if f["outcome"] == "started"],
        )
        [firing] = started  # the cooldown holds every later window back
        assert loop.platform.runs.wait(firing["run_id"], WAIT), "the triggered run did not end"
        # The run's end challenged (the run thread waits for it): the deployment has switched.
        now = loop.call("GET", f"/api/deployments/{deployment['id']}")
        assert (now["version"], now["url"], now["status"]) == (2, deployment["url"], "running")
        switched_at = time.monotonic()
        until(
            "20 answers of version 2 sent after the switch",
            lambda: sum(1 for r in client.results if r[0] > switched_at and r[2] == 2) >= 20,
            seconds=60,
        )
    assert not client.thread.is_alive()
    assert client.errors == []
    assert client.results and all(status == 200 for _, status, _ in client.results)
    versions = [version for _, _, version in client.results]
    assert versions[0] == 1 and versions[-1] == 2 and versions == sorted(versions)
    assert all(f["outcome"] in ("started", "cooldown") for f in loop.firings(trigger))
    history = loop.call("GET", f"/api/deployments/{deployment['id']}/monitoring/history")
    [seen] = [e for e in history["evaluations"] if e["evaluation"] == firing["evaluation"]]
    assert seen["drift_detected"] and set(SHIFT) <= set(seen["drifted_features"])
    assert firing["observed_value"] >= 0.3 and firing["deployment"] == deployment["id"]

    # The story, read back from the graph with named queries.
    firing_iri = f"{trigger['iri']}/firing/{firing['id']}"
    [fired] = [r for r in loop.query("trigger_firings", trigger=trigger["iri"]) if r.get("run")]
    assert fired["run"].endswith(firing["run_id"]) and float(fired["observed"]) >= 0.3
    read = loop.query("run_dataset_versions", run=fired["run"])
    assert {r["dataset"] for r in read} == {new_data["iri"]}, "the retrain read the new data"
    [story] = loop.query("firing_consequences", firing=firing_iri)
    assert story["run"] == fired["run"] and int(story["number"]) == 2
    assert story["decision_outcome"] == "promoted", story["reason"]
    assert "scored on it again" in story["reason"]
    assert float(story["challenger_value"]) >= 0.9 > 0.5 > float(story["champion_value"])
    assert story["scoring"] and story["change"]
    assert (story["switch_outcome"], story["switched_to"]) == (
        "switched",
        story["version"],
    )
    assert story["deployment"].endswith(deployment["id"])
    why = loop.call("GET", f"/api/models/{MODEL}/aliases/champion/why")
    assert why["change"] == story["change"]
    chain = [c["iri"] if c["type"] is None else c["type"] for c in why["causes"]]
    assert chain == ["AliasChange", "PromotionDecision", "TriggerFiring", "DeploymentSwitch"]
    assert why["causes"][2]["iri"] == firing_iri
    served = loop.call(
        "GET", f"/api/models/{MODEL}/aliases/champion/at", params={"time": "2100-01-01T00:00:00Z"}
    )
    assert served["version"] == 2
