"""/api/compare on runs logged from code: the direction of metrics with none recorded."""

from __future__ import annotations

import requests

from tests.conftest import LiveServer

TIMEOUT = 30


def _tracked(live: LiveServer, loss: float, score: float) -> str:
    started = requests.post(live("/api/tracking/runs"), json={"experiment": "dir"}, timeout=TIMEOUT)
    run_id = str(started.json()["run_id"])
    metrics = [{"key": "loss", "value": loss}, {"key": "score", "value": score}]
    url = live(f"/api/tracking/runs/{run_id}")
    assert requests.post(f"{url}/batch", json={"metrics": metrics}, timeout=TIMEOUT).ok
    assert requests.post(f"{url}/end", json={}, timeout=TIMEOUT).ok
    return run_id


def test_a_loss_is_best_when_lowest_and_a_score_when_highest(live_server: LiveServer) -> None:
    low, high = _tracked(live_server, 0.2, 0.5), _tracked(live_server, 0.9, 0.7)
    compared = requests.get(
        live_server("/api/compare"), params={"runs": f"{low},{high}"}, timeout=TIMEOUT
    ).json()
    best = {metric.rsplit(".", 1)[-1]: runs for metric, runs in compared["best"].items()}
    assert best == {"loss": [low], "score": [high]}
    assert compared["param_defaults"] == {}, "no estimator fitted: no defaults"
