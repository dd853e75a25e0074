"""Tracking from any code: ``ontolab.start_run`` records a run the platform did not execute.

    import ontolab

    with ontolab.start_run(experiment="churn") as run:
        run.log_params({"lr": 0.1, "depth": 3})
        for step in range(100):
            run.log_metric("loss", 1 / (step + 1), step=step)
        run.log_artifact("report.html")
        run.log_model(fitted_sklearn_model, name="churn-forest")

A log call only appends to an in-memory buffer (it never makes a request): a background
thread sends the buffer as one batch about every second (``interval``), or sooner once it
holds ``max_batch`` items, each batch with a ``batch_id`` so a resend adds nothing. Bad input
raises at the call: a metric that is not a number (ValueError naming the key), an artifact path
that does not exist (FileNotFoundError naming it), anything logged after the run ended
(RunEnded). A refusal of the platform (a param logged again with another value: 400; a run
that ended: 409) is raised by the next log call, ``flush`` or ``end`` as the SDK's ``ApiError``
with the problem's title and detail.

When the platform is unreachable, what was not sent goes to a spool file (``spool_dir``,
default ``ONTOLAB_SPOOL`` or ``~/.ontolab/spool``) and the run keeps trying, in order, with a
backoff capped at ``MAX_BACKOFF`` seconds, for however long the outage lasts: nothing is dropped
for taking long. ``end`` (and leaving the ``with`` block) waits at most ``flush_timeout``
seconds; what is still unsent stays in the spool, and the next ``start_run``, ``Client`` or
``ontolab.flush_spool()`` sends it.
"""

from __future__ import annotations

import atexit
import io
import logging
import numbers
import os
import threading
import time
import uuid
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from ontolab import _spool
from ontolab._http import Transport
from ontolab.errors import ApiError, OntolabError

log = logging.getLogger("ontolab.tracking")

DEFAULT_URL = "http://127.0.0.1:3000"
MAX_BACKOFF = 5.0  # seconds between attempts while the platform is away, at most
_LIVE: weakref.WeakSet[Run] = weakref.WeakSet()


class RunEnded(OntolabError, RuntimeError):
    """Something was logged to a run after it ended."""


def platform_url(url: str | None = None) -> str:
    """``url``, else ``ONTOLAB_URL``, else http://127.0.0.1:3000."""
    return (url or os.environ.get("ONTOLAB_URL") or DEFAULT_URL).rstrip("/")


def _transport(url: str, token: str | None = None, timeout: float = 10.0) -> Transport:
    # No retries inside the session: the run's sender retries itself, without ever blocking
    # the caller, and spools while it waits.
    return Transport(url, token=token, timeout=timeout, retries=0, backoff=0.0)


def flush_spool(
    url: str | None = None, *, spool_dir: str | Path | None = None, token: str | None = None
) -> int:
    """Send what earlier processes left in the spool for this platform; the operations sent.

    Never raises for an unreachable platform: what is not sent stays spooled."""
    transport = _transport(platform_url(url), token)
    try:
        return _spool.replay(transport, Path(spool_dir) if spool_dir else None)
    finally:
        transport.close()


def start_run(
    experiment: str,
    *,
    url: str | None = None,
    name: str | None = None,
    tags: dict[str, Any] | None = None,
    token: str | None = None,
    spool_dir: str | Path | None = None,
    interval: float = 1.0,
    max_batch: int = 1000,
    flush_timeout: float = 30.0,
) -> Run:
    """Start a run of ``experiment`` (created on the platform if absent) and return it.

    Args:
        experiment: the experiment's name.
        url: the platform (default ``ONTOLAB_URL``, else http://127.0.0.1:3000).
        name: the run's display name.
        tags: tags to start with.
        token: sent as ``Authorization: Bearer TOKEN``.
        spool_dir: where unsent data waits while the platform is away.
        interval: seconds between batches.
        max_batch: a batch is sent at once when the buffer holds this many items.
        flush_timeout: how long ``end`` waits for the platform before leaving the rest spooled.
    """
    if not isinstance(experiment, str) or not experiment.strip():
        raise ValueError(f"experiment {experiment!r} is empty; name it, e.g. 'churn'")
    run = Run(
        platform_url(url),
        experiment,
        name=name,
        tags={str(k): str(v) for k, v in (tags or {}).items()},
        token=token,
        spool_dir=Path(spool_dir) if spool_dir else _spool.default_spool_dir(),
        interval=interval,
        max_batch=max_batch,
        flush_timeout=flush_timeout,
    )
    run._begin()
    return run


class Run:
    """A run tracked from this process; make one with ``ontolab.start_run``."""

    def __init__(
        self,
        url: str,
        experiment: str,
        *,
        name: str | None,
        tags: dict[str, str],
        token: str | None,
        spool_dir: Path,
        interval: float,
        max_batch: int,
        flush_timeout: float,
    ) -> None:
        self.run_id = uuid.uuid4().hex  # made here, so the run exists even while offline
        self.experiment, self.name, self.url = experiment, name, url
        self.status = "running"
        self._tags, self._token, self._spool_dir = tags, token, spool_dir
        self._interval, self._max_batch, self._flush_timeout = interval, max_batch, flush_timeout
        self._http = _transport(url, token)
        self._spool = _spool.Spool(spool_dir, self.run_id, url)
        self._cond = threading.Condition()
        self._params: dict[str, str] = {}
        self._batch_tags: dict[str, str] = {}
        self._metrics: list[dict[str, Any]] = []
        self._outbox: list[_spool.Op] = []  # in order; the sender's, under _cond
        self._seq = 0  # numbers the operations, so the spool knows when the outbox changed
        self._error: ApiError | None = None
        self._ended = False
        self._closing = False
        self._stopped = False
        self._wake = False
        self._thread = threading.Thread(target=self._send_loop, name=f"ontolab-run-{self.run_id}")
        self._thread.daemon = True

    # --- logging: buffer only -----------------------------------------------------------

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: dict[str, Any]) -> None:
        self._buffer_texts("param", params)

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        """Buffer one value of metric ``key`` (at ``step``, default 0); no request is made."""
        self._buffer_metrics([_point(key, value, step)])

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self._buffer_metrics([_point(k, v, step) for k, v in metrics.items()])

    def _buffer_metrics(self, points: list[dict[str, Any]]) -> None:
        """Buffer ``points``; a full batch wakes the sender."""
        with self._cond:
            self._check_open()
            self._metrics.extend(points)
            if len(self._metrics) >= self._max_batch:
                self._wake = True
                self._cond.notify()

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        self._buffer_texts("tag", tags)

    def _buffer_texts(self, kind: Literal["param", "tag"], values: dict[str, Any]) -> None:
        """Buffer params or tags as text, each key checked. The buffer is looked up under the
        lock: draining replaces it."""
        with self._cond:
            self._check_open()
            buffer = self._params if kind == "param" else self._batch_tags
            buffer.update({_key(kind, k): str(v) for k, v in values.items()})

    def log_artifact(self, path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Send the file at ``path`` into the run's folder ``artifact_path`` (default: the top),
        under its own name."""
        source = Path(path)
        if not source.is_file():
            raise FileNotFoundError(f"artifact {str(path)!r} does not exist or is not a file")
        # As MLflow's: artifact_path is the folder the file goes in.
        target = f"{artifact_path.strip('/')}/{source.name}" if artifact_path else source.name
        self._enqueue({"op": "artifact", "path": target, "source": str(source.resolve())})

    def log_model(self, model: Any, name: str) -> None:
        """Send a fitted scikit-learn model; it is registered as the next version of ``name``
        and deploys like a model an Ontolab build step made."""
        import joblib  # scikit-learn's own dependency: only needed by who logs a model

        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        self._enqueue({"op": "model", "name": name, "data": buffer.getvalue()})

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything buffered now; wait at most ``timeout`` s (default ``flush_timeout``).
        True when all was sent; raises the platform's refusal, if any."""
        with self._cond:
            self._drain_buffer()
            self._wake = True
            self._cond.notify()
        done = self._wait_sent(self._flush_timeout if timeout is None else timeout)
        self._raise_refusal()
        return done

    def end(self, status: str = "succeeded") -> None:
        """End the run (succeeded, failed or cancelled) and send what is left, waiting at most
        ``flush_timeout`` s; the rest stays in the spool for the next process. Ending it again
        changes nothing."""
        with self._cond:
            if self._ended:
                return
            self._drain_buffer()
            self._push({"op": "end", "status": status})
            self._ended, self.status = True, status
            self._closing = True
            self._cond.notify()
        sent = self._wait_sent(self._flush_timeout)
        with self._cond:
            self._stopped = True  # the sender ends after the request it is making, if any
            self._cond.notify_all()
        self._thread.join(timeout=15)  # past one request's timeout (10 s)
        with self._cond:
            if not sent and self._outbox:
                self._spool.save(self._outbox)
                log.warning(
                    "run %s: the platform at %s did not take everything within %g s; the rest "
                    "is in %s and is sent by the next start_run, Client or ontolab.flush_spool()",
                    self.run_id,
                    self.url,
                    self._flush_timeout,
                    self._spool.folder,
                )
            self._spool.release()  # a replay, in this process too, may now send it
        _LIVE.discard(self)
        self._http.close()
        self._raise_refusal()

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        status = "succeeded" if kind is None else "failed"
        if kind is None:
            self.end(status)
            return
        try:
            self.end(status)
        except ApiError:
            log.exception("run %s: ending it failed", self.run_id)  # the user's error wins

    def __repr__(self) -> str:
        return f"Run({self.run_id!r}, experiment={self.experiment!r}, status={self.status!r})"

    # --- the sender ---------------------------------------------------------------------

    def _begin(self) -> None:
        try:
            _spool.replay(self._http, self._spool_dir)  # earlier processes' runs first
        except OntolabError:
            pass
        body = {"experiment": self.experiment, "run_id": self.run_id, "tags": self._tags}
        if self.name:
            body["name"] = self.name
        try:
            _spool.send(self._http, self.run_id, {"op": "start", "body": body})
        except _spool.Transient:
            self._push({"op": "start", "body": body})  # sent when the platform is back
            self._spool.save(self._outbox)
        _LIVE.add(self)
        self._thread.start()

    def _enqueue(self, op: _spool.Op) -> None:
        with self._cond:
            self._check_open()
            self._drain_buffer()  # what was logged before goes first
            self._push(op)
            self._wake = True
            self._cond.notify()

    def _push(self, op: _spool.Op) -> None:
        self._seq += 1
        op["seq"] = self._seq
        self._outbox.append(op)

    def _drain_buffer(self) -> None:
        """Move the buffer into the outbox as batches (under ``_cond``)."""
        if not (self._params or self._batch_tags or self._metrics):
            return
        metrics, self._metrics = self._metrics, []
        first = True
        for start in range(0, max(len(metrics), 1), self._max_batch):
            batch: _spool.Op = {
                "op": "batch",
                "batch_id": uuid.uuid4().hex,
                "metrics": metrics[start : start + self._max_batch],
                "params": self._params if first else {},
                "tags": self._batch_tags if first else {},
            }
            self._push(batch)
            first = False
        self._params, self._batch_tags = {}, {}

    def _send_loop(self) -> None:
        backoff = 0.0
        while True:
            with self._cond:
                wait = backoff or self._interval
                if not self._closing:
                    self._cond.wait_for(lambda: self._wake or self._closing, timeout=wait)
                if self._stopped:
                    return
                self._wake = False
                self._drain_buffer()
                pending = list(self._outbox)
                closing = self._closing
            sent, transient = self._send_pending(pending)
            with self._cond:
                if self._stopped:  # end() gave up waiting: it spools what is left
                    del self._outbox[:sent]
                    self._cond.notify_all()
                    return
                del self._outbox[:sent]
                if transient:
                    self._spool.save(self._outbox)
                elif not self._outbox:
                    self._spool.clear()
                self._cond.notify_all()
                if closing and not self._outbox:
                    return
            backoff = min(max(backoff * 2, 0.5), MAX_BACKOFF) if transient else 0.0
            if closing and transient:
                with self._cond:
                    self._cond.wait_for(lambda: self._stopped, timeout=backoff)
                    if self._stopped:
                        return

    def _send_pending(self, pending: list[_spool.Op]) -> tuple[int, bool]:
        """Send in order; (how many went, whether it stopped because the platform is away)."""
        for number, op in enumerate(pending):
            try:
                _spool.send(self._http, self.run_id, op)
            except _spool.Transient:
                return number, True
            except ApiError as refused:
                with self._cond:
                    self._error = self._error or refused
                log.warning("run %s: the platform refused a %s: %s", self.run_id, op["op"], refused)
        return len(pending), False

    def _wait_sent(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            return self._cond.wait_for(
                lambda: not (self._outbox or self._metrics or self._params or self._batch_tags),
                timeout=max(deadline - time.monotonic(), 0),
            )

    def _check_open(self) -> None:
        if self._ended:
            raise RunEnded(
                f"run {self.run_id} ended ({self.status}); start a new run with "
                "ontolab.start_run(...) to log more"
            )
        self._raise_refusal()

    def _raise_refusal(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _save_on_exit(self) -> None:
        """At interpreter exit, keep what a run that was never ended did not send."""
        with self._cond:
            self._drain_buffer()
            if self._outbox:
                self._spool.save(self._outbox)


def _key(kind: str, key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"{kind} key {key!r} is not a non-empty string")
    return key


def _point(key: str, value: Any, step: int | None) -> dict[str, Any]:
    _key("metric", key)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"metric {key!r} has value {value!r}, which is not a number; log an int or a float"
        )
    if step is not None and (isinstance(step, bool) or not isinstance(step, numbers.Integral)):
        raise ValueError(f"metric {key!r} has step {step!r}, which is not an integer")
    number = float(value)
    return {
        "key": key,
        "value": number if number == number and abs(number) != float("inf") else str(number),
        "step": int(step or 0),
        "timestamp": int(time.time() * 1000),
    }


@atexit.register
def _spool_unfinished() -> None:
    for run in list(_LIVE):
        try:
            run._save_on_exit()
        except Exception:  # exiting: keep going for the other runs
            log.exception("run %s: spooling what was not sent failed", run.run_id)
