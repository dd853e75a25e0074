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
from pathlib import Path
from typing import Protocol

from executor.contract import StepSpec
from server.errors import StepError
from server.provision.base import BaseProvisioner, Ending
from server.provision.warm import WarmParent


class _Process(Protocol):
    """A started step: its pid, a way to wait for its exit code, a way to kill it."""

    pid: int

    def wait(self, timeout: float | None) -> int | None: ...

    def kill(self) -> None: ...


class LocalProvisioner(BaseProvisioner[_Process]):
    name = "local"
    supports_cancel = True
    supports_resource_limits = False

    def __init__(self, warm: bool = True) -> None:
        super().__init__()
        self._warm = _warm_parent() if warm else None

    def _launch(self, spec: StepSpec, workdir: Path) -> _Process:
        argv = [spec.phase, "--spec", str(workdir / "spec.json"), "--workdir", str(workdir)]
        log = workdir / "step.log"
        if self._warm:
            return self._warm.start({"argv": argv, "log": str(log)})
        return _Subprocess(argv, log)

    def _await(self, handle: _Process, spec: StepSpec, workdir: Path, timeout: float) -> Ending:
        exit_code = handle.wait(timeout)
        if exit_code is None:
            handle.kill()
            handle.wait(None)
        worker = _worker(handle.pid)
        if exit_code is not None and exit_code < 0:
            return Ending(worker, failure=f"the step process was killed by signal {-exit_code}")
        return Ending(worker, timed_out=exit_code is None)

    def _kill(self, handle: _Process) -> None:
        handle.kill()

    def _shutdown(self) -> None:
        if self._warm:
            self._warm.close()


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
