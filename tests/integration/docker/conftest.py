"""One Docker Engine, one runner image and one single-node swarm for the whole test session.

The engine is installed if missing and started by the tests themselves; when it cannot
start, the tests fail with the reason and the command to fix it: they never skip, so CI
cannot pass without having run them. Both are made ready in the background from the end of
collection on, and the docker tests run last (see prepare.py).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from waitress import wasyncore
from waitress.server import create_server

from server import definitions
from server.platform import Platform, open_platform
from server.settings import Settings
from server.tracking import catalog
from server.tracking.records import RunRecord
from tests.integration.docker.engine import Engine, EngineUnavailable
from tests.integration.docker.prepare import RUNNER_IMAGE, Image, Preparing, engine_last, needs
from tests.processes import free_port

PREPARING = pytest.StashKey[Preparing]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The docker tests run last, while the engine and image are made ready (see prepare)."""
    engine_last(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    if needs(session.items, "engine") and not session.config.option.collectonly:
        session.config.stash[PREPARING] = Preparing(needs(session.items, "runner_image"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    preparing = session.config.stash.get(PREPARING, None)
    if preparing is not None:
        preparing.close()


@pytest.fixture(scope="session")
def preparing(pytestconfig: pytest.Config) -> Preparing:
    found = pytestconfig.stash.get(PREPARING, None)
    if found is None:  # collection did not see a test needing the engine
        found = pytestconfig.stash[PREPARING] = Preparing(with_image=True)
    return found


@pytest.fixture(scope="session")
def engine(preparing: Preparing) -> Iterator[Engine]:
    try:
        started = preparing.wait_engine()
    except EngineUnavailable as exc:
        pytest.fail(f"the Docker Engine for the docker tests cannot start: {exc}", pytrace=False)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def docker_client(engine: Engine) -> Iterator[Any]:
    import docker

    client = docker.DockerClient(base_url=engine.host, timeout=120)
    yield client
    client.close()


@pytest.fixture(scope="session")
def runner_image(preparing: Preparing, docker_client: Any) -> Image:
    """The runner image, built in the background from the end of collection on."""
    image = preparing.wait_image()
    for message in preparing.said:
        print(f"[image] {message}")
    built = image.built.built or "cached"
    print(f"[image] {RUNNER_IMAGE} ready in {image.seconds:.1f} s (built: {built})")
    return image


@pytest.fixture(scope="session")
def swarm(engine: Engine, runner_image: Image) -> Iterator[None]:
    """A single-node swarm on loopback only, left (and so removed) at the end."""
    engine.cli("swarm", "leave", "--force")  # state left behind by an interrupted session
    # A free port, not swarm's 2377: another engine's swarm may hold that one meanwhile.
    address = f"127.0.0.1:{free_port()}"
    done = engine.cli("swarm", "init", "--advertise-addr", address, "--listen-addr", address)
    if done.returncode != 0:
        pytest.fail(f"`docker swarm init` failed: {done.stderr}", pytrace=False)
    try:
        yield
    finally:
        engine.cli("swarm", "leave", "--force")


def author_image_from(docker_client: Any, runner_image: Image, tag: str, label: str = "") -> str:
    """An image of an author's, made FROM the runner (nothing can be pulled), run as another
    user (1000); ``label`` makes it an image of its own (another ID)."""
    dockerfile = f"FROM {runner_image.built.id}\nUSER 1000:1000\nWORKDIR /\n"
    if label:
        dockerfile += f"LABEL org.ontolab.test={json.dumps(label)}\n"
    docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag)
    return tag


def docker_settings(data: Path, engine: Engine, provisioner: str, port: int = 3000) -> Settings:
    return Settings.load(
        {
            "data": data,
            "provisioner": provisioner,
            "docker_host": engine.host,
            "runner_image": RUNNER_IMAGE,
            "platform_url": f"http://127.0.0.1:{port}",
        },
        environ={},
    )


@contextmanager
def served(platform: Platform, port: int) -> Iterator[str]:
    """The platform's HTTP API on 127.0.0.1:PORT, where host-networked swarm tasks reach it."""
    from server.app import create_app

    server = create_server(create_app(platform=platform), host="127.0.0.1", port=port, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))  # type: ignore[union-attr]
        thread.join(10)
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]


@contextmanager
def opened(settings: Settings) -> Iterator[Platform]:
    platform = open_platform(settings, serve_deployments=False)
    try:
        yield platform
    finally:
        platform.close()


@contextmanager
def on_swarm(data: Path, engine: Engine) -> Iterator[Platform]:
    """A platform on the swarm provisioner, its API served where the swarm's tasks reach it."""
    port = free_port()
    with opened(docker_settings(data, engine, "swarm", port)) as platform, served(platform, port):
        yield platform


def run_text(platform: Platform, text: str, fmt: str = "turtle") -> RunRecord:
    version = definitions.submit(platform.store, definitions.parse(text, fmt)).version
    return platform.runs.run(version, use_cache=False)


def metrics(platform: Platform, record: RunRecord) -> dict[tuple[str, str], float]:
    rows = catalog.run_details(platform.store, record.run_id)["metrics"]
    return {(r["step_id"], r["metric"]): float(r["value"]) for r in rows}


def local_metrics_of(
    tmp_path_factory: pytest.TempPathFactory, run: Callable[[Platform], RunRecord]
) -> dict[tuple[str, str], float]:
    """The metrics of the run ``run`` makes on a platform of its own with the local
    provisioner: what the same run under docker or swarm must give."""
    settings = Settings.load({"data": tmp_path_factory.mktemp("local")}, environ={})
    with opened(settings) as platform:
        return metrics(platform, run(platform))
