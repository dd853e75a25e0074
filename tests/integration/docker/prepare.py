"""The Docker Engine and the runner image, made ready by a background thread.

On a fresh machine the runner image takes minutes to build (debootstrap, pip download, the
venv in the rootfs), mostly waiting on downloads and disks, so the docker conftest starts
this as soon as collection shows docker tests, and moves those tests to the end of the
session: the other tests run meanwhile. The ``engine`` and ``runner_image`` fixtures wait here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from server.provision.image import BuiltImage, build_runner_image
from tests.integration.docker.engine import Engine, EngineUnavailable, start_engine

RUNNER_IMAGE = "ontolab-runner:test"
BUILD_TIMEOUT = 3600  # seconds: a cold build on a slow mirror


@dataclass
class Image:
    built: BuiltImage
    seconds: float


class Preparing:
    """``start_engine()``, then (if ``with_image``) ``build_runner_image`` on it, in a thread.

    The engine is stopped by ``close`` (or earlier by its fixture; stopping twice is harmless)."""

    def __init__(self, with_image: bool) -> None:
        self.with_image = with_image
        self.engine: Engine | None = None
        self.engine_error: EngineUnavailable | None = None
        self.engine_ready = threading.Event()
        self.image: Image | None = None
        self.image_error: BaseException | None = None
        self.said: list[str] = []  # the build's messages, printed by the fixture
        self.thread = threading.Thread(target=self._prepare, daemon=True)
        self.thread.start()

    def _prepare(self) -> None:
        try:
            self.engine = start_engine()
        except EngineUnavailable as exc:
            self.engine_error = exc
        finally:
            self.engine_ready.set()
        if self.engine is not None and self.with_image:
            self._build(self.engine)

    def _build(self, engine: Engine) -> None:
        import docker

        started = time.monotonic()
        try:
            client = docker.DockerClient(base_url=engine.host, timeout=120)
            try:
                built = build_runner_image(client, RUNNER_IMAGE, say=self.said.append)
            finally:
                client.close()
            self.image = Image(built, time.monotonic() - started)
        except BaseException as exc:  # reported by the runner_image fixture
            self.image_error = exc

    def wait_engine(self, timeout: float = 300) -> Engine:
        """The started engine; raises ``EngineUnavailable`` with the reason."""
        if not self.engine_ready.wait(timeout):
            raise EngineUnavailable(f"dockerd was not up after {timeout:g} s")
        if self.engine is None:
            raise self.engine_error or EngineUnavailable("dockerd did not start")
        return self.engine

    def wait_image(self) -> Image:
        """The runner image once built; raises what the build raised."""
        self.thread.join(BUILD_TIMEOUT)
        if self.thread.is_alive():
            raise TimeoutError(f"the runner image was not built after {BUILD_TIMEOUT} s")
        if self.image_error is not None:
            raise self.image_error
        if self.image is None and self.engine is not None:  # not asked for at collection
            self._build(self.engine)
            return self.wait_image()
        if self.image is None:
            raise EngineUnavailable(str(self.engine_error or "dockerd did not start"))
        return self.image

    def close(self) -> None:
        """Stop the engine (which ends a build still running) and wait for the thread."""
        self.engine_ready.wait(300)
        if self.engine is not None:
            self.engine.stop()
        self.thread.join(60)


def needs(items: list[Any], fixture: str) -> bool:
    return any(fixture in getattr(item, "fixturenames", ()) for item in items)


def engine_last(items: list[Any]) -> None:
    """Move the modules with tests that use the engine to the end, in their order."""
    files = {item.path for item in items if needs([item], "engine")}
    items[:] = [i for i in items if i.path not in files] + [i for i in items if i.path in files]
