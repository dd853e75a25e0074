"""``python -m executor PHASE --spec FILE --workdir DIR``: run one step, write result.json.

``--spec-env NAME`` reads the spec from an environment variable instead of a file (a Compose
service or a swarm job carries its spec that way). A spec with an ``artifact_url`` runs
through :mod:`executor.remote`: inputs fetched and outputs pushed over HTTP.

Exit status: 0 the step succeeded, 1 it failed (result.json says why), 2 the call itself was
wrong (unreadable spec, unknown phase, phase not matching the spec) and nothing ran.
:func:`main` can also be called in a pre-forked warm worker; it leaves no global state behind.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from executor.contract import PHASES, StepSpec
from executor.runner import run_step

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
RESULT_FILE = "result.json"


class UsageError(Exception):
    """The command line or the spec file is wrong; nothing ran."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; usage: python -m executor PHASE --spec FILE --workdir DIR")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m executor", description="Run one Ontolab step.")
    parser.add_argument("phase", help=f"one of {', '.join(PHASES)}")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--spec", type=Path, help="StepSpec JSON file")
    source.add_argument("--spec-env", metavar="NAME", help="environment variable holding it")
    parser.add_argument("--workdir", required=True, type=Path, help="folder for result.json")
    args = parser.parse_args(argv)
    if args.spec is None and args.spec_env is None:
        parser.error("the following arguments are required: --spec (or --spec-env NAME)")
    return args


def read_spec(path: Path | None, phase: str, env_name: str | None = None) -> StepSpec:
    """The spec at ``path`` (or in env var ``env_name``), checked against ``phase``."""
    if phase not in PHASES:
        raise UsageError(f"unknown phase {phase!r}; use one of {', '.join(PHASES)}")
    try:
        if env_name is not None:
            spec = StepSpec.from_json(os.environ[env_name])
        else:
            assert path is not None, "argparse requires --spec or --spec-env"
            spec = StepSpec.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        path = path or Path(f"${env_name}")
        raise UsageError(
            f"cannot read spec {path} ({type(exc).__name__}: {exc}); "
            "pass the spec.json the server wrote for this step"
        ) from exc
    if spec.phase != phase:
        raise UsageError(
            f"phase argument {phase!r} does not match the spec's phase {spec.phase!r}; "
            f"run `python -m executor {spec.phase} --spec {path} …`"
        )
    return spec


@contextmanager
def logging_to_stderr() -> Iterator[None]:
    """Send the ``executor`` logger to the current stderr for the duration of one step."""
    logger = logging.getLogger("executor")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def prepare(argv: list[str] | None) -> tuple[StepSpec, Path]:
    """The spec to run and the workdir, created if needed."""
    args = parse(argv)
    spec = read_spec(args.spec, args.phase, args.spec_env)
    try:
        args.workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create workdir {args.workdir} ({exc}); pass a writable --workdir"
        ) from exc
    return spec, args.workdir


def main(argv: list[str] | None = None) -> int:
    """Run the step the arguments name; return the exit status."""
    try:
        spec, workdir = prepare(argv)
    except UsageError as exc:
        print(f"executor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help printed the usage and asked to stop
        return int(exc.code or 0)
    with logging_to_stderr():
        if spec.artifact_url:
            from executor.remote import run_remote_step

            result = run_remote_step(spec, workdir)
        else:
            result = run_step(spec, workdir)
    (workdir / RESULT_FILE).write_text(result.to_json(), encoding="utf-8")
    return EXIT_OK if result.status == "succeeded" else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
