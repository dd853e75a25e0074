"""``python -m executor.warm``: a warm parent that forks one executor process per step.

This parent imports the executor once; each request then forks a child that runs exactly
what ``python -m executor PHASE --spec FILE --workdir DIR`` runs, with its output in the
step's log. The pipe protocol is :mod:`executor.forking`'s; a request carries
``"argv": ["build", "--spec", "…", "--workdir", "…"]`` and the reply only the ``pid``.
"""

from __future__ import annotations

import sys
from functools import partial
from typing import Any

from executor import forking
from executor.__main__ import main as run_executor


def _start(request: dict[str, Any]) -> dict[str, Any]:
    body = partial(run_executor, list(request["argv"]))
    try:
        return {"pid": forking.fork_child(str(request["log"]), body)}
    except OSError as exc:
        return {"error": f"cannot fork a step process: {exc}"}


def main() -> int:
    return forking.serve(_start)


if __name__ == "__main__":
    sys.exit(main())
