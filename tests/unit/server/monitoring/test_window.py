"""Monitoring windows as written in the API and settings, and live performance from feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.errors import WindowError
from server.monitoring.window import NO_FEEDBACK, live_performance, parse_window

MAX_ROWS = 5000


def test_count_window() -> None:
    window = parse_window("last:1000", MAX_ROWS)
    assert (window.kind, window.last) == ("last", 1000)
    assert window.bound(datetime.now(UTC)) is None


def test_time_windows_bound_the_log_time() -> None:
    since = parse_window("since:2026-12-01T10:00:00Z", MAX_ROWS)
    assert since.since == datetime(2026, 12, 1, 10, tzinfo=UTC)
    naive = parse_window("since:2026-12-01T10:00:00", MAX_ROWS)  # no zone: UTC
    assert naive.since == since.since
    shifted = parse_window("since:2026-12-01T12:00:00+02:00", MAX_ROWS)
    assert shifted.since == since.since
    now = datetime(2026, 12, 3, tzinfo=UTC)
    assert parse_window("duration:1h", MAX_ROWS).bound(now) == now - timedelta(hours=1)
    assert parse_window("duration:90s", MAX_ROWS).bound(now) == now - timedelta(seconds=90)
    assert parse_window("duration:7d", MAX_ROWS).duration == timedelta(days=7)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "is not a window; use last:N"),
        ("1000", "is not a window; use last:N"),
        ("last:0", "from 1 to 5000"),
        ("last:5001", "from 1 to 5000"),
        ("last:-3", "from 1 to 5000"),
        ("last:ten", "from 1 to 5000"),
        ("since:yesterday", "not an ISO 8601 time"),
        ("since:", "not an ISO 8601 time"),
        ("duration:1y", "unit s, m, h or d"),
        ("duration:0s", "unit s, m, h or d"),
        ("duration:400d", "up to 366d"),
        ("duration:h", "unit s, m, h or d"),
        ("first:10", "'first' is not a kind of window"),
    ],
)
def test_bad_windows_are_refused_with_the_forms(spec: str, message: str) -> None:
    with pytest.raises(WindowError, match=message):
        parse_window(spec, MAX_ROWS)
    assert WindowError.status == 400


def test_binary_classification_scores_like_the_build() -> None:
    predictions = [0, 1, 1, 0, 1, 0]
    labels = [0, 1, 0, None, 1, 1]  # one row without feedback
    found = live_performance(predictions, labels, "classification", [0, 1])
    assert found.labelled == 5
    assert found.metrics["accuracy"] == pytest.approx(3 / 5)
    # positive class 1: tp 2, fp 1, fn 1 → precision 2/3, recall 2/3
    assert found.metrics["f1"] == pytest.approx(2 / 3)
    assert found.note is None


def test_multiclass_f1_is_macro_and_numbers_match_across_spellings() -> None:
    found = live_performance([0, 1, 2, 2], [0.0, 1, 2, 1], "classification", [0, 1, 2])
    assert found.metrics["accuracy"] == pytest.approx(0.75)
    assert found.metrics["f1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)


def test_regression_errors() -> None:
    found = live_performance([1.0, 2.0, 4.0], [1.0, 3.0, 2.0], "regression", None)
    assert found.metrics == {
        "rmse": pytest.approx(((0 + 1 + 4) / 3) ** 0.5),
        "mae": pytest.approx(1.0),
    }


def test_no_feedback_is_said_not_scored() -> None:
    found = live_performance([0, 1], [None, None], "classification", [0, 1])
    assert (found.labelled, found.metrics, found.note) == (0, {}, NO_FEEDBACK)
    assert found.to_json()["note"].startswith("no feedback yet")


def test_dataframe_cells_count_as_their_values() -> None:
    import numpy as np

    predictions = list(np.array([0, 1, 1]))  # numpy ints, as a DataFrame column gives them
    labels = list(np.array([0.0, 1.0, np.nan]))  # the NaN of a row without feedback
    found = live_performance(predictions, labels, "classification", [0, 1])
    assert found.labelled == 2 and found.metrics == {"accuracy": 1.0, "f1": 1.0}
