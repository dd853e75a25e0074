"""What a trigger must satisfy besides its kind's keys: the SHACL shapes, a cron expression
croniter reads, a time zone the system knows, a metric the experiment's task has. And the
schedule itself: the next cron tick after a moment. Pure but for the shapes' files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter
from rdflib import Graph

from server.definitions.validation import shape_violations
from server.errors import TriggerError
from server.graph.namespaces import PREFIXES
from server.store.base import Triple

#: The @-forms a cron expression may take besides its five fields.
CRON_ALIASES = ("@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually")
_CRON_FIX = (
    'write five fields (minute hour day-of-month month day-of-week), e.g. "0 3 * * *" for '
    '03:00 every day or "*/15 * * * *" for every quarter hour, or one of ' + ", ".join(CRON_ALIASES)
)


def check_shapes(triples: Iterable[Triple]) -> None:
    """Raise TriggerError with every violation when the trigger's graph breaks its shapes."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for triple in triples:
        graph.add(triple)
    # One bad value can break several constraints with one message (a text where a number
    # belongs fails its datatype and both bounds): each is said once.
    violations = sorted(set(shape_violations(graph)))
    if violations:
        raise TriggerError(
            f"the trigger breaks {len(violations)} rule(s) of the trigger shapes", violations
        )


def check_cron(expression: str) -> None:
    """Raise TriggerError naming ``expression`` unless croniter reads it as five fields or an
    @-alias. Six- and seven-field forms (seconds, years) are refused: a trigger ticks at most
    once a minute."""
    fields = expression.split()
    if not (len(fields) == 5 or (len(fields) == 1 and fields[0].lower() in CRON_ALIASES)):
        raise TriggerError(
            f"cron expression {expression!r} has {len(fields)} field(s), not 5; {_CRON_FIX}"
        )
    try:  # a tick must exist too: "0 0 30 2 *" reads, but February has no 30th
        croniter(expression, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (CroniterError, ValueError, KeyError) as exc:
        raise TriggerError(
            f"cron expression {expression!r} is malformed ({exc}); {_CRON_FIX}"
        ) from exc


def zone(name: str) -> ZoneInfo:
    """The time zone ``name``; TriggerError when the system's time zone data has none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TriggerError(
            f'time zone {name!r} is unknown; give an IANA name such as "UTC" or "Europe/Berlin"'
        ) from exc


def next_tick(expression: str, timezone: str, after: datetime) -> datetime:
    """The first tick of ``expression`` (read in ``timezone``) strictly after ``after``, in UTC."""
    start = after.astimezone(zone(timezone))
    tick: datetime = croniter(expression, start).get_next(datetime)
    return tick.astimezone(UTC)


def latest_tick(expression: str, timezone: str, moment: datetime) -> datetime:
    """The last tick of ``expression`` at or before ``moment``, in UTC (ticks fall on whole
    minutes, so the one before a second later)."""
    start = (moment + timedelta(seconds=1)).astimezone(zone(timezone))
    tick: datetime = croniter(expression, start).get_prev(datetime)
    return tick.astimezone(UTC)


def check_metric(metric: str, task: str, measures: Mapping[str, tuple[str | None, bool]]) -> bool:
    """Whether higher is better for ``metric``; TriggerError when the ontology has no such
    measure for ``task``. ``measures``: name → (task it applies to, higher is better)."""
    known = measures.get(metric)
    if known is None or known[0] not in (None, task):
        offered = sorted(
            name for name, (for_task, _) in measures.items() if for_task in (None, task)
        )
        raise TriggerError(
            f"a {task} experiment has no metric {metric!r}, so no threshold on it can fire; "
            f"use one of {', '.join(offered)}"
        )
    return known[1]
