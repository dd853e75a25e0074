"""Debounce, cooldown, windows in a row, and the observation a monitor hands in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.automation.firings import COOLDOWN, DEBOUNCED, Observation
from server.automation.rules import TriggerState, count_window, describe, held_back
from server.automation.triggers import Trigger

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def trigger(kind: str = "drift", **settings: Any) -> Trigger:
    return Trigger(
        "0123456789ab", kind, "iris", "https://example.org/iris", T0.isoformat(), **settings
    )


def window(
    minute: int, share: float | None = 0.5, deployment: str = "d1", **metrics: float
) -> Observation:
    end = (T0 + timedelta(minutes=minute)).isoformat()
    return Observation(deployment, "iris-lr", 1, end, share, ("petal_width",), metrics)


def test_debounce_counts_from_the_previous_firing_whatever_came_of_it() -> None:
    rule = trigger("manual", debounce_seconds=60.0)
    state = TriggerState(last_firing=T0)
    held = held_back(rule, state, T0 + timedelta(seconds=59))
    assert held is not None and held[0] == DEBOUNCED and "60 s debounce" in held[1]
    assert held_back(rule, state, T0 + timedelta(seconds=60)) is None


def test_cooldown_counts_from_the_last_firing_that_started_a_run() -> None:
    rule = trigger("manual", cooldown_seconds=600.0)
    state = TriggerState(last_firing=T0 + timedelta(seconds=500), last_started=T0)
    held = held_back(rule, state, T0 + timedelta(seconds=599))
    assert held is not None and held[0] == COOLDOWN
    assert held_back(rule, state, T0 + timedelta(seconds=600)) is None
    assert held_back(trigger("manual"), state, T0) is None, "0: neither applies"


def test_a_drift_trigger_fires_after_k_windows_in_a_row_then_counts_again() -> None:
    rule = trigger(threshold=0.3, windows=3)
    state = TriggerState()
    fired = [count_window(rule, state, w, w.drift_share) for w in map(window, range(1, 7))]
    assert fired == [False, False, True, False, False, True]


def test_a_window_under_the_threshold_breaks_the_run() -> None:
    rule = trigger(threshold=0.3, windows=2)
    state = TriggerState()
    shares = [0.5, 0.1, 0.5, 0.3]  # 0.3 is at the threshold: it counts
    fired = [count_window(rule, state, window(i, s), s) for i, s in enumerate(shares, 1)]
    assert fired == [False, False, False, True]


def test_repeated_and_silent_windows_count_for_nothing() -> None:
    rule = trigger(threshold=0.3, windows=2)
    state = TriggerState()
    assert not count_window(rule, state, window(1), 0.5)
    assert not count_window(rule, state, window(1), 0.5), "the same window again"
    assert not count_window(rule, state, window(0), 0.5), "an older window"
    assert not count_window(rule, state, window(2, None), None), "no drift share"
    assert count_window(rule, state, window(3), 0.5)


def test_each_deployment_has_its_own_run_of_windows() -> None:
    rule = trigger(threshold=0.3, windows=2)
    state = TriggerState()
    assert not count_window(rule, state, window(1, deployment="a"), 0.5)
    assert not count_window(rule, state, window(1, deployment="b"), 0.5)
    assert count_window(rule, state, window(2, deployment="b"), 0.5)
    assert count_window(rule, state, window(2, deployment="a"), 0.5)


@pytest.mark.parametrize(
    ("direction", "value", "fires"),
    [("below", 0.7, True), ("below", 0.9, False), ("above", 12.0, True), ("above", 8.0, False)],
)
def test_performance_fires_below_or_above_its_threshold(
    direction: str, value: float, fires: bool
) -> None:
    threshold = 0.8 if direction == "below" else 10.0
    rule = trigger("performance", metric="m", threshold=threshold, direction=direction, windows=1)
    assert count_window(rule, TriggerState(), window(1, m=value), value) is fires


def test_the_description_names_the_value_the_windows_and_the_deployment() -> None:
    text = describe(trigger(threshold=0.3, windows=3), window(1), 0.5)
    assert "drift share 0.5 >= 0.3 in 3 window(s) in a row of deployment d1" in text
    assert "petal_width" in text
    rule = trigger("performance", metric="rmse", threshold=10.0, direction="above", windows=1)
    assert "live rmse 12 > 10 in the window" in describe(rule, window(1, rmse=12.0), 12.0)


def test_an_observation_needs_an_aware_window_end() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        Observation("d1", "m", 1, "2026-03-01T10:00:00")
    with pytest.raises(ValueError):
        Observation("d1", "m", 1, "yesterday")
    assert Observation("d1", "m", 1, "2026-03-01T10:00:00Z").window_end_time == T0


def test_the_monitors_window_event_reads_as_an_observation() -> None:
    from server.monitoring.evaluation import WindowEvaluated

    event = WindowEvaluated(
        deployment_id="d1",
        model="iris-lr",
        version=3,
        window_end="2026-03-01T10:00:00+00:00",
        drift_share=0.5,
        drifted_features=("petal_width", "sepal_length"),
        live_metrics={"accuracy": 0.7},
        rows=1000,
        evaluation_iri="https://w3id.org/ontolab/id/deployment/d1/evaluation/1",
    )
    seen = Observation.of(event)
    assert seen.drifted_features == ("petal_width", "sepal_length")
    assert seen.evaluation_iri == event.evaluation_iri and seen.live_metrics == {"accuracy": 0.7}
    assert (seen.deployment_id, seen.model, seen.version) == ("d1", "iris-lr", 3)
    assert count_window(trigger(threshold=0.3, windows=1), TriggerState(), seen, seen.drift_share)
