"""Swarm provisioner: each step is a replicated-job service on a Docker Swarm.

The task may land on any node, so it sees no shared directory: its spec travels in the
``ONTOLAB_SPEC`` environment variable with ``artifact_url`` set to the platform's artifact
API, and the executor fetches inputs and pushes outputs and its result over HTTP
(``executor.remote``). The service uses the image *ID* (a tag would make every task ask a
registry first), ``--network host``, restart condition ``none`` (a failed job is not retried
forever), placement constraints from ``ol:placement`` and the definition's cpus/memory as
both limits and reservations. The platform polls the task to a final state, copies the
service's logs into ``step.log`` and removes the service.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from executor.contract import StepSpec, artifact_path, sha256_of
from executor.remote import RESULT_MARKER
from server.errors import StepError
from server.provision.base import StepOutcome, collect_result, utc_now
from server.provision.compose import SPEC_ENV
from server.provision.docker import RUN_LABEL, STEP_LABEL, passed_env, require_image

FINAL_STATES = ("complete", "failed", "rejected", "shutdown", "orphaned", "remove")
POLL_SECONDS = 0.3
LOG_ATTEMPTS = 6


class SwarmProvisioner:
    name = "swarm"
    supports_cancel = True
    supports_resource_limits = True

    def __init__(self, client: Any, image: str, artifact_url: str) -> None:
        self._client = client
        self._image_id = require_image(client, image).id
        self._artifact_url = artifact_url
        self._lock = threading.Lock()
        self._running: dict[str, set[Any]] = defaultdict(set)
        self._cancelled: set[str] = set()

    def run_step(self, spec: StepSpec, workdir: Path, timeout: float) -> StepOutcome:
        workdir.mkdir(parents=True, exist_ok=True)
        remote = replace(spec, artifact_url=self._artifact_url)
        (workdir / "spec.json").write_text(remote.to_json())
        started = utc_now()
        service = self._create(remote)
        with self._lock:
            self._running[spec.run_id].add(service)
            cancelled = spec.run_id in self._cancelled
        try:
            task = None if cancelled else _wait_for_task(service, timeout)
            _copy_logs(service, workdir / "step.log", expect_result=task is not None)
        finally:
            with self._lock:
                self._running[spec.run_id].discard(service)
            _remove(service)
        failure = self._failure(spec, task, timeout)
        if failure is None:
            _fetch_result(spec.artifact_root, workdir)
        return StepOutcome(collect_result(workdir, started, failure), self._worker(task))

    def cancel(self, run_id: str) -> None:
        with self._lock:
            self._cancelled.add(run_id)
            services = list(self._running.get(run_id, ()))
        for service in services:
            _remove(service)

    def close(self) -> None:
        with self._lock:
            services = [s for running in self._running.values() for s in running]
        for service in services:
            _remove(service)
        self._client.close()

    def _create(self, spec: StepSpec) -> Any:
        import docker.types
        from docker.utils import parse_bytes

        cpus, memory = spec.resources.get("cpus"), spec.resources.get("memory")
        nano = int(float(cpus) * 1e9) if cpus else None
        mem = parse_bytes(str(memory).lower()) if memory else None
        placement = spec.resources.get("placement")
        try:
            return self._client.services.create(
                self._image_id,
                command=["python", "-m", "executor", spec.phase],
                args=["--spec-env", SPEC_ENV, "--workdir", "/tmp/ontolab-step"],
                env=[f"{SPEC_ENV}={spec.to_json()}"]
                + [f"{k}={v}" for k, v in passed_env().items()],
                name=f"ontolab-{spec.run_id}-{spec.step_id}"[:63].replace("_", "-"),
                labels={RUN_LABEL: spec.run_id, STEP_LABEL: spec.step_id},
                mode=docker.types.ServiceMode("replicated-job", concurrency=1, replicas=1),
                restart_policy=docker.types.RestartPolicy(condition="none"),
                networks=["host"],
                resources=docker.types.Resources(
                    cpu_limit=nano, mem_limit=mem, cpu_reservation=nano, mem_reservation=mem
                ),
                constraints=[str(placement)] if placement else None,
            )
        except Exception as exc:  # APIError: not a swarm manager, bad constraint, …
            raise StepError(
                f"cannot create a swarm service for step {spec.step_id!r}: {exc}; run the "
                "platform on a swarm manager (`docker swarm init`) and check ol:placement"
            ) from exc

    def _failure(self, spec: StepSpec, task: dict[str, Any] | None, timeout: float) -> str | None:
        if spec.run_id in self._cancelled:
            return "the run was cancelled while this step ran (its swarm service was removed)"
        if task is None:
            return (
                f"the step ran longer than its timeout of {timeout:g} s and its swarm service "
                "was removed; raise ol:timeoutSeconds in its ol:requires if it needs longer"
            )
        status = task.get("Status", {})
        exit_code = status.get("ContainerStatus", {}).get("ExitCode")
        if status.get("State") in ("complete", "failed") and exit_code in (0, 1):
            return None  # the executor ran and published its result
        return (
            f"the swarm task ended in state {status.get('State')!r} (exit {exit_code}): "
            f"{status.get('Err') or status.get('Message')}; see the step log"
        )

    def _worker(self, task: dict[str, Any] | None) -> str:
        if not task:
            return "swarm (no task ran)"
        node = task.get("NodeID", "")
        try:
            node = self._client.nodes.get(node).attrs["Description"]["Hostname"]
        except Exception:  # the node left the swarm: its id is all we have
            pass
        container = task.get("Status", {}).get("ContainerStatus", {}).get("ContainerID", "")
        return f"swarm node {node}, container {container[:12]}"


def _wait_for_task(service: Any, timeout: float) -> dict[str, Any] | None:
    """The job's task once it reached a final state; None after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks = service.tasks()
        done = [t for t in tasks if t.get("Status", {}).get("State") in FINAL_STATES]
        if done:
            return dict(done[0])
        time.sleep(POLL_SECONDS)
    return None


def _copy_logs(service: Any, log: Path, expect_result: bool) -> None:
    """The service's logs into ``log``; read again briefly while the result line is missing,
    since a just-finished task's last lines can reach the manager a moment late."""
    for _ in range(LOG_ATTEMPTS):
        with open(log, "wb") as handle:
            try:
                for chunk in service.logs(stdout=True, stderr=True, follow=False):
                    handle.write(chunk)
            except Exception as exc:  # the service is gone: keep what we have
                handle.write(f"\n[ontolab] cannot read the service's logs: {exc}\n".encode())
        if not expect_result or RESULT_MARKER.encode() in log.read_bytes():
            return
        time.sleep(0.5)


def _fetch_result(artifact_root: str, workdir: Path) -> None:
    """Copy the result the task pushed (named by the marker in its log) to result.json."""
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


def _remove(service: Any) -> None:
    try:
        service.remove()
    except Exception:  # already removed
        pass
