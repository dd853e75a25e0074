"""The Provisioner seam: how one step's process, container or job gets started.

Contract for implementers:
- ``run_step`` blocks until the step ended and returns its outcome. It never raises for a
  failing step: a crash, a kill or a timeout becomes a failed ``StepResult`` whose error says
  what happened. It raises ``StepError`` only when the step could not be started at all.
- The step's output (stdout and stderr) goes to ``workdir / "step.log"``.
- ``run_step`` is called from several threads at once, one per step running in parallel.
- ``cancel(run_id)`` stops every running step of that run; their outcomes then report it.
  ``end_run(run_id)``, called once the run has ended, lets the provisioner forget it.
- Capabilities are declared as class attributes, not discovered by failure.

:class:`BaseProvisioner` is the skeleton every backend here is drawn on: it owns the
bookkeeping (lock, running steps, cancellation, close), the workdir and spec, and reading the
result back; a backend supplies how a step is launched, awaited and killed.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from executor.contract import (
    ARTIFACT_TOKEN_ENV,
    StepErrorInfo,
    StepResult,
    StepSpec,
    artifact_path,
    sha256_of,
)
from server.graph.clock import utc_now
from server.provision.remote_trials import restore_trials


@dataclass(frozen=True)
class StepOutcome:
    result: StepResult
    worker: str  # where it ran: "pid 1234 on host", a container id, a swarm node


@runtime_checkable
class Provisioner(Protocol):
    name: str
    supports_cancel: bool
    supports_resource_limits: bool
    credentials: TaskCredentials | None  # set by the platform when it checks requests

    def run_step(self, spec: StepSpec, workdir: Path, timeout: float) -> StepOutcome: ...

    def cancel(self, run_id: str) -> None: ...

    def end_run(self, run_id: str) -> None: ...

    def close(self) -> None: ...


class TaskCredentials(Protocol):
    """Issues the token a step that reaches the platform over HTTP sends with its artifact
    requests (``ARTIFACT_TOKEN_ENV``), where the platform checks requests (auth on).

    Implemented by ``server.auth.task_tokens.TaskTokens``; must be thread-safe (steps of many
    runs start and end at once). A token may only push artifacts and read the step's inputs.
    """

    def issue(self, spec: StepSpec, seconds: float) -> str: ...

    def revoke(self, token: str) -> None: ...

    def revoke_run(self, run_id: str) -> None: ...


@dataclass(frozen=True)
class Ending:
    """How a launched step ended, as its backend saw it.

    Attributes:
        worker: where it ran, for the step run's ``ol:workerId``.
        timed_out: it still ran after its timeout (the backend has stopped it).
        failure: how it ended abnormally (killed, out of memory), the fix included; None
            when it ended on its own, successful or not (its result says which).
        facts: what the backend learned about the step that the step cannot know itself
            (the image a container step's command ran: ``{"image": {...}}``), added to its
            result's summary.
    """

    worker: str
    timed_out: bool = False
    failure: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)


Handle = TypeVar("Handle")


class BaseProvisioner(ABC, Generic[Handle]):
    """A provisioner whose backend only launches, awaits and kills a step (its ``Handle``).

    Thread-safe. Runs each step as: write ``spec.json`` into the workdir, launch, track the
    handle under its run (killing it at once when the run was cancelled meanwhile), await its
    end, release it, then read its ``StepResult`` back. A cancelled run's mark is kept until
    ``end_run``, so a step of it that was starting while it was cancelled is stopped too.

    Args:
        artifact_url: for a backend whose steps do not see the artifact store (a swarm
            node): the platform's artifact API. Each spec then carries it, and the result is
            read back from the artifact its step pushed (checked against its checksum), and
            an AutoML step's finished trials from the marked lines of its log, whichever way
            it ended (``server.provision.remote_trials``).
    """

    name: str
    supports_cancel: bool = True
    supports_resource_limits: bool = False
    #: Runs ol:ContainerStep (the author's image and command); the scheduler refuses such a
    #: step before the run starts under a provisioner without it.
    supports_container_steps: bool = False
    #: How a step past its timeout or of a cancelled run was stopped, for its error message.
    stopped_how: str = "was stopped"
    #: Appended to "the run was cancelled while this step ran".
    cancelled_how: str = ""
    #: Set by the platform when it checks requests: a backend whose steps use the artifact
    #: API then hands each step a token of its own (``_task_env``).
    credentials: TaskCredentials | None = None

    def __init__(self, artifact_url: str | None = None) -> None:
        self._artifact_url = artifact_url
        self._tokens: dict[tuple[str, str], str] = {}  # (run id, step id) → its task token
        self._lock = threading.Lock()  # guards the tables below
        self._running: dict[str, set[Handle]] = {}  # run id → its steps launched, not ended
        self._cancelled: set[str] = set()  # runs cancelled and not ended yet

    # -- what a backend supplies ------------------------------------------------------------

    @abstractmethod
    def _launch(self, spec: StepSpec, workdir: Path) -> Handle:
        """Start the step; raise ``StepError`` (with the fix) when it cannot start."""

    @abstractmethod
    def _await(self, handle: Handle, spec: StepSpec, workdir: Path, timeout: float) -> Ending:
        """Wait until the step ended (stopping it after ``timeout`` seconds) and say how;
        its output must then be in ``workdir / "step.log"``."""

    @abstractmethod
    def _kill(self, handle: Handle) -> None:
        """Stop the step now; never raises (it may have ended meanwhile)."""

    def _release(self, handle: Handle) -> None:
        """Free what the step left behind once it ended (a container, a service)."""

    def _shutdown(self) -> None:
        """Free what the backend holds (a client, a warm parent), after every step was killed."""

    # -- the skeleton -----------------------------------------------------------------------

    def run_step(self, spec: StepSpec, workdir: Path, timeout: float) -> StepOutcome:
        spec = self._prepare(spec, workdir)
        started = utc_now()
        self._issue(spec, timeout)
        try:
            handle = self._launch(spec, workdir)
            self._track(spec.run_id, handle)
            try:
                ending = self._await(handle, spec, workdir, timeout)
            finally:
                self._untrack(spec.run_id, handle)
                self._release(handle)
        finally:
            self._revoke(spec)  # the step ended: its token is worth nothing any more
        failure = self._failure(spec.run_id, ending, timeout)
        if self._artifact_url:
            # The workdir is not the step's: what it left there comes back from its log.
            restore_trials(spec, workdir)
        if failure is None and self._artifact_url:
            fetch_pushed_result(spec.artifact_root, workdir)
        result = collect_result(workdir, started, failure)
        if ending.facts:
            result = replace(result, summary={**result.summary, **ending.facts})
        return StepOutcome(result, ending.worker)

    def cancel(self, run_id: str) -> None:
        with self._lock:
            self._cancelled.add(run_id)
            handles = list(self._running.get(run_id, ()))
        for handle in handles:
            self._kill(handle)

    def end_run(self, run_id: str) -> None:
        """Forget ``run_id`` (its cancellation) and revoke its task tokens: call once the run
        has ended."""
        with self._lock:
            self._cancelled.discard(run_id)
        if self.credentials is not None and self._artifact_url:
            self.credentials.revoke_run(run_id)

    def _issue(self, spec: StepSpec, timeout: float) -> None:
        """Give the step a token of its own, when it uses the artifact API and the platform
        checks requests."""
        if self.credentials is None or not self._artifact_url:
            return
        token = self.credentials.issue(spec, timeout)
        with self._lock:
            self._tokens[(spec.run_id, spec.step_id)] = token

    def _revoke(self, spec: StepSpec) -> None:
        with self._lock:
            token = self._tokens.pop((spec.run_id, spec.step_id), None)
        if token is not None and self.credentials is not None:
            self.credentials.revoke(token)

    def _task_env(self, spec: StepSpec) -> dict[str, str]:
        """The environment that carries the step's token to the executor (none without)."""
        with self._lock:
            token = self._tokens.get((spec.run_id, spec.step_id))
        return {ARTIFACT_TOKEN_ENV: token} if token else {}

    def close(self) -> None:
        with self._lock:
            handles = [handle for running in self._running.values() for handle in running]
        for handle in handles:
            self._kill(handle)
        self._shutdown()

    def tracked_runs(self) -> set[str]:
        """The runs this provisioner holds state for: with a step running, or cancelled and
        not ended yet (what ``end_run`` prunes)."""
        with self._lock:
            return set(self._running) | self._cancelled

    def _prepare(self, spec: StepSpec, workdir: Path) -> StepSpec:
        """Create the workdir and write the spec the step reads into it."""
        if self._artifact_url:
            spec = replace(spec, artifact_url=self._artifact_url)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "spec.json").write_text(spec.to_json())
        return spec

    def _track(self, run_id: str, handle: Handle) -> None:
        with self._lock:
            self._running.setdefault(run_id, set()).add(handle)
            cancelled = run_id in self._cancelled
        if cancelled:  # cancelled while the step was starting
            self._kill(handle)

    def _untrack(self, run_id: str, handle: Handle) -> None:
        with self._lock:
            running = self._running.get(run_id)
            if running is not None:
                running.discard(handle)
                if not running:
                    del self._running[run_id]

    def _is_cancelled(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._cancelled

    def _failure(self, run_id: str, ending: Ending, timeout: float) -> str | None:
        if self._is_cancelled(run_id):
            return f"the run was cancelled while this step ran{self.cancelled_how}"
        if ending.timed_out:
            return (
                f"the step ran longer than its timeout of {timeout:g} s and {self.stopped_how}; "
                "raise ol:timeoutSeconds in its ol:requires if it needs longer"
            )
        return ending.failure


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


def fetch_pushed_result(artifact_root: str, workdir: Path) -> None:
    """Copy the result a remote step pushed (named by the marker in its log) to result.json."""
    # Imported here: executor.remote loads the executor's runner (pandas), and importing this
    # package stays cheap (see server.provision).
    from executor.remote import RESULT_MARKER

    text = (workdir / "step.log").read_text(errors="replace")
    shas = [
        line.split(RESULT_MARKER, 1)[1].strip()
        for line in text.splitlines()
        if RESULT_MARKER in line
    ]
    if not shas:
        return  # collect_result then says the step ended without a result
    sha = shas[-1][:64]
    path = artifact_path(artifact_root, sha)
    # The push was checked against its checksum; the file is checked again before it is
    # trusted, like every artifact read back from disk (a damaged one: no result).
    if path.is_file() and sha256_of(path) == sha:
        (workdir / "result.json").write_bytes(path.read_bytes())


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    if not path.is_file():
        return ""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - 16384))
        text = handle.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


#: The limits of ``ol:requires`` a provisioner without ``supports_resource_limits`` ignores.
RESOURCE_LIMITS = (("cpus", "ol:cpus"), ("memory", "ol:memory"))


def unenforced_limits(
    provisioner: Provisioner, resources: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """A warning for each step that sets limits ``provisioner`` cannot enforce (none when it can).

    Args:
        provisioner: what will run the steps.
        resources: each step's ``ol:requires`` (``cpus``, ``memory``, …), by step id.
    """
    if provisioner.supports_resource_limits:
        return []
    warnings = []
    for step_id, required in sorted(resources.items()):
        limits = [
            f"{term} {_turtle(required[key])}" for key, term in RESOURCE_LIMITS if required.get(key)
        ]
        if limits:
            warnings.append(
                f"step {step_id!r} sets {' and '.join(limits)} but the {provisioner.name} "
                "provisioner cannot enforce resource limits, so the step ran without them; "
                "to enforce them, run it on the docker or swarm provisioner "
                '(ONTOLAB_PROVISIONER=docker, or ol:provisioner "docker" on the experiment)'
            )
    return warnings


def _turtle(value: Any) -> str:
    """A limit as the definition writes it: ``1.0``, ``"1g"``."""
    return f'"{value}"' if isinstance(value, str) else str(value)
