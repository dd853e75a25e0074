"""A platform served over real HTTP for the SDK tests, once per module, and a client of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pytest
from flask import Flask

from ontolab import Client
from server.app import create_app
from server.platform import Platform, open_platform
from server.settings import Settings


@dataclass
class Served:
    url: str
    platform: Platform


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    serve_app: Callable[[Flask], AbstractContextManager[str]],
) -> Iterator[Served]:
    settings = Settings.load({"data": tmp_path_factory.mktemp("sdk") / "data"}, environ={})
    platform = open_platform(settings)
    try:
        with serve_app(create_app(platform=platform)) as url:
            yield Served(url, platform)
    finally:
        platform.close()


@pytest.fixture(scope="module")
def client(served: Served) -> Iterator[Client]:
    with Client(served.url, timeout=60) as sdk:
        yield sdk
