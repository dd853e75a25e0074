"""Docker provisioner: each step is its own container on a Docker Engine (the ``docker`` SDK).

The container runs ``python -m executor PHASE --spec FILE --workdir DIR`` in the runner image
(``ontolab image build``) with host networking, the step's workdir and the artifact store
mounted at their host paths (so the spec needs no rewriting), the definition's ``ol:cpus``
and ``ol:memory`` as limits and the host user's uid, so every file it writes is the host's.
Its output streams into ``step.log``; it is removed once its result is collected.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from executor.contract import CONTAINER_PHASE, StepSpec
from server.errors import ConfigError, StepError
from server.graph.clock import utc_now
from server.provision import container_step
from server.provision.base import BaseProvisioner, Ending, log_tail

RUN_LABEL = "org.ontolab.run"
STEP_LABEL = "org.ontolab.step"
# Passed through so a container computes exactly what a local process computes.
PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
ENGINE_HINT = (
    "start a Docker Engine (`dockerd --bridge=none --iptables=false`, see the README) "
    "or point ONTOLAB_DOCKER_HOST at one; `./installation.sh --docker` installs it"
)


def docker_client(docker_host: str) -> Any:
    """A client for the engine at ``docker_host`` (or DOCKER_HOST), checked with a ping."""
    import docker

    try:
        client = (
            docker.DockerClient(base_url=docker_host, timeout=60, max_pool_size=32)
            if docker_host
            else docker.from_env(timeout=60, max_pool_size=32)
        )
        client.ping()
    except Exception as exc:  # DockerException, requests errors: all mean "no engine"
        where = docker_host or os.environ.get("DOCKER_HOST", "the default socket")
        raise ConfigError(
            f"cannot reach a Docker Engine at {where} ({exc}); {ENGINE_HINT}"
        ) from exc
    return client


def require_image(client: Any, image: str) -> Any:
    import docker.errors

    try:
        return client.images.get(image)
    except docker.errors.ImageNotFound as exc:
        raise ConfigError(
            f"the runner image {image!r} is not on the Docker Engine; build it with "
            "`ontolab image build` (offline) or set ONTOLAB_RUNNER_IMAGE"
        ) from exc


def limits(resources: dict[str, Any]) -> dict[str, Any]:
    """``ol:cpus`` / ``ol:memory`` as container limits (``nano_cpus``, ``mem_limit``)."""
    out: dict[str, Any] = {}
    if resources.get("cpus"):
        out["nano_cpus"] = int(float(resources["cpus"]) * 1e9)
    if resources.get("memory"):
        out["mem_limit"] = str(resources["memory"]).lower()
    return out


def passed_env() -> dict[str, str]:
    return {name: os.environ[name] for name in PASSED_ENV if name in os.environ}


def source_mounts(spec: StepSpec) -> dict[str, dict[str, str]]:
    """Files an extract step reads from the host (a CSV path), mounted read-only."""
    mounts = {}
    for key in ("source", "source_path"):
        value = spec.parameters.get(key)
        if isinstance(value, str) and os.path.isabs(value) and os.path.exists(value):
            mounts[value] = {"bind": value, "mode": "ro"}
    return mounts


class DockerProvisioner(BaseProvisioner[Any]):
    """Handles are ``docker`` SDK containers."""

    name = "docker"
    supports_container_steps = True
    supports_cancel = True
    supports_resource_limits = True
    stopped_how = "its container was stopped"
    cancelled_how = " (its container was stopped)"

    def __init__(self, client: Any, image: str) -> None:
        super().__init__()
        self._client = client
        self._image = image

    def _launch(self, spec: StepSpec, workdir: Path) -> Any:
        image = str(spec.resources.get("image") or self._image)
        root = spec.artifact_root
        command = ["python", "-m", "executor", spec.phase]
        command += ["--spec", str(workdir / "spec.json"), "--workdir", str(workdir)]
        extra: dict[str, Any] = {}
        if spec.phase == CONTAINER_PHASE:  # the author's image and command, files in workdir
            image, command = container_step.command_of(spec)
            container_step.stage_inputs(spec, workdir)
            extra = {"working_dir": str(workdir)}
        try:
            return self._client.containers.run(
                image,
                command,
                detach=True,
                init=True,
                network_mode="host",
                user=f"{os.getuid()}:{os.getgid()}",
                environment=passed_env(),
                volumes={
                    str(workdir): {"bind": str(workdir), "mode": "rw"},
                    root: {"bind": root, "mode": "rw"},
                    **source_mounts(spec),
                },
                labels={RUN_LABEL: spec.run_id, STEP_LABEL: spec.step_id},
                **limits(spec.resources),
                **extra,
            )
        except Exception as exc:  # ImageNotFound, APIError, connection errors
            raise StepError(
                f"cannot start a container for step {spec.step_id!r} from image {image!r}: "
                f"{exc}; build the image with `ontolab image build` and check the engine"
            ) from exc

    def _await(self, handle: Any, spec: StepSpec, workdir: Path, timeout: float) -> Ending:
        logs = threading.Thread(target=_stream_logs, args=(handle, workdir / "step.log"))
        logs.start()
        exit_code = _wait(handle, timeout)
        if exit_code is None:
            _kill(handle)
        logs.join(30)
        state = _state(handle)
        worker = f"container {handle.id[:12]} on {socket.gethostname()}"
        if exit_code is None:
            return Ending(worker, timed_out=True)
        failure = _abnormal_end(spec, exit_code, state)
        if spec.phase != CONTAINER_PHASE:
            return Ending(worker, failure=failure)
        if failure is None:
            tail = log_tail(workdir / "step.log")
            container_step.write_result(spec, workdir, exit_code, utc_now(), tail)
        reference = container_step.command_of(spec)[0]
        facts = container_step.image_facts(self._client, reference, _image_id(handle))
        return Ending(worker, failure=failure, facts=facts)

    def _kill(self, handle: Any) -> None:
        _kill(handle)

    def _release(self, handle: Any) -> None:
        _remove(handle)

    def _shutdown(self) -> None:
        self._client.close()


def _abnormal_end(spec: StepSpec, exit_code: int, state: dict[str, Any]) -> str | None:
    """How a container that exited before its timeout was stopped, when it did not end itself."""
    if state.get("OOMKilled"):
        return (
            f"the step's container ran out of memory (limit {spec.resources.get('memory')}) "
            "and was killed; raise ol:memory in its ol:requires"
        )
    if exit_code > 128:
        return (
            f"the step's container was killed (exit {exit_code}, signal {exit_code - 128}) "
            "before the step finished; re-run it"
        )
    return None


def _wait(container: Any, timeout: float) -> int | None:
    """The exit code, or None when the container still runs after ``timeout`` seconds."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            return int(container.wait(timeout=min(remaining, 3600))["StatusCode"])
        except requests.exceptions.RequestException:
            time.sleep(0.2)  # the wait call's own read timeout (or a blip): check the deadline


def _stream_logs(container: Any, log: Path) -> None:
    with open(log, "ab") as handle:
        try:
            for chunk in container.logs(stream=True, follow=True):
                handle.write(chunk)
                handle.flush()
        except Exception as exc:  # the container vanished mid-stream: keep what we have
            handle.write(f"\n[ontolab] log stream ended: {exc}\n".encode())


def _state(container: Any) -> dict[str, Any]:
    try:
        container.reload()
        return dict(container.attrs.get("State", {}))
    except Exception:  # already gone: nothing more to learn
        return {}


def _image_id(container: Any) -> str:
    """The ID of the image the container ran (what its name pointed at when it started)."""
    return str(getattr(container, "attrs", {}).get("Image") or "")


def _kill(container: Any) -> None:
    try:
        container.kill()
    except Exception:  # it ended on its own meanwhile
        pass


def _remove(container: Any) -> None:
    try:
        container.remove(force=True)
    except Exception:  # removed by someone else
        pass
