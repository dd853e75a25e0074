"""``python -m server.serving.model_warm``: a warm parent forking one model server per deployment.

A fresh interpreter importing numpy, pandas and scikit-learn costs over a second. This parent
imports them (and the model server) once and exercises a small pipeline so lazily imported
parts are loaded too; each request then binds the deployment's port, forks a child that loads
the model and serves it, and answers with the child's pid in milliseconds.

The pipe protocol is :mod:`executor.forking`'s. A request carries
  {"artifact": "…/ab/cd…", "port": 3104 | null, "port_start": 3100, "exclude": [3101],
   "host": "127.0.0.1", "threads": 8, "info": {…}, "prediction_log": {…} | null}
and the reply the bound ``port`` next to the ``pid``. ``port`` is tried first (a restored
deployment keeps its port when it is free), then the first free port from ``port_start`` up
that is not in ``exclude``.
"""

from __future__ import annotations

import signal
import socket
import sys
from functools import partial
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

from executor import forking
from server.serving.model_server import bind, build_app, serve

PORT_RANGE = 1000


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


def _serve(request: dict[str, Any], sock: socket.socket) -> int:
    """In the forked child: load the model and serve it until the child is stopped."""
    info = {str(k): str(v) for k, v in dict(request.get("info", {})).items()}
    app = build_app(
        Path(str(request["artifact"])), info, request.get("prediction_log"), request.get("access")
    )
    serve(app, sock, int(request.get("threads", 4)))
    return 0


def _start(request: dict[str, Any]) -> dict[str, Any]:
    try:
        sock = _bind(request)
    except OSError as exc:
        return {"error": f"cannot bind a port for the model server: {exc}"}
    port = int(sock.getsockname()[1])
    try:
        body = partial(_serve, request, sock)
        pid = forking.fork_child(str(request["log"]), body, (signal.SIGTERM, signal.SIGINT))
    except OSError as exc:
        return {"error": f"cannot fork a model server: {exc}"}
    finally:
        sock.close()  # the child holds its own copy (fork_child never returns in the child)
    return {"pid": pid, "port": port}


def main() -> int:
    _warm_up()
    return forking.serve(_start)


if __name__ == "__main__":
    sys.exit(main())
