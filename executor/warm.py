"""``python -m executor.warm``: a warm parent that forks one executor process per step.

A fresh interpreter importing pandas and scikit-learn costs about a second. This parent
imports the executor once; each request then forks a child that runs exactly what
``python -m executor PHASE --spec FILE --workdir DIR`` runs, with its output in the step's
log, so every step is still its own process but starts in milliseconds.

Protocol, one JSON object per line:
  stdin   {"id": 7, "argv": ["build", "--spec", "…", "--workdir", "…"], "log": "…/step.log"}
  stdout  {"id": 7, "pid": 1234}       the child started
          {"id": 7, "exit": 0}         it ended (negative: killed by that signal)
          {"id": 7, "error": "…"}      it could not be started
When stdin closes, running children are killed and the parent exits.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
import traceback
from typing import Any

from executor.__main__ import main as run_executor

_children: set[int] = set()
_lock = threading.Lock()


def _send(message: dict[str, Any]) -> None:
    with _lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def _child(argv: list[str], log: str) -> None:
    """In the forked child: become the executor with stdout and stderr in the log. Never returns."""
    code = 1
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        # Fresh stream objects: the parent's may hold locks taken by its other threads.
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        code = run_executor(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _reap(request_id: int, pid: int) -> None:
    _, status = os.waitpid(pid, 0)
    with _lock:
        _children.discard(pid)
    _send({"id": request_id, "exit": os.waitstatus_to_exitcode(status)})


def _start(request: dict[str, Any]) -> None:
    request_id = request["id"]
    try:
        with _lock:  # no thread writes to our stdout while we fork
            pid = os.fork()
            if pid == 0:
                _child(list(request["argv"]), str(request["log"]))
            _children.add(pid)
    except OSError as exc:
        _send({"id": request_id, "error": f"cannot fork a step process: {exc}"})
        return
    _send({"id": request_id, "pid": pid})
    threading.Thread(target=_reap, args=(request_id, pid), daemon=True).start()


def main() -> int:
    # Keep the imported modules out of the children's garbage collections: a collection
    # touches every object, and in a forked child that copies every page it lands on.
    gc.freeze()
    for line in sys.stdin:
        if line.strip():
            _start(json.loads(line))
    with _lock:
        for pid in _children:
            os.kill(pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
