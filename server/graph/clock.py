"""The one clock for what the platform stamps: run and step times, versions, aliases, deployments.

Kept apart from ``write_terms`` so that cheap importers (the provisioners, which the CLI starts
before the rest of the platform) do not load pyoxigraph for it.

``Clock`` is the seam for what waits on time (the trigger loop, ``server.automation``):
``SystemClock`` reads the wall clock; ``ManualClock`` moves only when told to, so a test of a
schedule advances time instead of sleeping through it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


def utc_now() -> str:
    """Now, in UTC, as ISO 8601 text, ready for ``write_terms.date_time``."""
    return datetime.now(UTC).isoformat()


class Clock(Protocol):
    """Now, and a wait that a stop or a wake-up ends early. Safe to share between threads."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def wait(self, wake: threading.Event, seconds: float) -> None:
        """Return once ``seconds`` of this clock have passed or ``wake`` is set, whichever
        comes first. Never clears ``wake``."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, wake: threading.Event, seconds: float) -> None:
        wake.wait(max(seconds, 0.0))


class ManualClock:
    """A clock that stands still until ``advance`` or ``set`` moves it (tests, simulations).

    ``wait`` returns when the clock has been moved past its deadline or ``wake`` is set; it
    checks ``wake`` every ``poll`` real seconds, so a stop is never missed.
    """

    def __init__(self, start: datetime | None = None, poll: float = 0.01) -> None:
        start = start or datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("a ManualClock starts at a timezone-aware time")
        self._now = start
        self._poll = poll
        self._moved = threading.Condition()

    def now(self) -> datetime:
        with self._moved:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move the clock ``seconds`` on; return the new time."""
        with self._moved:
            self._now += timedelta(seconds=seconds)
            self._moved.notify_all()
            return self._now

    def set(self, moment: datetime) -> None:
        """Move the clock to ``moment`` (not backwards)."""
        with self._moved:
            if moment < self._now:
                raise ValueError(f"a ManualClock does not go back ({moment} < {self._now})")
            self._now = moment
            self._moved.notify_all()

    def wait(self, wake: threading.Event, seconds: float) -> None:
        with self._moved:
            deadline = self._now + timedelta(seconds=max(seconds, 0.0))
            while self._now < deadline and not wake.is_set():
                self._moved.wait(self._poll)
