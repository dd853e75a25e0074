"""A real Prometheus scrapes the platform and a deployment on loopback and gets their series.

Debian's ``prometheus`` is installed (``--no-install-recommends``) when missing and we are
root, as in CI; otherwise the test fails with the command to run. Prometheus listens on a free
127.0.0.1 port with its data in a temp dir, scrapes only the two loopback targets every second,
and is stopped by its pid.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from sklearn.datasets import load_breast_cancer

from server import definitions
from server.app import create_app
from server.platform import open_platform
from server.settings import Settings
from tests.deployments import deploy, records
from tests.processes import free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
INSTALL = [
    "apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q",
    "--no-install-recommends", "prometheus",
]  # fmt: skip
SCRAPE_DEADLINE = 45.0  # the first scrape lands ~6 s after start; leave room on a busy machine
TIMEOUT = 30


def prometheus_binaries() -> tuple[str, str | None]:
    found = shutil.which("prometheus")
    if found is None:
        if os.geteuid() != 0:
            pytest.fail(
                "Prometheus is missing; install it with: "
                f"sudo apt-get update && sudo {' '.join(INSTALL)}"
            )
        subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-q"], check=True)
        subprocess.run(INSTALL, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("prometheus")
        assert found, "apt-get installed prometheus but it is not on PATH"
    return found, shutil.which("promtool")


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[dict[str, str]]:
    """The platform (after a run) and one deployment that has made predictions."""
    settings = Settings.load({"data": tmp_path_factory.mktemp("prom") / "data"}, environ={})
    platform = open_platform(settings)
    stack = ExitStack()
    try:
        api = stack.enter_context(serve_app(create_app(platform=platform)))
        text = (ROOT / "examples" / "breast_cancer.ttl").read_text()
        version = definitions.submit(platform.store, definitions.parse(text)).version
        assert platform.runs.run(version).status == "succeeded"
        deployment = deploy(api, model="breast-cancer-classifier", version=1)["url"]
        rows = records(load_breast_cancer(as_frame=True).data, 10)
        predicted = requests.post(
            f"{deployment}/predict", json={"dataframe_records": rows}, timeout=TIMEOUT
        )
        assert predicted.status_code == 200
        requests.get(f"{api}/api/health", timeout=TIMEOUT).raise_for_status()
        yield {"platform": api, "deployment": deployment}
    finally:
        stack.close()
        platform.close()


@contextmanager
def running_prometheus(workdir: Path, config: str) -> Iterator[str]:
    """A real Prometheus with ``config`` (YAML text; rule files relative to ``workdir``) on a
    free loopback port, its data in ``workdir``; its URL. Stopped by its pid."""
    binary, _ = prometheus_binaries()
    (workdir / "prometheus.yml").write_text(config)
    port = free_port()
    log = (workdir / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process, grace=15)
        log.close()


def scrape_config(targets: dict[str, str]) -> str:
    """Scrape each ``name: url`` target every second as job ``ontolab-NAME``."""
    hosts = {name: url.removeprefix("http://") for name, url in targets.items()}
    head = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
    return head + "".join(
        f"  - job_name: ontolab-{name}\n    static_configs:\n      - targets: ['{host}']\n"
        for name, host in hosts.items()
    )


@pytest.fixture(scope="module")
def prometheus(targets: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("prometheus")
    with running_prometheus(workdir, scrape_config(targets)) as url:
        yield url


def poll(deadline: float, probe: Any) -> Any:
    """``probe()`` until it returns something truthy, or fail at ``deadline`` (monotonic)."""
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except requests.RequestException as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.25)
    pytest.fail(f"Prometheus did not get there within {SCRAPE_DEADLINE:g} s; last answer: {last}")


def query(prometheus: str, expression: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{prometheus}/api/v1/query", params={"query": expression}, timeout=5)
    answer.raise_for_status()
    return list(answer.json()["data"]["result"])


def test_prometheus_scrapes_platform_and_deployment_series(
    prometheus: str, targets: dict[str, str]
) -> None:
    deadline = time.monotonic() + SCRAPE_DEADLINE

    def all_up() -> list[dict[str, Any]] | None:
        active = requests.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]
        found = active["activeTargets"]
        healthy = [t for t in found if t["health"] == "up"]
        return found if len(found) == 2 and len(healthy) == 2 else None

    found = poll(deadline, all_up)
    assert {t["labels"]["job"] for t in found} == {"ontolab-platform", "ontolab-deployment"}
    assert {t["scrapeUrl"] for t in found} == {f"{url}/metrics" for url in targets.values()}

    health = poll(
        deadline,
        lambda: query(prometheus, 'ontolab_http_requests_total{route="/api/health",status="200"}'),
    )
    assert health[0]["metric"]["job"] == "ontolab-platform"
    assert health[0]["metric"]["method"] == "GET"
    runs = poll(deadline, lambda: query(prometheus, "ontolab_runs_finished_total"))
    assert runs[0]["metric"]["status"] == "succeeded" and float(runs[0]["value"][1]) == 1
    predictions = poll(deadline, lambda: query(prometheus, "ontolab_model_predictions_total"))
    assert {p["metric"]["class"] for p in predictions} == {"0", "1"}
    assert {p["metric"]["job"] for p in predictions} == {"ontolab-deployment"}
    assert sum(float(p["value"][1]) for p in predictions) == 10
    latency = poll(
        deadline,
        lambda: query(
            prometheus, 'ontolab_model_request_duration_seconds_count{endpoint="predict"}'
        ),
    )
    assert float(latency[0]["value"][1]) >= 1


def test_promtool_accepts_both_expositions(targets: dict[str, str]) -> None:
    _, promtool = prometheus_binaries()
    if promtool is None:
        pytest.skip("promtool is not installed with this prometheus package")
    for url in targets.values():
        text = requests.get(f"{url}/metrics", timeout=TIMEOUT).text
        checked = subprocess.run(
            [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
        )
        assert checked.returncode == 0, f"{url}: {checked.stdout}{checked.stderr}"
