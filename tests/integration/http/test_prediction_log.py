"""The prediction log and feedback over real HTTP: a deployed breast_cancer model.

Before (issue 21): a deployment kept nothing of what it was asked, its answers had no request
id, and there was no ``/feedback`` or ``/predictions`` route (404).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sklearn.datasets import load_breast_cancer

from server import definitions
from server.app import create_app
from server.monitoring.prediction_log import FEEDBACK, log_files
from server.monitoring.prediction_window import read_window
from server.platform import Platform, open_platform
from server.settings import Settings
from tests.conftest import assert_problem
from tests.deployments import deploy, records

ROOT = Path(__file__).resolve().parents[3]
MODEL = "breast-cancer-classifier"
TIMEOUT = 30
LOGGED_WITHIN = 20.0  # seconds the writer thread may take on a busy machine (not a speed check)


@dataclass
class Served:
    platform: Platform
    api: str
    rows: list[dict[str, float]]

    def deploy(self, **body: Any) -> dict[str, Any]:
        return deploy(self.api, **{"model": MODEL, "version": 1, **body})

    def predict(
        self, deployment: dict[str, Any], rows: list[dict[str, float]], **headers: str
    ) -> Any:
        answer = requests.post(
            f"{deployment['url']}/predict",
            json={"dataframe_records": rows},
            headers=headers,
            timeout=TIMEOUT,
        )
        assert answer.status_code == 200, answer.text
        return answer

    def directory(self, deployment: dict[str, Any]) -> Path:
        return self.platform.deployments.prediction_log(deployment["id"])[0]

    def sample(self, deployment: dict[str, Any], limit: int = 50) -> dict[str, Any]:
        url = f"{self.api}/api/deployments/{deployment['id']}/predictions?limit={limit}"
        answer = requests.get(url, timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def feedback(self, deployment: dict[str, Any], body: Any) -> requests.Response:
        url = f"{self.api}/api/deployments/{deployment['id']}/feedback"
        return requests.post(url, json=body, timeout=TIMEOUT)

    def wait_logged(self, deployment: dict[str, Any], request_id: str) -> None:
        deadline = time.monotonic() + LOGGED_WITHIN
        while time.monotonic() < deadline:
            ids = [e["request_id"] for e in self.sample(deployment, 1000)["predictions"]]
            if request_id in ids:
                return
            time.sleep(0.05)
        raise AssertionError(f"{request_id} was not logged within {LOGGED_WITHIN} s")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[Served]:
    settings = Settings.load({"data": tmp_path_factory.mktemp("predlog") / "data"}, environ={})
    platform = open_platform(settings)
    with ExitStack() as stack:
        stack.callback(platform.close)
        api = stack.enter_context(serve_app(create_app(platform=platform)))
        text = (ROOT / "examples" / "breast_cancer.ttl").read_text()
        version = definitions.submit(platform.store, definitions.parse(text)).version
        record = platform.runs.run(version)
        assert record.status == "succeeded", record.error
        yield Served(platform, api, records(load_breast_cancer(as_frame=True).data, 20))


def test_request_ids_are_returned_and_logged(served: Served) -> None:
    deployment = served.deploy()
    assert deployment["prediction_log"]["enabled"] is True
    mine = served.predict(deployment, served.rows[:2], **{"X-Request-ID": "client-7"})
    assert mine.headers["X-Request-ID"] == "client-7" == mine.json()["request_id"]
    made = served.predict(deployment, served.rows[:1], **{"X-Request-ID": "not sane!"})
    made_id = made.json()["request_id"]
    assert made.headers["X-Request-ID"] == made_id != "not sane!"
    served.wait_logged(deployment, made_id)
    sample = served.sample(deployment)["predictions"]
    assert [e["request_id"] for e in sample] == [made_id, "client-7"]  # newest first
    assert sample[1]["inputs"] == served.rows[:2]
    assert sample[1]["predictions"] == mine.json()["predictions"] and sample[1]["labels"] is None
    metrics = requests.get(f"{deployment['url']}/metrics", timeout=TIMEOUT).text
    assert "ontolab_model_prediction_log_written_total 2.0" in metrics
    assert "ontolab_model_prediction_log_dropped_total 0.0" in metrics


def test_rotation_keeps_the_bound(served: Served) -> None:
    deployment = served.deploy(prediction_log={"max_mb": 0.01, "files": 2})
    assert deployment["prediction_log"] == {"enabled": True, "max_mb": 0.01, "files": 2}
    last = ""
    for _ in range(40):  # ~4 kB an entry: ~160 kB in all, far past 2 × 10 kB
        last = served.predict(deployment, served.rows[:5]).json()["request_id"]
    served.wait_logged(deployment, last)
    files = log_files(served.directory(deployment))
    assert len(files) == 2
    assert sum(p.stat().st_size for p in files) <= 2 * int(0.01 * 1024 * 1024)
    assert 0 < len(served.sample(deployment, 1000)["predictions"]) < 40


def test_a_deployment_deployed_with_the_log_off_logs_nothing(served: Served) -> None:
    deployment = served.deploy(prediction_log=False)
    assert deployment["prediction_log"]["enabled"] is False
    answer = served.predict(deployment, served.rows[:1])
    request_id = answer.json()["request_id"]
    assert answer.headers["X-Request-ID"] == request_id
    time.sleep(0.5)  # give a (wrongly) running writer the time to show itself
    sample = served.sample(deployment)
    assert sample == {"prediction_log": deployment["prediction_log"], "predictions": []}
    assert log_files(served.directory(deployment)) == []
    refused = served.feedback(deployment, {"request_id": request_id, "label": 1})
    assert_problem(refused, 404, request_id, "prediction log")


def test_bad_prediction_log_settings_at_deploy_are_a_400(served: Served) -> None:
    url = f"{served.api}/api/deployments"
    bad = {"model": MODEL, "version": 1, "prediction_log": {"files": 0}}
    assert_problem(requests.post(url, json=bad, timeout=TIMEOUT), 400, "prediction_log.files")


def test_feedback_joins_by_request_id_and_windows_by_count_and_time(served: Served) -> None:
    deployment = served.deploy()
    started = datetime.now(UTC)
    ids = [
        served.predict(deployment, served.rows[n : n + 2]).json()["request_id"]
        for n in range(0, 6, 2)
    ]
    served.wait_logged(deployment, ids[-1])
    one = served.feedback(deployment, {"request_id": ids[0], "label": [0, 1]})
    assert one.status_code == 200, one.text
    assert one.json() == {"accepted": 1, "request_ids": [ids[0]]}
    batch = [{"request_id": ids[2], "label": [1, 1]}, {"request_id": ids[1], "label": [0, 0]}]
    assert served.feedback(deployment, {"feedback": batch}).json()["accepted"] == 2

    directory = served.directory(deployment)
    window = read_window(directory, last=4)
    assert window["request_id"].tolist() == [ids[1], ids[1], ids[2], ids[2]]
    assert window["label"].tolist() == [0, 0, 1, 1]
    assert window["mean radius"].tolist() == [r["mean radius"] for r in served.rows[2:6]]
    assert window.attrs["features"][0] == "mean radius"
    assert len(read_window(directory, since=started)) == 6
    assert read_window(directory, since=datetime.now(UTC)).empty
    sample = served.sample(deployment, 3)["predictions"]
    assert [e["labels"] for e in sample] == [[1, 1], [0, 0], [0, 1]]


def test_unknown_ids_and_wrong_labels_are_refused_and_change_nothing(served: Served) -> None:
    deployment = served.deploy()
    request_id = served.predict(deployment, served.rows[:1]).json()["request_id"]
    served.wait_logged(deployment, request_id)
    batch = [{"request_id": request_id, "label": 1}, {"request_id": "never-sent", "label": 0}]
    unknown = served.feedback(deployment, {"feedback": batch})
    problem = assert_problem(unknown, 404, "'never-sent'", "nothing was recorded")
    assert problem["request_ids"] == ["never-sent"]
    wrong_type = served.feedback(deployment, {"request_id": request_id, "label": {"a": 1}})
    assert_problem(wrong_type, 400, "classifier", "one of its classes")
    not_a_class = served.feedback(deployment, {"request_id": request_id, "label": "benign"})
    assert_problem(not_a_class, 400, "not one of the model's classes")
    too_many = served.feedback(deployment, {"request_id": request_id, "label": [0, 1]})
    assert_problem(too_many, 400, "1 row(s)", "2 label(s)")
    assert not (served.directory(deployment) / FEEDBACK).exists()
    assert served.sample(deployment)["predictions"][0]["labels"] is None
    missing = requests.post(
        f"{served.api}/api/deployments/0123456789ab/feedback",
        json={"request_id": request_id, "label": 1},
        timeout=TIMEOUT,
    )
    assert_problem(missing, 404, "0123456789ab")
    bad_limit = requests.get(
        f"{served.api}/api/deployments/{deployment['id']}/predictions?limit=0", timeout=TIMEOUT
    )
    assert_problem(bad_limit, 400, "limit")


def test_the_sdk_deploys_with_a_log_predicts_and_gives_feedback(served: Served) -> None:
    from ontolab import Client

    client = Client(served.api)
    deployment = client.deployments.deploy(MODEL, version=1, prediction_log={"files": 2})
    assert deployment.prediction_log is not None and deployment.prediction_log["files"] == 2
    answer = client.deployments.predict(deployment, served.rows[:1])
    assert answer.request_id
    served.wait_logged({"id": deployment.id}, answer.request_id)
    assert client.deployments.feedback(deployment, {answer.request_id: 1})["accepted"] == 1
    assert client.deployments.predictions(deployment, 1)[0]["labels"] == [1]
