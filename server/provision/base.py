"""The Provisioner seam: how one step's process, container or job gets started.

Contract for implementers:
- ``run_step`` blocks until the step ended and returns its outcome. It never raises for a
  failing step: a crash, a kill or a timeout becomes a failed ``StepResult`` whose error says
  what happened. It raises ``StepError`` only when the step could not be started at all.
- The step's output (stdout and stderr) goes to ``workdir / "step.log"``.
- ``run_step`` is called from several threads at once, one per step running in parallel.
- ``cancel(run_id)`` stops every running step of that run; their outcomes then report it.
- Capabilities are declared as class attributes, not discovered by failure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from executor.contract import StepErrorInfo, StepResult, StepSpec


@dataclass(frozen=True)
class StepOutcome:
    result: StepResult
    worker: str  # where it ran: "pid 1234 on host", a container id, a swarm node


@runtime_checkable
class Provisioner(Protocol):
    name: str
    supports_cancel: bool
    supports_resource_limits: bool

    def run_step(self, spec: StepSpec, workdir: Path, timeout: float) -> StepOutcome: ...

    def cancel(self, run_id: str) -> None: ...

    def close(self) -> None: ...


LOG_TAIL_LINES = 40


def collect_result(workdir: Path, started_at: str, failure: str | None) -> StepResult:
    """Read the step's ``result.json``; when the step died without one, say why it failed.

    ``failure`` describes how the process ended when that was abnormal (killed, timed out,
    cancelled); it overrides whatever the step wrote, since a killed step's result is partial.
    """
    result_file = workdir / "result.json"
    tail = log_tail(workdir / "step.log")
    if failure is None and result_file.is_file():
        result = StepResult.from_json(result_file.read_text())
        return replace(result, log_tail=tail)
    if failure is None:
        failure = "the step ended without writing result.json (it crashed; see its log)"
    return StepResult(
        status="failed",
        started_at=started_at,
        ended_at=utc_now(),
        log_tail=tail,
        error=StepErrorInfo(type="StepAborted", message=failure),
    )


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    if not path.is_file():
        return ""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - 16384))
        text = handle.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def utc_now() -> str:
    return datetime.now(UTC).isoformat()
