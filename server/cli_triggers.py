"""``ontolab triggers …``: list, add, remove and fire an experiment's triggers, list firings.

Its own module so that ``server.cli`` does not grow with every command group; ``server.cli``
registers it with ``add_commands``. Light at import, as ``server.cli`` is: the platform is
opened inside the commands, without its trigger loop (``ontolab serve`` runs that).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import closing
from typing import TYPE_CHECKING, Any

from server.terminal import print_metrics, print_table

if TYPE_CHECKING:
    from server.platform import Platform

OpenPlatform = Callable[[argparse.Namespace], "Platform"]
_KINDS = ("schedule", "new_data", "drift", "performance", "manual")
_LIST_COLUMNS = ["id", "kind", "condition", "debounce_seconds", "cooldown_seconds", "created"]
_FIRING_COLUMNS = ["time", "outcome", "run_id", "observed_value", "detail"]


def add_commands(commands: Any, open_platform: OpenPlatform) -> None:
    """Add the ``triggers`` group to ``commands`` (the parser's subparsers)."""
    group = commands.add_parser(
        "triggers", help="list, add, remove and fire an experiment's triggers"
    ).add_subparsers(required=True, metavar="ACTION")

    def action(name: str, handler: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("experiment", help="the experiment's identifier")
        sub.set_defaults(command=lambda args: handler(args, open_platform))
        return sub

    action("list", _list, "the triggers in force of an experiment")
    add = action("add", _add, "add a trigger to an experiment (checked by its SHACL shape)")
    add.add_argument("kind", choices=_KINDS)
    add.add_argument("--cron", help='schedule: five cron fields, e.g. "0 3 * * *"')
    add.add_argument("--timezone", help="schedule: an IANA time zone (default UTC)")
    add.add_argument("--dataset", help="new_data: the uploaded dataset's name")
    add.add_argument(
        "--threshold",
        type=float,
        help="drift: share of drifted features; performance: the live metric's value",
    )
    add.add_argument("--windows", type=int, help="drift, performance: windows in a row (1)")
    add.add_argument("--metric", help="performance: a metric of the experiment's task")
    add.add_argument("--direction", choices=("below", "above"), help="performance")
    add.add_argument(
        "--deployment",
        action="append",
        dest="deployments",
        help="drift, performance: a deployment id to watch (repeatable)",
    )
    add.add_argument("--model", help="drift, performance: a registered model name to watch")
    add.add_argument("--debounce", type=float, dest="debounce_seconds", help="seconds")
    add.add_argument("--cooldown", type=float, dest="cooldown_seconds", help="seconds")
    add.add_argument("--label", help="a name for people")
    remove = action("remove", _remove, "take a trigger out of force (its firings stay)")
    remove.add_argument("trigger", help="the trigger's id")
    fire = action("fire", _fire, "fire a trigger now and wait for the run it starts")
    fire.add_argument("trigger", help="the trigger's id")
    firings = action("firings", _firings, "a trigger's firings, newest first")
    firings.add_argument("trigger", help="the trigger's id")
    firings.add_argument("--limit", type=int, default=20)


def _list(args: argparse.Namespace, open_platform: OpenPlatform) -> int:
    with closing(open_platform(args)) as platform:
        triggers = platform.triggers.listing(args.experiment)
    rows = [t.to_json() | {"condition": _condition(t.to_json())} for t in triggers]
    print_table(rows, _LIST_COLUMNS)
    return 0


def _condition(trigger: dict[str, Any]) -> str:
    """What fires a trigger, in a few words."""
    kind = trigger["kind"]
    if kind == "schedule":
        return f"cron {trigger['cron']} ({trigger['timezone']})"
    if kind == "new_data":
        return f"new version of dataset {trigger['dataset']}"
    if kind == "manual":
        return "by hand"
    watched = ", ".join(trigger.get("deployments") or []) or trigger.get("model") or "its models"
    windows = f"{trigger['windows']} window(s) in a row, {watched}"
    if kind == "drift":
        return f"drift share >= {trigger['threshold']:g}, {windows}"
    sign = "<" if trigger["direction"] == "below" else ">"
    return f"live {trigger['metric']} {sign} {trigger['threshold']:g}, {windows}"


def _add(args: argparse.Namespace, open_platform: OpenPlatform) -> int:
    from server.automation.triggers import FIELDS

    body: dict[str, Any] = {"kind": args.kind}
    for key in FIELDS[args.kind]:
        value = getattr(args, key, None)
        if key != "kind" and value is not None:
            body[key] = value
    with closing(open_platform(args)) as platform:
        trigger = platform.triggers.create(args.experiment, body)
    data = trigger.to_json()
    print(f"trigger {trigger.id} of {trigger.experiment}: {_condition(data)} <{data['iri']}>")
    return 0


def _remove(args: argparse.Namespace, open_platform: OpenPlatform) -> int:
    with closing(open_platform(args)) as platform:
        trigger = platform.triggers.remove(args.experiment, args.trigger)
    print(f"trigger {trigger.id} of {trigger.experiment} removed; its firings stay in the graph")
    return 0


def _fire(args: argparse.Namespace, open_platform: OpenPlatform) -> int:
    from server.tracking import catalog

    with closing(open_platform(args)) as platform:
        firing = platform.triggers.fire(args.experiment, args.trigger)
        print(f"{firing.outcome}: {firing.detail}", flush=True)
        if firing.run_id is None:
            return 0 if firing.outcome != "failed" else 1
        platform.runs.wait(firing.run_id)  # the run lives in this process: see it to its end
        details = catalog.run_details(platform.store, firing.run_id)
    print(f"run {firing.run_id}: {details['status']}")
    print_metrics(details["metrics"])
    return 0 if details["status"] == "succeeded" else 1


def _firings(args: argparse.Namespace, open_platform: OpenPlatform) -> int:
    with closing(open_platform(args)) as platform:
        firings = platform.triggers.firings(args.experiment, args.trigger, args.limit)
    print_table([f.to_json() for f in firings], _FIRING_COLUMNS)
    return 0
