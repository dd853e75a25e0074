"""Local provisioner: each step is its own OS process running ``python -m executor``.

A fresh interpreter importing pandas and scikit-learn costs about a second, so by default
steps are forked from a warm forkserver whose parent has already imported the executor. The
forked child then runs the executor's ``__main__`` exactly as ``python -m executor PHASE
--spec FILE --workdir DIR`` would, with its output redirected to the step's log. With
``warm=False`` every step is a plain ``subprocess`` of that command.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
import runpy
import socket
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from executor.contract import StepSpec
from server.errors import StepError
from server.provision.base import StepOutcome, collect_result, utc_now

# What the warm parent imports once, so forked steps start in milliseconds.
PRELOAD = ["executor.__main__", "executor.phases"]


_Wait = Callable[[float | None], int | None]


class _Process(Protocol):
    @property
    def pid(self) -> int | None: ...

    def kill(self) -> None: ...


class LocalProvisioner:
    name = "local"
    supports_cancel = True
    supports_resource_limits = False

    def __init__(self, warm: bool = True) -> None:
        self._context: multiprocessing.context.ForkServerContext | None = None
        if warm:
            self._context = multiprocessing.get_context("forkserver")
            self._context.set_forkserver_preload(PRELOAD)
            # Start the server now, so its imports overlap with the caller's own work.
            threading.Thread(target=multiprocessing.forkserver.ensure_running, daemon=True).start()
        self._lock = threading.Lock()
        self._running: dict[str, set[_Process]] = defaultdict(set)
        self._cancelled: set[str] = set()

    def run_step(self, spec: StepSpec, workdir: Path, timeout: float) -> StepOutcome:
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "spec.json").write_text(spec.to_json())
        argv = [spec.phase, "--spec", str(workdir / "spec.json"), "--workdir", str(workdir)]
        started = utc_now()
        log_path = workdir / "step.log"
        process, wait = self._start(argv, log_path)
        with self._lock:
            self._running[spec.run_id].add(process)
        try:
            exit_code = wait(timeout)
            if exit_code is None:
                process.kill()
                wait(None)
        finally:
            with self._lock:
                self._running[spec.run_id].discard(process)
        failure = self._failure(spec.run_id, exit_code, timeout)
        worker = f"pid {process.pid} on {socket.gethostname()}"
        return StepOutcome(collect_result(workdir, started, failure), worker)

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

    def _start(self, argv: list[str], log_path: Path) -> tuple[_Process, _Wait]:
        try:
            if self._context is None:
                return _start_subprocess(argv, log_path)
            with self._lock:  # one fork request to the server at a time
                child = self._context.Process(target=_run_executor, args=(argv, str(log_path)))
                child.start()
            return child, lambda timeout: _join(child, timeout)
        except OSError as exc:
            raise StepError(f"cannot start a step process: {exc}") from exc

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


def _start_subprocess(argv: list[str], log_path: Path) -> tuple[_Process, _Wait]:
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "executor", *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def wait(timeout: float | None) -> int | None:
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    return process, wait


def _join(child: multiprocessing.process.BaseProcess, timeout: float | None) -> int | None:
    child.join(timeout)
    return child.exitcode


def _run_executor(argv: list[str], log_path: str) -> None:
    """Runs in the forked child: become ``python -m executor ARGV`` with output to the log."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.argv = ["executor", *argv]
    runpy.run_module("executor", run_name="__main__", alter_sys=True)
