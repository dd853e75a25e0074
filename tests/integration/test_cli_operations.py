"""``ontolab challenge`` and ``ontolab rollback`` as a user runs them, with no platform serving:
they change the store directly (the deployments follow when the platform starts again)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

from tests.unit.server.registry import test_registry as built_runs

MODEL = built_runs.MODEL
Cli = Callable[..., CompletedProcess[str]]


def closed_port() -> str:
    """A loopback port nothing listens on, so the commands cannot reach a running platform."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def test_challenge_then_rollback_from_the_command_line(ontolab: Cli, tmp_path: Path) -> None:
    stump = tmp_path / "stump.ttl"
    stump.write_text(built_runs.variant(built_runs.STUMP, min_accuracy="0.8"))
    (tmp_path / "base.ttl").write_text(built_runs.BASE)
    for name in ("stump.ttl", "base.ttl"):  # versions 1 (worse) and 2 (better)
        assert ontolab("run", name).returncode == 0
    port = ("--port", closed_port())

    first = ontolab("challenge", MODEL, "1", *port)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("promoted: ") and "no champion" in first.stdout
    better = ontolab("challenge", MODEL, "2", *port)
    assert better.returncode == 0, better.stderr
    assert "beats" in better.stdout and "same held-out data" in better.stdout
    worse = ontolab("challenge", MODEL, "1", *port)
    assert worse.returncode == 2 and worse.stdout.startswith("refused: ")
    assert "does not beat" in worse.stdout

    back = ontolab("rollback", MODEL, *port)
    assert back.returncode == 0, back.stderr
    assert back.stdout.strip() == f"{MODEL} champion: version 2 -> 1"
    none_left = ontolab("rollback", MODEL, "--alias", "champion", *port)
    assert none_left.returncode == 1
    assert "no previous version" in none_left.stderr
    unknown = ontolab("rollback", MODEL, "--alias", "staging", *port)
    assert unknown.returncode == 1 and "no alias 'staging'" in unknown.stderr


def test_challenge_sends_its_token_to_a_platform_with_auth_on(
    ontolab: Cli, tmp_path: Path, serve_app: Any
) -> None:
    from server.app import create_app
    from server.auth.check import close_auth, gate_of
    from server.auth.roles import Grant, Role
    from server.platform import open_platform
    from server.settings import Settings

    settings = Settings.load(
        {
            "data": tmp_path / "served",
            "auth": True,
            "admin_password": "admin-pass-1",
            "warm_workers": False,
        },
        environ={},
    )
    platform = open_platform(settings)
    app = create_app(platform=platform)
    gate = gate_of(app)
    assert gate is not None
    gate.accounts.add_user("vic", "viewer-pass-1")
    gate.accounts.grant(Grant("user:vic", Role.VIEWER))
    viewer = gate.accounts.create_token("vic", "cli", Role.VIEWER)[0]
    admin = gate.accounts.create_token("admin", "cli", Role.ADMIN)[0]
    try:
        with serve_app(app) as url:
            port = ("--port", url.rsplit(":", 1)[1])
            anonymous = ontolab("challenge", "no-such-model", "1", *port)
            refused = ontolab("challenge", "no-such-model", "1", *port, "--token", viewer)
            unknown = ontolab("challenge", "no-such-model", "1", *port, "--token", admin)
    finally:
        close_auth(app)
        platform.close()
    assert anonymous.returncode == 1 and "needs a signed-in user" in anonymous.stderr
    assert (
        refused.returncode == 1
        and "needs role editor on model 'no-such-model'; vic has viewer" in refused.stderr
    )
    assert unknown.returncode == 1 and "no-such-model" in unknown.stderr
    assert "needs" not in unknown.stderr  # the platform's own answer: no such model
