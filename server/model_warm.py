"""``python -m server.model_warm``: a warm parent that forks one model server per deployment.

A fresh interpreter importing numpy, pandas and scikit-learn costs over a second. This parent
imports them (and the model server) once and exercises a small pipeline so lazily imported
parts are loaded too; each request then binds the deployment's port, forks a child that loads
the model and serves it, and answers with the child's pid in milliseconds.

Protocol, one JSON object per line:
  stdin   {"id": 3, "artifact": "…/ab/cd…", "port": 3104 | null, "port_start": 3100,
           "exclude": [3101], "host": "127.0.0.1", "threads": 8, "info": {…}, "log": "…"}
  stdout  {"id": 3, "pid": 1234, "port": 3104}   the child started, its socket is bound
          {"id": 3, "exit": 0}                    it ended (negative: killed by that signal)
          {"id": 3, "error": "…"}                 it could not be started
``port`` is tried first (a restored deployment keeps its port when it is free), then the first
free port from ``port_start`` up that is not in ``exclude``. When stdin closes, running
children are killed and the parent exits.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn.compose
import sklearn.ensemble
import sklearn.impute
import sklearn.linear_model
import sklearn.naive_bayes
import sklearn.neighbors
import sklearn.pipeline
import sklearn.preprocessing
import sklearn.svm
import sklearn.tree  # noqa: F401  (imported so forked model servers need not)
import waitress.server  # noqa: F401

from server.model_server import bind, build_app, serve

PORT_RANGE = 1000
_children: set[int] = set()
_lock = threading.Lock()


def _send(message: dict[str, Any]) -> None:
    with _lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def _warm_up() -> None:
    """Fit and predict once so what scikit-learn imports lazily is already in memory."""
    frame = pd.DataFrame({"a": np.arange(8.0), "b": np.arange(8.0) % 3})
    pipeline = sklearn.pipeline.Pipeline(
        [
            ("scale", sklearn.preprocessing.StandardScaler()),
            ("model", sklearn.linear_model.LogisticRegression()),
        ]
    )
    pipeline.fit(frame, np.arange(8) % 2).predict(frame.iloc[:1])


def _bind(request: dict[str, Any]) -> socket.socket:
    host = str(request.get("host") or "127.0.0.1")
    start = int(request["port_start"])
    exclude = {int(port) for port in request.get("exclude", ())}
    preferred = request.get("port")
    candidates = [int(preferred)] if preferred else []
    candidates += [p for p in range(start, start + PORT_RANGE) if p not in exclude]
    for port in candidates:
        try:
            return bind(host, port)
        except OSError:
            continue
    raise OSError(f"no free port on {host} in {start}-{start + PORT_RANGE - 1}")


def _child(request: dict[str, Any], sock: socket.socket) -> None:
    """In the forked child: load the model and serve it. Never returns."""
    code = 1
    try:
        fd = os.open(str(request["log"]), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
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
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        info = {str(k): str(v) for k, v in dict(request.get("info", {})).items()}
        app = build_app(Path(str(request["artifact"])), info)
        serve(app, sock, int(request.get("threads", 4)))
        code = 0
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
        sock = _bind(request)
    except OSError as exc:
        _send({"id": request_id, "error": f"cannot bind a port for the model server: {exc}"})
        return
    port = int(sock.getsockname()[1])
    try:
        with _lock:  # no thread writes to our stdout while we fork
            pid = os.fork()
            if pid == 0:
                _child(request, sock)
            _children.add(pid)
    except OSError as exc:
        _send({"id": request_id, "error": f"cannot fork a model server: {exc}"})
        return
    finally:
        sock.close()  # the child holds its own copy (in the child, _child never returns)
    _send({"id": request_id, "pid": pid, "port": port})
    threading.Thread(target=_reap, args=(request_id, pid), daemon=True).start()


def main() -> int:
    _warm_up()
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
