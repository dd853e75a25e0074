"""Cron expressions (read by croniter), time zones, the schedule's next tick, and which metrics
a task has."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.automation.checks import check_cron, check_metric, latest_tick, next_tick, zone
from server.errors import TriggerError

MEASURES = {
    "accuracy": ("classification", True),
    "f1": ("classification", True),
    "rmse": ("regression", False),
    "mae": ("regression", False),
    "r2": ("regression", True),
}


@pytest.mark.parametrize(
    "expression", ["*/5 * * * *", "0 3 * * MON-FRI", "30 2 1 * *", "@daily", "@hourly"]
)
def test_five_fields_and_the_aliases_are_read(expression: str) -> None:
    check_cron(expression)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("* * * *", "has 4 field(s), not 5"),
        ("0 0 * * * *", "has 6 field(s), not 5"),  # seconds: refused, at most once a minute
        ("61 * * * *", "is malformed"),
        ("a b c d e", "is malformed"),
        ("*/0 * * * *", "is malformed"),
        ("0 0 30 2 *", "is malformed"),  # reads, but February has no 30th: no tick ever
        ("", "has 0 field(s)"),
    ],
)
def test_a_malformed_cron_expression_is_named_with_the_fix(expression: str, fragment: str) -> None:
    with pytest.raises(TriggerError, match="five fields") as caught:
        check_cron(expression)
    assert f"cron expression {expression!r}" in str(caught.value)
    assert fragment in str(caught.value)
    assert caught.value.status == 400


def test_the_next_tick_is_strictly_after_and_in_utc() -> None:
    at = datetime(2026, 3, 1, 10, 2, tzinfo=UTC)
    assert next_tick("*/5 * * * *", "UTC", at) == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    on_a_tick = datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    assert next_tick("*/5 * * * *", "UTC", on_a_tick) == datetime(2026, 3, 1, 10, 10, tzinfo=UTC)


def test_the_cron_expression_is_read_in_its_time_zone_across_daylight_saving() -> None:
    winter = next_tick("0 3 * * *", "Europe/Berlin", datetime(2026, 1, 10, tzinfo=UTC))
    summer = next_tick("0 3 * * *", "Europe/Berlin", datetime(2026, 7, 10, tzinfo=UTC))
    assert winter == datetime(2026, 1, 10, 2, 0, tzinfo=UTC)  # CET, UTC+1
    assert summer == datetime(2026, 7, 10, 1, 0, tzinfo=UTC)  # CEST, UTC+2


def test_an_unknown_time_zone_is_refused() -> None:
    assert zone("Europe/Berlin").key == "Europe/Berlin"
    with pytest.raises(TriggerError, match="time zone 'Mars/Olympus' is unknown"):
        zone("Mars/Olympus")


def test_a_metric_must_be_one_the_task_has() -> None:
    assert check_metric("accuracy", "classification", MEASURES) is True
    assert check_metric("rmse", "regression", MEASURES) is False
    with pytest.raises(TriggerError, match="has no metric 'rmse'") as caught:
        check_metric("rmse", "classification", MEASURES)
    assert "use one of accuracy, f1" in str(caught.value)
    with pytest.raises(TriggerError, match="has no metric 'latency'"):
        check_metric("latency", "regression", MEASURES)


def test_the_latest_tick_is_at_or_before() -> None:
    at = datetime(2026, 3, 1, 10, 32, 15, tzinfo=UTC)
    assert latest_tick("*/5 * * * *", "UTC", at) == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    on_a_tick = datetime(2026, 3, 1, 10, 35, tzinfo=UTC)
    assert latest_tick("*/5 * * * *", "UTC", on_a_tick) == on_a_tick
