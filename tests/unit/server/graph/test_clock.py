"""The controllable clock: it moves only when told, and a wait on it ends when it has moved far
enough or is woken, never by real time passing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from server.graph.clock import ManualClock, SystemClock

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_a_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(START)
    assert clock.now() == START
    assert clock.advance(90) == START + timedelta(seconds=90)
    clock.set(START + timedelta(hours=1))
    assert clock.now() == START + timedelta(hours=1)
    with pytest.raises(ValueError, match="does not go back"):
        clock.set(START)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 3, 1))


def _waiting(clock: ManualClock, wake: threading.Event, seconds: float) -> threading.Thread:
    thread = threading.Thread(target=clock.wait, args=(wake, seconds), daemon=True)
    thread.start()
    return thread


def test_a_wait_ends_when_the_clock_passes_its_deadline() -> None:
    clock = ManualClock(START)
    waiter = _waiting(clock, threading.Event(), 60)
    clock.advance(30)
    waiter.join(0.2)
    assert waiter.is_alive(), "30 of 60 clock seconds passed: still waiting"
    clock.advance(30)
    waiter.join(5)
    assert not waiter.is_alive()


def test_a_wait_ends_when_woken_and_a_zero_wait_returns_at_once() -> None:
    clock = ManualClock(START)
    wake = threading.Event()
    waiter = _waiting(clock, wake, 3600)
    wake.set()
    waiter.join(5)
    assert not waiter.is_alive()
    assert clock.now() == START, "waking moves no time"
    clock.wait(threading.Event(), 0)


def test_the_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
