"""ONTOLAB_RECONCILE_RUNS: on which stores a start marks runs a crash left in flight."""

from __future__ import annotations

import pytest

from server.errors import ConfigError
from server.settings import Settings


@pytest.mark.parametrize(
    ("store", "choice", "reconciles"),
    [
        ("", "auto", True),  # the embedded store in the data dir: one process holds it
        ("oxigraph:memory", "auto", True),
        ("oxigraph-server:http://127.0.0.1:7878", "auto", False),  # may be shared
        ("oxigraph-server:http://127.0.0.1:7878", "on", True),
        ("", "off", False),
    ],
)
def test_reconciling_runs_by_store(store: str, choice: str, reconciles: bool) -> None:
    settings = Settings.load({"store": store or None}, environ={"ONTOLAB_RECONCILE_RUNS": choice})
    assert settings.reconciles_runs is reconciles


def test_a_bad_choice_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"ONTOLAB_RECONCILE_RUNS='sometimes'.*auto, on, off"):
        Settings.load(environ={"ONTOLAB_RECONCILE_RUNS": "sometimes"})
