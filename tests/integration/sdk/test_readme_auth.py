"""The tour's "With auth on" part runs as written: its first command (``ontolab serve --auth``,
admin's password from the environment) as a process of its own, as a user starts it; then
every other command, in order, in one shell (so ``export ONTOLAB_TOKEN=…`` holds for the next
ones), each printing what the README shows below it. The README's ``.venv/bin/…`` are this
interpreter, its port a free one, its ``./data`` a temporary folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import ROOT
from tests.integration.sdk.test_readme import README_URL, section_blocks
from tests.processes import free_port, stop_process

MARK = "@@ command "
SERVE_START = 60  # seconds for `serve` to answer


def tour_commands(block: str) -> list[tuple[str, list[str]]]:
    """Each ``$ `` line of a console block with the lines shown below it."""
    commands: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif line.strip():
            commands[-1][1].append(line)
    return commands


def here(command: str, url: str) -> str:
    """The README's command as run from this checkout against ``url``."""
    programs = {"ontolab": f"{sys.executable} -m server.cli", "python": sys.executable}
    command = re.sub(r"\.venv/bin/(ontolab|python)\b", lambda m: programs[m[1]], command)
    return command.replace(README_URL, url)


def shown(expected: str, printed: str) -> bool:
    """A line of the README matches a printed one (``…`` at its end: the rest may differ)."""
    if expected.endswith("…"):
        return printed.startswith(expected[:-1])
    return printed == expected


def test_the_tour_with_auth_on_runs_as_written(tmp_path: Path) -> None:
    blocks = section_blocks((ROOT / "README.md").read_text(), "A tour", "console")
    (block,) = [b for b in blocks if "serve --auth" in b]
    commands = tour_commands(block)
    serve, nothing = commands[0]
    assert "serve --auth &" in serve and not nothing, "the tour starts the platform first"
    url = f"http://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTOLAB_", "PYTHONPATH"))}
    env |= {"PYTHONPATH": str(ROOT), "ONTOLAB_DATA": str(tmp_path / "data")}
    env["ONTOLAB_PORT"] = url.rsplit(":", 1)[1]
    rest = here(serve, url).split("#")[0].strip().removesuffix("&").strip()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        ["bash", "-c", _exec(rest)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_answering(url, server, tmp_path / "serve.log")
        script = "set -eo pipefail\n" + "".join(
            f"echo '{MARK}{number}'\n{here(command, url)}\n"
            for number, (command, _) in enumerate(commands[1:])
        )
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        stop_process(server)
        log.close()
    served = (tmp_path / "serve.log").read_text()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + served[-2000:]
    assert "Authentication on" in served and "created user 'admin'" not in served
    printed = done.stdout.split(MARK)[1:]
    assert len(printed) == len(commands) - 1, done.stdout
    for (command, expected), output in zip(commands[1:], printed, strict=True):
        lines = output.splitlines()[1:]  # the first is the command's number
        assert len(lines) == len(expected), f"{command}\nprinted:\n{output}"
        for want, got in zip(expected, lines, strict=True):
            assert shown(want, got), f"{command}\nshown {want!r}, printed {got!r}"


def _exec(command: str) -> str:
    """``VAR=value cmd args`` run by ``exec``, so the PID is the command's own (stopped by it)."""
    words = command.split()
    first = next(i for i, word in enumerate(words) if "=" not in word)
    return " ".join([*words[:first], "exec", *words[first:]])


def _wait_answering(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVE_START
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve ended: {log.read_text()[-3000:]}"
        try:
            if requests.get(f"{url}/api/health", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"serve did not answer within {SERVE_START} s: {log.read_text()[-3000:]}")
