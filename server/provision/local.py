"""Local provisioner: each step is its own OS process running the executor.

By default steps are forked by a warm parent (``python -m executor.warm``) that has already
imported pandas and scikit-learn, so a step starts in milliseconds instead of the second a
fresh interpreter needs; the child runs exactly what ``python -m executor PHASE --spec FILE
--workdir DIR`` runs. With ``warm=False`` every step is a plain subprocess of that command.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, Protocol

from executor.contract import StepSpec
from server.errors import StepError
from server.provision.base import StepOutcome, collect_result, utc_now

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class _Process(Protocol):
    """A started step: its pid, a way to wait for its exit code, a way to kill it."""

    pid: int

    def wait(self, timeout: float | None) -> int | None: ...

    def kill(self) -> None: ...


class LocalProvisioner:
    name = "local"
    supports_cancel = True
    supports_resource_limits = False

    def __init__(self, warm: bool = True) -> None:
        self._warm = _WarmParent() if warm else None
        self._lock = threading.Lock()
        self._running: dict[str, set[_Process]] = defaultdict(set)
        self._cancelled: set[str] = set()

    def run_step(self, spec: StepSpec, workdir: Path, timeout: float) -> StepOutcome:
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "spec.json").write_text(spec.to_json())
        argv = [spec.phase, "--spec", str(workdir / "spec.json"), "--workdir", str(workdir)]
        started = utc_now()
        log = workdir / "step.log"
        process = self._warm.start(argv, log) if self._warm else _Subprocess(argv, log)
        with self._lock:
            self._running[spec.run_id].add(process)
            if spec.run_id in self._cancelled:  # cancelled while the process was starting
                process.kill()
        try:
            exit_code = process.wait(timeout)
            if exit_code is None:
                process.kill()
                process.wait(None)
        finally:
            with self._lock:
                self._running[spec.run_id].discard(process)
        failure = self._failure(spec.run_id, exit_code, timeout)
        return StepOutcome(collect_result(workdir, started, failure), _worker(process.pid))

    def cancel(self, run_id: str) -> None:
        with self._lock:
            self._cancelled.add(run_id)
            for process in list(self._running.get(run_id, ())):
                process.kill()

    def close(self) -> None:
        with self._lock:
            for processes in self._running.values():
                for process in processes:
                    process.kill()
        if self._warm:
            self._warm.close()

    def _failure(self, run_id: str, exit_code: int | None, timeout: float) -> str | None:
        if run_id in self._cancelled:
            return "the run was cancelled while this step ran"
        if exit_code is None:
            return (
                f"the step ran longer than its timeout of {timeout:g} s and was stopped; "
                "raise ol:timeoutSeconds in its ol:requires if it needs longer"
            )
        if exit_code < 0:
            return f"the step process was killed by signal {-exit_code}"
        return None


def _worker(pid: int) -> str:
    return f"pid {pid} on {socket.gethostname()}"


class _Subprocess:
    """A step as ``python -m executor …`` in a fresh interpreter."""

    def __init__(self, argv: list[str], log: Path) -> None:
        try:
            with open(log, "ab") as handle:
                self._popen = subprocess.Popen(
                    [sys.executable, "-m", "executor", *argv],
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
        except OSError as exc:
            raise StepError(f"cannot start a step process: {exc}") from exc
        self.pid = self._popen.pid

    def wait(self, timeout: float | None) -> int | None:
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        self._popen.kill()


class _ForkedStep:
    """A step forked by the warm parent; its exit code arrives over the parent's pipe."""

    def __init__(self, pid: int, exited: threading.Event, code: Callable[[], int]) -> None:
        self.pid = pid
        self._exited = exited
        self._code = code

    def wait(self, timeout: float | None) -> int | None:
        return self._code() if self._exited.wait(timeout) else None

    def kill(self) -> None:
        if not self._exited.is_set():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it ended on its own meanwhile


def _single_threaded_blas(environ: Mapping[str, str]) -> dict[str, str]:
    """The warm parent's environment: one BLAS thread per step unless the user chose otherwise.

    A BLAS thread pool does not survive fork: a forked child that calls into a multi-threaded
    OpenBLAS runs ~10-40x slower (LogisticRegression on breast_cancer: 150 ms instead of 8 ms).
    Steps already run in parallel with each other, one per core.
    """
    env = dict(environ)
    for name in BLAS_THREAD_VARIABLES:
        env.setdefault(name, "1")
    return env


class _WarmParent:
    """Talks to ``python -m executor.warm`` over its stdin/stdout (JSON lines)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: dict[int, dict[str, threading.Event]] = {}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "executor.warm"],
            env=_single_threaded_blas(os.environ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None:
            raise StepError("cannot talk to the warm step parent: its pipes did not open")
        self._stdin: IO[str] = stdin
        self._reader = threading.Thread(target=self._read, args=(stdout,), daemon=True)
        self._reader.start()

    def start(self, argv: list[str], log: Path) -> _ForkedStep:
        with self._lock:
            request_id = self._next_id
            self._next_id += 1
            events = {"pid": threading.Event(), "exit": threading.Event()}
            self._events[request_id] = events
            self._replies[request_id] = {}
            try:
                self._stdin.write(json.dumps({"id": request_id, "argv": argv, "log": str(log)}))
                self._stdin.write("\n")
                self._stdin.flush()
            except (OSError, ValueError) as exc:
                raise StepError(
                    f"the warm step parent is gone ({exc}); set ONTOLAB_WARM_WORKERS=false "
                    "to start each step in a fresh interpreter"
                ) from exc
        events["pid"].wait()
        reply = self._replies[request_id]
        if "error" in reply:
            raise StepError(str(reply["error"]))
        return _ForkedStep(int(reply["pid"]), events["exit"], lambda: int(reply["exit"]))

    def _dispatch(self, message: dict[str, Any]) -> None:
        request_id = message.pop("id")
        self._replies[request_id].update(message)
        if "pid" in message or "error" in message:
            self._events[request_id]["pid"].set()
        if "exit" in message or "error" in message:
            self._events[request_id]["exit"].set()

    def close(self) -> None:
        """Stop the parent; the provisioner has already killed any step still running."""
        with self._lock:
            self._stdin.close()
            self._process.kill()
            self._process.wait()
        self._reader.join(10)

    def _read(self, stdout: IO[str]) -> None:
        with stdout:
            for line in stdout:
                self._dispatch(json.loads(line))
        for request_id, events in list(self._events.items()):  # the parent is gone: unblock all
            self._replies[request_id].setdefault("error", "the warm step parent exited")
            self._replies[request_id].setdefault("exit", -signal.SIGKILL)
            events["pid"].set()
            events["exit"].set()
