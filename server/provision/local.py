"""Local provisioner: each step is its own OS process running the executor.

By default steps are forked by a warm parent (``python -m executor.warm``) that has already
imported pandas and scikit-learn, so a step starts in milliseconds instead of the second a
fresh interpreter needs; the child runs exactly what ``python -m executor PHASE --spec FILE
--workdir DIR`` runs. With ``warm=False`` every step is a plain subprocess of that command.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Protocol

from executor.contract import StepSpec
from server.errors import StepError
from server.provision.base import StepOutcome, collect_result, utc_now
from server.provision.warm import WarmParent


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
        self._warm = _warm_parent() if warm else None
        self._lock = threading.Lock()
        self._running: dict[str, set[_Process]] = defaultdict(set)
        self._cancelled: set[str] = set()

    def run_step(self, spec: StepSpec, workdir: Path, timeout: float) -> StepOutcome:
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "spec.json").write_text(spec.to_json())
        argv = [spec.phase, "--spec", str(workdir / "spec.json"), "--workdir", str(workdir)]
        started = utc_now()
        log = workdir / "step.log"
        request = {"argv": argv, "log": str(log)}
        process: _Process = self._warm.start(request) if self._warm else _Subprocess(argv, log)
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


def _warm_parent() -> WarmParent:
    """``python -m executor.warm``, whose children run exactly what ``_Subprocess`` runs."""
    hint = "set ONTOLAB_WARM_WORKERS=false to start each step in a fresh interpreter"
    return WarmParent("executor.warm", "step", StepError, gone_hint=hint)


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
