"""Fixtures shared by the server and integration tests: real stores, real processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.platform import Platform, open_platform
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load({"data": tmp_path / "data"}, environ={})


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    opened = open_platform(settings)
    yield opened
    opened.close()


@pytest.fixture
def examples() -> Path:
    return EXAMPLES
