"""Swarm provisioner: each step is a replicated-job service on a Docker Swarm.

The task may land on any node, so it sees no shared directory: its spec travels in the
``ONTOLAB_SPEC`` environment variable with ``artifact_url`` set to the platform's artifact
API, and the executor fetches inputs and pushes outputs and its result over HTTP
(``executor.remote``). The service uses the image *ID* (a tag would make every task ask a
registry first), ``--network host``, restart condition ``none`` (a failed job is not retried
forever), placement constraints from ``ol:placement`` and the definition's cpus/memory as
both limits and reservations. The platform polls the task to a final state, copies the
service's logs into ``step.log`` and removes the service. Killing a job (cancel, close) reads
its logs before it removes the service, whose logs go with it: what the step printed until
then, an AutoML step's finished trials among it (``server.provision.remote_trials``), still
reaches ``step.log``. A container step
(``ol:ContainerStep``) runs as three jobs on one node around a volume of its own
(``server.provision.swarm_container``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executor.contract import CONTAINER_PHASE, StepSpec
from executor.remote import RESULT_MARKER
from server.errors import StepError
from server.provision.base import BaseProvisioner, Ending
from server.provision.compose import SPEC_ENV
from server.provision.docker import RUN_LABEL, STEP_LABEL, passed_env, require_image
from server.provision.swarm_container import StagedJobs, SwarmContainerSteps
from server.provision.swarm_jobs import remove_job, wait_for_task

LOG_ATTEMPTS = 6


@dataclass(eq=False)  # hashed by identity: the skeleton keeps handles in a set
class Job:
    """A step's replicated-job service; once killed, the logs it had printed by then."""

    service: Any
    killed: bool = False
    logs: bytes = b""
    lock: threading.Lock = field(default_factory=threading.Lock)


class SwarmProvisioner(BaseProvisioner[Any]):
    """Handles are :class:`Job` (a ``docker`` SDK service) or, for a container step,
    ``StagedJobs``; steps push their artifacts and result over HTTP."""

    name = "swarm"
    supports_container_steps = True
    supports_cancel = True
    supports_resource_limits = True
    stopped_how = "its swarm service was removed"
    cancelled_how = " (its swarm service was removed)"

    def __init__(self, client: Any, image: str, artifact_url: str) -> None:
        super().__init__(artifact_url=artifact_url)
        self._client = client
        self._image_id = require_image(client, image).id
        self._containers = SwarmContainerSteps(client, self._image_id, self._task_env)

    def _launch(self, spec: StepSpec, workdir: Path) -> Any:
        if spec.phase == CONTAINER_PHASE:
            return self._containers.launch(spec, workdir)
        return Job(self._create(spec))

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
                + [f"{k}={v}" for k, v in {**passed_env(), **self._task_env(spec)}.items()],
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

    def _await(self, handle: Any, spec: StepSpec, workdir: Path, timeout: float) -> Ending:
        if isinstance(handle, StagedJobs):
            return self._containers.wait(handle, workdir, timeout)
        task = _wait_for_task(handle, timeout)
        # Under the lock, so a kill does not remove the service while its logs are read.
        with handle.lock:
            if not handle.killed:
                _copy_logs(handle.service, workdir / "step.log", expect_result=task is not None)
                return Ending(
                    self._worker(task), timed_out=task is None, failure=_abnormal_end(task)
                )
            (workdir / "step.log").write_bytes(handle.logs)
        stopped = (
            "the step's swarm service was removed while it ran (the platform closed); re-run it"
        )
        return Ending(self._worker(task), failure=stopped)  # a cancel says so instead

    def _kill(self, handle: Any) -> None:
        if isinstance(handle, StagedJobs):
            self._containers.kill(handle)
            return
        with handle.lock:
            if handle.killed:
                return
            # Read first: a removed service's logs are gone with it.
            handle.logs = _read_logs(handle.service)
            handle.killed = True
            remove_job(handle.service)

    def _release(self, handle: Any) -> None:
        if isinstance(handle, StagedJobs):
            self._containers.release(handle)
            return
        ended = _task_containers(handle.service)
        remove_job(handle.service)
        # Removing a job's service leaves its task's exited container on the node: remove it
        # where this engine can (a container on another node is that node's to prune).
        for container in ended:
            try:
                self._client.containers.get(container).remove(force=True)
            except Exception:  # on another node, or already gone
                pass

    def _shutdown(self) -> None:
        self._client.close()

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


def _abnormal_end(task: dict[str, Any] | None) -> str | None:
    """Why a job whose task reached a final state did not publish a result, if it did not."""
    if task is None:
        return None
    status = task.get("Status", {})
    exit_code = status.get("ContainerStatus", {}).get("ExitCode")
    if status.get("State") in ("complete", "failed") and exit_code in (0, 1):
        return None  # the executor ran and published its result
    return (
        f"the swarm task ended in state {status.get('State')!r} (exit {exit_code}): "
        f"{status.get('Err') or status.get('Message')}; see the step log"
    )


def _wait_for_task(job: Job, timeout: float) -> dict[str, Any] | None:
    """The job's task once it reached a final state; None once it was killed or after
    ``timeout`` seconds."""
    return wait_for_task(job.service, lambda: job.killed, time.monotonic() + timeout)


def _copy_logs(service: Any, log: Path, expect_result: bool) -> None:
    """The service's logs into ``log``; read again briefly while the result line is missing,
    since a just-finished task's last lines can reach the manager a moment late."""
    for _ in range(LOG_ATTEMPTS):
        log.write_bytes(_read_logs(service))
        if not expect_result or RESULT_MARKER.encode() in log.read_bytes():
            return
        time.sleep(0.5)


def _read_logs(service: Any) -> bytes:
    """What the service's task printed so far (stdout and stderr)."""
    chunks: list[bytes] = []
    try:
        for chunk in service.logs(stdout=True, stderr=True, follow=False):
            chunks.append(chunk)
    except Exception as exc:  # the service is gone: keep what we have
        chunks.append(f"\n[ontolab] cannot read the service's logs: {exc}\n".encode())
    return b"".join(chunks)


def _task_containers(service: Any) -> list[str]:
    """The ids of the containers the service's tasks ran in (none when it is gone)."""
    try:
        tasks = service.tasks()
    except Exception:  # already removed
        return []
    found = (t.get("Status", {}).get("ContainerStatus", {}).get("ContainerID") for t in tasks)
    return [container for container in found if container]
