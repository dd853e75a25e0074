"""``ontolab rollback`` and ``ontolab challenge``: the model operations a person runs from a
shell, through the running platform when one answers (so the deployments it serves switch),
else on the store directly.

Its own module so that ``server.cli`` does not grow with every command group; ``server.cli``
registers it with ``add_commands``. Light at import: ``requests`` and the platform are loaded
inside the commands.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import closing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.platform import Platform


def add_commands(
    commands: Any,
    settings_of: Callable[[argparse.Namespace], Any],
    open_platform: Callable[[argparse.Namespace], Platform],
) -> None:
    """Add ``rollback`` and ``challenge`` to ``commands``; ``settings_of(args)`` loads the
    settings, ``open_platform(args)`` opens the platform when none answers."""

    def command(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(
            name, help=help_text, description=help_text
        )
        sub.set_defaults(command=handler, settings_of=settings_of, open_platform=open_platform)
        return sub

    rollback = command(
        "rollback",
        _rollback,
        "return a model's alias to the version it pointed at before; deployments following "
        "it switch (through the running platform when one answers on --host/--port)",
    )
    rollback.add_argument("model")
    rollback.add_argument("--alias", default="champion", help="default champion")
    challenge = command(
        "challenge",
        _challenge,
        "make a version the challenger and promote it if it beats the champion on the same "
        "held-out data; the decision is recorded either way",
    )
    challenge.add_argument("model")
    challenge.add_argument("version", type=int)
    for sub in (rollback, challenge):
        sub.add_argument("--host", help="the running platform (default 127.0.0.1)")
        sub.add_argument("--port", type=int, help="its port (default 3000)")
        sub.add_argument(
            "--token", help="API token, when the platform runs with auth (env ONTOLAB_TOKEN)"
        )


def _rollback(args: argparse.Namespace) -> int:
    path = f"/api/models/{args.model}/aliases/{args.alias}/rollback"
    change = _operate(args, path, lambda p: p.registry.rollback(args.model, args.alias).to_json())
    print(f"{args.model} {args.alias}: version {change['previous']} -> {change['version']}")
    _print_switches(change.get("switches", []))
    return 0


def _challenge(args: argparse.Namespace) -> int:
    path = f"/api/models/{args.model}/versions/{args.version}/challenge"
    decision = _operate(args, path, lambda p: p.challenge(args.model, args.version))
    print(f"{decision['outcome']}: {decision['reason']}")
    promoted = decision.get("champion_change") or {}
    _print_switches(promoted.get("switches", []))
    return 0 if decision["outcome"] == "promoted" else 2


def _operate(args: argparse.Namespace, path: str, locally: Callable[[Any], dict]) -> dict:
    """POST ``path`` to the running platform, so the deployments it serves switch; with none
    running, change the store directly (its deployments follow when they start again). With
    auth on, the platform wants ``--token`` (or ONTOLAB_TOKEN)."""
    import os

    import requests

    from server.errors import OntolabError

    settings = args.settings_of(args)
    url = f"http://{settings.host}:{settings.port}{path}"
    token = args.token or os.environ.get("ONTOLAB_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        answer = requests.post(url, headers=headers, timeout=120)
    except requests.ConnectionError:
        with closing(args.open_platform(args)) as platform:
            return locally(platform)
    body = answer.json() if answer.headers.get("Content-Type", "").endswith("json") else {}
    if not answer.ok:
        raise OntolabError(body.get("detail") or f"{url} answered {answer.status_code}")
    return dict(body)


def _print_switches(switches: list[dict]) -> None:
    for switch in switches:
        print(
            f"  deployment {switch['deployment']}: {switch['outcome']} "
            f"(version {switch['from_version']} -> {switch['to_version']})"
            + (f": {switch['reason']}" if switch.get("reason") else "")
        )
