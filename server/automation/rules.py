"""When a trigger fires and whether a firing may start a run. Pure: no I/O, no clock of its own.

- Debounce: a firing within ``debounce_seconds`` of the trigger's previous firing (whatever
  came of it) starts no run.
- Cooldown: a firing within ``cooldown_seconds`` of the trigger's last firing that started a
  run starts none.
- Windows: a drift or performance trigger fires when ``windows`` monitoring windows in a row of
  one deployment meet its condition; the count starts again after each firing. A window no
  later than the last one counted for that deployment (a repeat) is ignored, and so is one that
  says nothing about the condition (no drift share, no live value of the metric).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from server.automation.firings import COOLDOWN, DEBOUNCED, Observation
from server.automation.triggers import DEFAULT_WINDOWS, Trigger


@dataclass
class TriggerState:
    """What one trigger remembers between firings (guarded by the service's lock)."""

    last_firing: datetime | None = None
    last_started: datetime | None = None
    next_tick: datetime | None = None  # schedule triggers: the next cron tick due
    last_tick: datetime | None = None  # schedule triggers: the last tick fired for
    streaks: dict[str, int] = field(default_factory=dict)  # deployment id → windows in a row
    last_window: dict[str, datetime] = field(default_factory=dict)  # deployment id → its end


def held_back(trigger: Trigger, state: TriggerState, now: datetime) -> tuple[str, str] | None:
    """(outcome, why) when debounce or cooldown keeps this firing from starting a run."""
    rules = (
        (DEBOUNCED, "debounce", state.last_firing, trigger.debounce_seconds, "the previous firing"),
        (
            COOLDOWN,
            "cooldown",
            state.last_started,
            trigger.cooldown_seconds,
            "the last run's firing",
        ),
    )
    for outcome, rule, since_when, seconds, what in rules:
        if since_when is None or seconds <= 0:
            continue
        since = (now - since_when).total_seconds()
        if since < seconds:
            return outcome, f"{outcome}: {since:g} s after {what}, within the {seconds:g} s {rule}"
    return None


def observed_value(trigger: Trigger, observation: Observation) -> float | None:
    """The value ``trigger`` compares in ``observation``: the drift share, or the live value
    of its metric; None when the window has none."""
    if trigger.kind == "drift":
        return observation.drift_share
    if trigger.metric is None:
        return None
    value = observation.live_metrics.get(trigger.metric)
    return None if value is None else float(value)


def condition_met(trigger: Trigger, value: float) -> bool:
    """Whether ``value`` meets the trigger's condition (its threshold, in its direction)."""
    threshold = trigger.threshold if trigger.threshold is not None else float("inf")
    if trigger.kind == "drift":
        return value >= threshold
    return value > threshold if trigger.direction == "above" else value < threshold


def count_window(
    trigger: Trigger, state: TriggerState, observation: Observation, value: float | None
) -> bool:
    """Count one window of one deployment; True when it completes the windows in a row the
    trigger waits for (the count then starts again)."""
    if value is None:
        return False
    deployment = observation.deployment_id
    end = observation.window_end_time
    last = state.last_window.get(deployment)
    if last is not None and end <= last:
        return False
    state.last_window[deployment] = end
    if not condition_met(trigger, value):
        state.streaks[deployment] = 0
        return False
    streak = state.streaks.get(deployment, 0) + 1
    if streak >= (trigger.windows or DEFAULT_WINDOWS):
        state.streaks[deployment] = 0
        return True
    state.streaks[deployment] = streak
    return False


def describe(trigger: Trigger, observation: Observation, value: float) -> str:
    """The observation that fired ``trigger``, in words."""
    windows = trigger.windows or DEFAULT_WINDOWS
    run = f"in {windows} window(s) in a row" if windows > 1 else "in the window"
    where = (
        f"of deployment {observation.deployment_id} ({observation.model} "
        f"v{observation.version}) ending {observation.window_end}"
    )
    if trigger.kind == "drift":
        drifted = ", ".join(observation.drifted_features) or "none named"
        return (
            f"drift share {value:g} >= {trigger.threshold:g} {run} {where}; drifted features: "
            f"{drifted}"
        )
    sign = ">" if trigger.direction == "above" else "<"
    return f"live {trigger.metric} {value:g} {sign} {trigger.threshold:g} {run} {where}"
