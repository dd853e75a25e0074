"""Container steps (``ol:ContainerStep``) on a swarm: three jobs on one node around one volume.

The author's image holds no executor and a swarm task sees no shared folder, so the step runs
as up to three replicated jobs sharing a local named volume made for it (mounted at
:data:`FOLDER`, the command's working directory):

1. **stage-in** (the runner image): ``python -m executor.container_files stage-in`` fetches
   the inputs over the platform's artifact API into ``inputs/`` and makes ``outputs/``. It
   goes where ``ol:placement`` says, or else to the manager the platform talks to; the node
   its task landed on is the step's node from then on (``node.id==X``), since the volume is
   local to it.
2. **the command** (the author's image) with the volume as its working directory, the step's
   cpus/memory as limits, ``init``, host networking and the runner's passed environment, as
   the docker provisioner runs it. A non-zero exit fails the step with the end of its log as
   the reason; nothing is pushed.
3. **stage-out** (the runner image): zips ``outputs/``, pushes it and publishes the step's
   result over the artifact API (read back like any swarm step's, checked by its checksum).

Each job's logs are appended to ``step.log`` under a header (the command's with the result
marker defused, so its output cannot pose as the step's result). Every service is removed as
soon as its job ended, and the volume (with the jobs' containers, which a removed job service
leaves behind) once the step ended, in every case (success, failure, timeout, cancel);
cancelling removes whichever job runs.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from executor.contract import StepSpec
from executor.remote import RESULT_MARKER
from server.errors import StepError
from server.graph.clock import utc_now
from server.provision import container_step
from server.provision.base import Ending
from server.provision.compose import SPEC_ENV
from server.provision.docker import RUN_LABEL, STEP_LABEL, passed_env
from server.provision.swarm_jobs import POLL_SECONDS, remove_job, wait_for_task

FOLDER = "/ontolab-step"
VOLUME_LABEL = "org.ontolab.step-volume"
VOLUME_REMOVE_SECONDS = 30.0


@dataclass(eq=False)  # hashed by identity: the skeleton keeps handles in a set
class StagedJobs:
    """The handle of a container step on a swarm: the job running now and what they share."""

    spec: StepSpec
    volume: str
    log: Path  # the step's log, which every job's logs are appended to
    node: str = ""  # the node the stage-in task landed on ("" before it did)
    service: Any = None  # the job running now
    stopped: bool = False  # killed (cancel, close): start no further job
    image_id: str = ""  # the ID of the image the command ran, once it ran (when known)
    lock: threading.Lock = field(default_factory=threading.Lock)


def volume_name(spec: StepSpec) -> str:
    """A fresh volume name for one attempt of the step (a rerun never meets a stale one)."""
    base = f"ontolab-{spec.run_id}-{spec.step_id}"[:50].replace("_", "-")
    return f"{base}-{uuid.uuid4().hex[:8]}"


def _job(spec: StepSpec, role: str, volume: str, constraint: str | None) -> dict[str, Any]:
    """What every job of the step shares: the volume, one run, no retry, host networking."""
    import docker.types

    return {
        "name": f"ontolab-{spec.run_id}-{spec.step_id}"[:54].replace("_", "-") + f"-{role}",
        "labels": {RUN_LABEL: spec.run_id, STEP_LABEL: spec.step_id},
        "mode": docker.types.ServiceMode("replicated-job", concurrency=1, replicas=1),
        "restart_policy": docker.types.RestartPolicy(condition="none"),
        "networks": ["host"],
        "mounts": [
            docker.types.Mount(
                target=FOLDER,
                source=volume,
                type="volume",
                labels={VOLUME_LABEL: "1", RUN_LABEL: spec.run_id},
            )
        ],
        "constraints": [constraint] if constraint else None,
    }


def stage_job(
    spec: StepSpec,
    runner_image: str,
    volume: str,
    job: str,
    constraint: str,
    started: str = "",
    task_env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``services.create`` arguments of the ``stage-in`` or ``stage-out`` job;
    ``task_env`` carries the step's artifact token (never given to the author's command)."""
    args = ["stage-in" if job == "stage-in" else "stage-out", "--spec-env", SPEC_ENV]
    args += ["--dir", FOLDER] + (["--started", started] if started else [])
    return {
        "image": runner_image,
        "command": ["python", "-m", "executor.container_files"],
        "args": args,
        "env": [f"{SPEC_ENV}={spec.to_json()}"]
        + [f"{k}={v}" for k, v in {**passed_env(), **(task_env or {})}.items()],
        **_job(spec, job, volume, constraint),
    }


def command_job(spec: StepSpec, image: str, volume: str, node: str) -> dict[str, Any]:
    """The ``services.create`` arguments of the author's command, pinned to ``node``."""
    import docker.types
    from docker.utils import parse_bytes

    _, command = container_step.command_of(spec)
    cpus, memory = spec.resources.get("cpus"), spec.resources.get("memory")
    nano = int(float(cpus) * 1e9) if cpus else None
    mem = parse_bytes(str(memory).lower()) if memory else None
    return {
        "image": image,
        "command": command,
        "workdir": FOLDER,
        "init": True,
        "env": [f"{k}={v}" for k, v in passed_env().items()],
        "resources": docker.types.Resources(
            cpu_limit=nano, mem_limit=mem, cpu_reservation=nano, mem_reservation=mem
        ),
        **_job(spec, "command", volume, f"node.id=={node}"),
    }


class SwarmContainerSteps:
    """Runs container steps for a :class:`~server.provision.swarm.SwarmProvisioner`."""

    def __init__(
        self,
        client: Any,
        runner_image_id: str,
        task_env: Callable[[StepSpec], Mapping[str, str]] | None = None,
    ) -> None:
        self._client = client
        self._runner = runner_image_id
        self._task_env = task_env or (lambda spec: {})

    def launch(self, spec: StepSpec, workdir: Path) -> StagedJobs:
        """Start the stage-in job; StepError (with the fix) when it cannot start."""
        container_step.command_of(spec)  # no image or command: refused before anything runs
        placement = spec.resources.get("placement")
        constraint = str(placement) if placement else f"node.id=={self._manager_node()}"
        jobs = StagedJobs(spec, volume_name(spec), workdir / "step.log")
        try:
            jobs.service = self._client.services.create(
                **stage_job(
                    spec,
                    self._runner,
                    jobs.volume,
                    "stage-in",
                    constraint,
                    task_env=self._task_env(spec),
                )
            )
        except Exception as exc:  # APIError: not a swarm manager, bad constraint, …
            raise StepError(
                f"cannot create a swarm service for container step {spec.step_id!r}: {exc}; "
                "run the platform on a swarm manager (`docker swarm init`) and check ol:placement"
            ) from exc
        jobs.log.write_bytes(b"")
        return jobs

    def wait(self, jobs: StagedJobs, workdir: Path, timeout: float) -> Ending:
        """Run the three jobs one after the other; say how the step ended (with the image
        the command ran, once it ran)."""
        ending = self._run_jobs(jobs, workdir, timeout)
        if not jobs.image_id:
            return ending
        reference = container_step.command_of(jobs.spec)[0]
        facts = container_step.image_facts(self._client, reference, jobs.image_id)
        return replace(ending, facts=facts)

    def _run_jobs(self, jobs: StagedJobs, workdir: Path, timeout: float) -> Ending:
        deadline, started = time.monotonic() + timeout, utc_now()
        task, said = self._finish(jobs, "stage-in", deadline)
        jobs.node = str((task or {}).get("NodeID", ""))  # where the volume is, even on failure
        if task is None or not _ok(task):
            return self._ending(jobs, task, "staging the inputs", "swarm (stage-in)", said)
        image = self._image_id(container_step.command_of(jobs.spec)[0])
        if not self._start(jobs, command_job(jobs.spec, image, jobs.volume, jobs.node)):
            return self._not_started(jobs, "the command")
        task, said = self._finish(jobs, "command", deadline, defuse=True)
        jobs.image_id = image if image.startswith("sha256:") else self._task_image(task)
        worker, code = self._worker(task, jobs.node), _exit_code(task)
        if task is None or code is None or not 0 <= code <= 128:
            return self._ending(jobs, task, "the command", worker)
        if code != 0:  # the author's failure: the end of its own output is the reason
            container_step.write_result(jobs.spec, workdir, code, started, said)
            return Ending(worker)
        constraint = f"node.id=={jobs.node}"
        spec = stage_job(
            jobs.spec,
            self._runner,
            jobs.volume,
            "stage-out",
            constraint,
            started,
            self._task_env(jobs.spec),
        )
        if not self._start(jobs, spec):
            return self._not_started(jobs, "storing the outputs")
        task, said = self._finish(jobs, "stage-out", deadline, expect_result=True)
        if task is None or not (_ok(task) or _exit_code(task) == 1):  # 1: published a failure
            return self._ending(jobs, task, "storing the outputs", worker, said)
        return Ending(worker)

    def kill(self, jobs: StagedJobs) -> None:
        """Stop whichever job runs and start no other; never raises."""
        with jobs.lock:
            jobs.stopped = True
            service = jobs.service
        remove_job(service)

    def release(self, jobs: StagedJobs) -> None:
        """Remove the last job and the step's volume (waiting while its containers go)."""
        with jobs.lock:
            service, jobs.service = jobs.service, None
        remove_job(service)
        if jobs.node and jobs.node != self._manager_node():
            # Only the node's own engine can remove a local volume; the platform has none.
            with open(jobs.log, "a") as handle:
                handle.write(
                    f"\n[ontolab] the step's volume {jobs.volume} stays on swarm node "
                    f"{jobs.node}; remove it there with `docker volume rm {jobs.volume}`\n"
                )
            return
        problem = self._remove_volume(jobs.volume)
        if problem:
            with open(jobs.log, "a") as handle:
                handle.write(
                    f"\n[ontolab] cannot remove the step's volume {jobs.volume} ({problem}); "
                    f"remove it with `docker volume rm {jobs.volume}`\n"
                )

    # -- helpers ----------------------------------------------------------------------------

    def _manager_node(self) -> str:
        return str(self._client.info().get("Swarm", {}).get("NodeID", ""))

    def _image_id(self, image: str) -> str:
        """The image's ID when this engine has it: a tag would make the task ask a registry
        first. An image only the nodes have is passed on by name."""
        try:
            return str(self._client.images.get(image).id)
        except Exception:  # not here: the node pulls or has it
            return image

    def _task_image(self, task: dict[str, Any] | None) -> str:
        """The image ID the task's container ran, when that container is on this engine."""
        status = (task or {}).get("Status", {})
        try:
            container = self._client.containers.get(status["ContainerStatus"]["ContainerID"])
            return str(container.attrs.get("Image") or "")
        except Exception:  # on another node, or no container: the ID stays unknown
            return ""

    def _start(self, jobs: StagedJobs, arguments: dict[str, Any]) -> bool:
        """Create the next job unless the step was stopped meanwhile; False when not started."""
        try:
            service = self._client.services.create(**arguments)
        except Exception as exc:
            with open(jobs.log, "a") as handle:
                handle.write(f"\n[ontolab] cannot create the swarm service: {exc}\n")
            return False
        with jobs.lock:
            previous, jobs.service = jobs.service, service
            stopped = jobs.stopped
        remove_job(previous)
        if stopped:  # killed while it was being created
            remove_job(service)
        return not stopped

    def _finish(
        self,
        jobs: StagedJobs,
        role: str,
        deadline: float,
        expect_result: bool = False,
        defuse: bool = False,
    ) -> tuple[dict[str, Any] | None, str]:
        """Wait for the running job's task to end, then append its logs; the task (None when
        the job was stopped or ran past ``deadline``) and what it printed."""
        task = wait_for_task(jobs.service, lambda: jobs.stopped, deadline)
        said = _append_logs(
            jobs.service, jobs.log, role, expect_result and task is not None, defuse
        )
        return task, said

    def _ending(
        self, jobs: StagedJobs, task: dict[str, Any] | None, what: str, worker: str, said: str = ""
    ) -> Ending:
        if task is None:
            if jobs.stopped:
                return Ending(worker, failure=f"the step was stopped during {what}")
            return Ending(worker, timed_out=True)
        status = task.get("Status", {})
        code = _exit_code(task)
        if code is not None and code > 128:
            reason = f"killed (exit {code}, signal {code - 128}: out of memory or stopped)"
            fix = "raise ol:memory in its ol:requires if it needs more, or re-run it"
        else:
            reason = f"ended in state {status.get('State')!r} (exit {code})"
            fix = "see the step log"
        detail = status.get("Err") or status.get("Message") or ""
        last = [line.strip() for line in said.splitlines() if line.strip()][-1:]
        if last and what != "the command":  # the command's own output stays in the log
            detail = f"{detail} ({last[0]})"
        return Ending(worker, failure=f"{what} on the swarm {reason}: {detail}; {fix}")

    def _not_started(self, jobs: StagedJobs, what: str) -> Ending:
        if jobs.stopped:
            return Ending(f"swarm node {jobs.node}", failure=f"the step was stopped before {what}")
        return Ending(
            f"swarm node {jobs.node}",
            failure=f"cannot start {what} on swarm node {jobs.node}; see the step log",
        )

    def _worker(self, task: dict[str, Any] | None, node: str) -> str:
        try:
            node = self._client.nodes.get(node).attrs["Description"]["Hostname"]
        except Exception:  # the node left the swarm: its id is all we have
            pass
        status = (task or {}).get("Status", {})
        container = status.get("ContainerStatus", {}).get("ContainerID", "")
        return f"swarm node {node}, container {container[:12]}"

    def _remove_volume(self, volume: str) -> str:
        """Remove the volume; a removed job's container may hold it for a moment. What went
        wrong when it could not ("" when it is gone)."""
        import docker.errors

        deadline = time.monotonic() + VOLUME_REMOVE_SECONDS
        while True:
            try:
                # A finished job's container outlives its removed service (the task history
                # keeps it) and holds the volume: every container that mounts it is the
                # step's, since the volume is made for this step alone.
                for container in self._client.containers.list(all=True, filters={"volume": volume}):
                    container.remove(force=True)
                self._client.volumes.get(volume).remove(force=True)
                return ""
            except docker.errors.NotFound:
                return ""  # never made (no job mounted it) or gone
            except Exception as exc:  # in use by a container being removed
                if time.monotonic() > deadline:
                    return str(exc)
                time.sleep(POLL_SECONDS)


_DEFUSED = "ontolab-result-sha256 (printed by the command, ignored): "


def _ok(task: dict[str, Any]) -> bool:
    return task.get("Status", {}).get("State") == "complete" and _exit_code(task) == 0


def _exit_code(task: dict[str, Any] | None) -> int | None:
    code = (task or {}).get("Status", {}).get("ContainerStatus", {}).get("ExitCode")
    return int(code) if code is not None else None


def _append_logs(service: Any, log: Path, role: str, expect_result: bool, defuse: bool) -> str:
    """The job's logs appended to ``log`` under a header, and returned; read again briefly
    while the result line is missing, since a just-finished task's last lines can reach the
    manager a moment late."""
    for _ in range(6):
        chunks: list[bytes] = []
        try:
            chunks = list(service.logs(stdout=True, stderr=True, follow=False))
        except Exception as exc:  # the service is gone: keep what we have
            chunks = [f"[ontolab] cannot read the job's logs: {exc}\n".encode()]
        text = b"".join(chunks).decode(errors="replace")
        if not expect_result or RESULT_MARKER in text:
            break
        time.sleep(0.5)
    if defuse:
        text = text.replace(RESULT_MARKER, _DEFUSED)
    with open(log, "a") as handle:
        handle.write(f"[ontolab] ---- {role} ----\n" + text)
        if text and not text.endswith("\n"):
            handle.write("\n")
    return text
