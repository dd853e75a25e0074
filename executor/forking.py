"""The fork-server protocol: a warm parent that forks one child per JSON request.

A fresh interpreter importing pandas and scikit-learn costs about a second. A warm parent
(``python -m executor.warm``, ``python -m server.serving.model_warm``) imports them once, then reads
requests on stdin and forks one child per request, so every child is still its own process
but starts in milliseconds. ``server.provision.warm.WarmParent`` is the other end of the pipe.

Protocol, one JSON object per line:
  stdin   {"id": 7, "log": "…/step.log", …}   a request; the other fields are the parent's own
  stdout  {"id": 7, "pid": 1234, …}           the child started (plus the parent's own fields)
          {"id": 7, "exit": 0}                it ended (negative: killed by that signal)
          {"id": 7, "error": "…"}             it could not be started
The child's stdin is ``/dev/null`` and its stdout and stderr are appended to the request's
log. When stdin closes, running children are killed and the parent exits.

Like :mod:`executor.contract`, this is a protocol module: it imports nothing but the standard
library, and it is the one other module of ``executor`` the server imports (its model-server
parent is built on it). Each parent process serves one pipe, so the children and the lock
that guards stdout live at module level.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

_children: set[int] = set()
_lock = threading.Lock()  # guards stdout and _children


def serve(start: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """Answer requests from stdin until it closes; then kill the children still running.

    Args:
        start: called with each request on the main thread; forks its child with
            :func:`fork_child` and returns the reply without ``id``: ``{"pid": …, …}`` when
            the child started, ``{"error": "…; the fix"}`` when it could not.

    Returns:
        The parent's exit code.
    """
    # Keep the imported modules out of the children's garbage collections: a collection
    # touches every object, and in a forked child that copies every page it lands on.
    gc.freeze()
    for line in sys.stdin:
        if line.strip():
            request = json.loads(line)
            reply = start(request)
            _send({"id": request["id"], **reply})
            if "pid" in reply:
                args = (request["id"], reply["pid"])
                threading.Thread(target=_reap, args=args, daemon=True).start()
    with _lock:
        for pid in _children:
            os.kill(pid, signal.SIGKILL)
    return 0


def fork_child(
    log: str,
    body: Callable[[], int],
    default_signals: Iterable[signal.Signals] = (signal.SIGTERM,),
) -> int:
    """Fork a child that runs ``body`` with its output appended to ``log``.

    Args:
        log: the file the child's stdout and stderr go to.
        body: what the child does; its return value is the child's exit code.
        default_signals: signals whose default action the child gets back.

    Returns:
        The child's pid, in the parent; in the child this never returns.

    Raises:
        OSError: the fork failed.
    """
    with _lock:  # no thread writes to our stdout while we fork
        pid = os.fork()
        if pid == 0:
            _run_child(log, body, default_signals)
        _children.add(pid)
    return pid


def _run_child(
    log: str, body: Callable[[], int], default_signals: Iterable[signal.Signals]
) -> None:
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
        for number in default_signals:
            signal.signal(number, signal.SIG_DFL)
        code = body()
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


def _send(message: dict[str, Any]) -> None:
    with _lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def _reap(request_id: int, pid: int) -> None:
    _, status = os.waitpid(pid, 0)
    with _lock:
        _children.discard(pid)
    _send({"id": request_id, "exit": os.waitstatus_to_exitcode(status)})
