"""One-click deploy: a dedicated model server process per deployed model version.

A deployment serves one registered model version on its own loopback port (from
``deploy_port_start`` up, first free) with ``POST /predict``, ``GET /health`` and
``GET /metrics`` (``server.serving.model_server``). Model servers are forked by a warm parent
(``serving.model_warm``) that has numpy, pandas and scikit-learn loaded, so a deploy
answers its first health check well within a second instead of paying a fresh interpreter's
imports.

Each deployment is recorded in its own named graph as an ``ol:ModelDeployment``, a PROV
activity (``server.serving.deployment_record``): it ``prov:used`` the model version node it
serves, with ``prov:startedAtTime``, the agent that started it (``prov:wasAssociatedWith``: the
platform's ``ol:PlatformAgent`` until requests carry a user; ``deploy(started_by=...)`` takes
an agent IRI), its port and pid. Stopping it adds ``prov:endedAtTime`` and desired state
``stopped``: the graph only grows, but for the pid and port of the current process, which a
restore replaces (the activity goes on, so its start time stays). ``close()`` stops the
processes but keeps them desired-running; ``restore()`` (called when the platform opens)
starts every desired-running deployment again, on the same port when it is free. Processes
are only ever stopped by the pid this service started them with: a pid read back from the
graph may belong to somebody else by now.

Each deployment keeps a prediction log (``server.monitoring.prediction_log``) in
``DATA/deployments/ID/predictions/`` unless its deploy request turned it off; its config is
saved there at deploy and read again on restore. ``record_feedback`` checks and appends
ground-truth labels by request id (``server.monitoring.feedback``), one deployment at a time.
``watched``, ``watching`` and ``healthy`` are what monitoring reads of deployments
(``server.monitoring.service.DeploymentSource``).

A deployment made from an alias follows it: its port is held by a ``Front`` in this process
that forwards to the current model server, and ``on_alias_change`` (told by the registry)
switches it to each version the alias moves to without dropping a request
(``server.serving.switching``); a restore starts it at the version its alias points at then.

Thread-safety: every public method may be called from any thread.
"""

from __future__ import annotations

import logging
import shutil
import signal
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import requests

from server.auth.predict_access import access_request, deployment_dir, requires_token, save_access
from server.errors import DeploymentError, DeploymentRunning, NotFoundError, OntolabError
from server.graph import queries
from server.graph.clock import utc_now
from server.graph.namespaces import PLATFORM_AGENT
from server.monitoring import feedback
from server.monitoring.evaluation import Watched
from server.monitoring.prediction_log import LogConfig, log_directory
from server.provision.warm import WarmChild, WarmParent
from server.registry.model import ModelVersion, version_iri
from server.serving.deployment_record import (
    HOST,
    Deployment,
    deployment_iri,
    from_row,
    start_triples,
    stop_triples,
)
from server.serving.front import Front
from server.serving.model_process import PROBE_TIMEOUT, READY_TIMEOUT, wait_ready, warm_parent
from server.serving.switching import Switching
from server.settings import Settings
from server.store.base import Store
from server.tracking.artifacts import ArtifactStore

__all__ = ["HOST", "Deployment", "DeploymentService", "deployment_iri", "registry_target"]

log = logging.getLogger(__name__)

STOP_TIMEOUT = 5.0
_ID_CHARS = set("0123456789abcdef")


@dataclass(frozen=True)
class Target:
    """A resolved model version: what a deployment serves."""

    name: str
    version: int
    sha256: str
    model_iri: str | None = None
    alias: str | None = None


class ModelVersions(Protocol):
    """What a deployment needs of the registry; ``server.registry.service.Registry`` is one."""

    def resolve(
        self, name: str, version: int | None = None, alias: str | None = None
    ) -> ModelVersion:
        """The version asked for: by number, by alias, or else the newest; NotFoundError if
        unknown."""
        ...


# (registry, model name, version or None, alias or None) → Target; NotFoundError if unknown.
Resolver = Callable[[ModelVersions, str, int | None, str | None], Target]


def registry_target(
    registry: ModelVersions, name: str, version: int | None, alias: str | None
) -> Target:
    """Resolve a model version through ``platform.registry`` (a ``Registry``)."""
    found = registry.resolve(name, version=version, alias=alias)
    iri = str(version_iri(found.name, found.number))
    return Target(found.name, found.number, found.sha256, iri, alias)


class DeploymentService(Switching):
    def __init__(
        self,
        settings: Settings,
        store: Store,
        artifacts: ArtifactStore,
        registry: ModelVersions,
        resolver: Resolver,
    ) -> None:
        self._settings = settings
        self._store = store
        self._artifacts = artifacts
        self._registry = registry
        self._resolve = resolver
        self._lock = threading.RLock()
        self._warm: WarmParent | None = None
        self._processes: dict[str, WarmChild] = {}
        self._fronts: dict[str, Front] = {}  # the stable ports of deployments following an alias
        self._switching = threading.Lock()  # one switch at a time
        self._restoring: threading.Thread | None = None
        self._closed = False
        self._feedback_lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Start the warm parent now, so the first deploy does not wait for its imports."""
        self._parent()

    def restore(self, background: bool = True) -> None:
        """Start every desired-running deployment again (new pid, same port when free)."""
        wanted = [d for d in self._read_all() if d.desired == "running"]
        if not wanted:
            return
        self.warm_up()
        thread = threading.Thread(target=self._restore, args=(wanted,), name="deploy-restore")
        thread.daemon = True
        self._restoring = thread
        thread.start()
        if not background:
            thread.join()

    def wait_restored(self, timeout: float | None = None) -> bool:
        """Block until ``restore`` is done; False if it still runs after ``timeout`` seconds."""
        thread = self._restoring
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def close(self) -> None:
        """Stop every model server this service started; their desired state stays running."""
        with self._lock:
            self._closed = True
            processes, self._processes = list(self._processes.values()), {}
            fronts, self._fronts = list(self._fronts.values()), {}
            warm, self._warm = self._warm, None
        for front in fronts:
            front.close()
        for process in processes:
            process.stop(signal.SIGKILL, STOP_TIMEOUT)
        if warm is not None:
            warm.close(STOP_TIMEOUT)
        self.wait_restored(STOP_TIMEOUT)

    # --- operations ------------------------------------------------------------------------

    def deploy(
        self,
        name: str,
        version: int | None = None,
        alias: str | None = None,
        started_by: str | None = None,
        prediction_log: LogConfig | None = None,
        require_token: bool = False,
    ) -> dict:
        """Start a model server for a version (given, or the one ``alias`` points to).

        ``started_by`` is the IRI of the agent that asked (``prov:wasAssociatedWith``); the
        platform's own agent when not known (no request carries a user yet).
        ``prediction_log``: the deployment's log config; the platform's default when None.
        ``require_token``: its ``/predict`` takes only a token with runner on the model.
        """
        target = self._resolve(self._registry, name, version, alias)
        artifact = self._artifacts.path(target.sha256)
        deployment_id = uuid.uuid4().hex[:12]
        config = prediction_log or LogConfig.default(self._settings)
        config.save(log_directory(self._settings.data, deployment_id))
        save_access(deployment_dir(self._settings.data, deployment_id), require_token)
        deployment = Deployment(
            id=deployment_id,
            name=target.name,
            version=target.version,
            sha256=target.sha256,
            port=0,
            desired="running",
            started_at=utc_now(),
            model_iri=target.model_iri,
            alias=target.alias,
            started_by=started_by or str(PLATFORM_AGENT),
        )
        deployment = self._start(deployment, artifact, preferred_port=None)
        return self._json(deployment, "running")

    def list_all(self) -> list[dict[str, Any]]:
        """Every deployment with its observed status (its /health probed)."""
        return [self._json(d, self._status(d)) for d in self._read_all()]

    def get(self, deployment_id: str) -> dict[str, Any]:
        deployment = self._read(deployment_id)
        return self._json(deployment, self._status(deployment))

    def stop(self, deployment_id: str) -> dict[str, Any]:
        """Stop the deployment's process (by the pid it was started with) and keep it stopped.

        Its end is added to its graph (``prov:endedAtTime``), once: stopping a stopped
        deployment changes nothing."""
        deployment = self._read(deployment_id)
        with self._lock:
            process = self._processes.pop(deployment_id, None)
            front = self._fronts.pop(deployment_id, None)
        if front is not None:
            front.close()
        if process is not None:
            process.stop(signal.SIGTERM, STOP_TIMEOUT)
        if deployment.desired == "stopped":
            return self._json(deployment, "stopped")
        stopped = replace(deployment, desired="stopped", ended_at=utc_now())
        self._store.add_to_graph(deployment_iri(deployment.id), stop_triples(stopped))
        return self._json(stopped, "stopped")

    def remove(self, deployment_id: str) -> dict[str, Any]:
        """Forget a stopped deployment: its graph and its folder (prediction log, feedback).

        A deployment still desired running is refused (``DeploymentRunning``); the model's
        history keeps any switch it made."""
        with self._lock:
            deployment = self._read(deployment_id)
            if deployment.desired != "stopped" or deployment_id in self._processes:
                raise DeploymentRunning(
                    f"deployment {deployment_id} is running; stop it first with "
                    f"DELETE /api/deployments/{deployment_id}, then remove it"
                )
            self._store.delete_graph(deployment_iri(deployment.id))
        shutil.rmtree(deployment_dir(self._settings.data, deployment.id), ignore_errors=True)
        return {"id": deployment.id, "removed": True}

    def prediction_log(self, deployment_id: str) -> tuple[Path, LogConfig]:
        """The deployment's log folder and config; NotFoundError if no such deployment."""
        deployment = self._read(deployment_id)
        directory = log_directory(self._settings.data, deployment.id)
        return directory, LogConfig.read(directory, self._settings)

    def record_feedback(self, deployment_id: str, body: Any) -> dict[str, Any]:
        """Ground-truth labels by request id (``server.monitoring.feedback``): all or none."""
        items = feedback.parse(body)
        directory, config = self.prediction_log(deployment_id)
        with self._feedback_lock:
            return feedback.record(directory, items, config)

    def watched(self, deployment_id: str) -> Watched:
        """The deployment as monitoring sees it; NotFoundError if no such deployment."""
        return self._watched(self._read(deployment_id))

    def watching(self) -> list[Watched]:
        """Every deployment that should be running, as monitoring sees it."""
        return [self._watched(d) for d in self._read_all() if d.desired == "running"]

    def healthy(self, deployment_id: str) -> bool:
        return self._status(self._read(deployment_id)) == "running"

    # --- internals -------------------------------------------------------------------------

    def _start(
        self, deployment: Deployment, artifact: Path, preferred_port: int | None
    ) -> Deployment:
        """Start the deployment's model server; one that follows an alias behind its front,
        which keeps ``preferred_port`` (the model server then takes any free port)."""
        front = self._front(deployment.id, preferred_port) if deployment.alias else None
        try:
            process = self._spawn(deployment, artifact, None if front else preferred_port)
        except DeploymentError:
            if front is not None:
                with self._lock:
                    self._fronts.pop(deployment.id, None)
                front.close()
            raise
        with self._lock:
            self._processes[deployment.id] = process
        port = int(process.reply["port"])
        if front is not None:
            front.point(HOST, port, deployment.version)
            port = front.port
        started = replace(deployment, port=port, pid=process.pid)
        self._save(started)
        return started

    def _spawn(
        self, deployment: Deployment, artifact: Path, preferred_port: int | None
    ) -> WarmChild:
        """Fork a model server for ``deployment`` and wait until it answers ``/health``."""
        log = self._settings.data / "deployments" / deployment.id / "server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        exclude = [p for p in self._ports_taken() if p != preferred_port]
        info = {
            "deployment": deployment.id,
            "model": deployment.name,
            "version": str(deployment.version),
            "sha256": deployment.sha256,
        }
        request = {
            "artifact": str(artifact),
            "port": preferred_port,
            "port_start": self._settings.deploy_port_start,
            "exclude": exclude,
            "host": HOST,
            "threads": self._settings.deploy_threads,
            "info": info,
            "log": str(log),
            "prediction_log": self._log_request(deployment.id),
            "access": access_request(self._settings.data, deployment.id),
        }
        process = self._parent().start(request, READY_TIMEOUT)
        url = f"http://{HOST}:{int(process.reply['port'])}"
        try:
            wait_ready(url, process, log)
        except DeploymentError:
            process.stop(signal.SIGKILL, STOP_TIMEOUT)
            raise
        return process

    def _ports_taken(self) -> list[int]:
        with self._lock:
            if self._closed:
                raise DeploymentError("the platform is closing; deploy again once it is up")
            taken = [d.port for d in self._read_all() if d.desired == "running"]
            taken += [int(p.reply["port"]) for p in self._processes.values()]
            return taken + [f.port for f in self._fronts.values()]

    def _log_request(self, deployment_id: str) -> dict[str, Any]:
        directory = log_directory(self._settings.data, deployment_id)
        config = LogConfig.read(directory, self._settings)
        return {"directory": str(directory), **config.to_json(), "queue": config.queue}

    def _watched(self, d: Deployment) -> Watched:
        directory = log_directory(self._settings.data, d.id)
        enabled = LogConfig.read(directory, self._settings).enabled
        iri = str(deployment_iri(d.id))
        return Watched(d.id, iri, d.name, d.version, d.model_iri, directory, enabled)

    def _json(self, deployment: Deployment, status: str) -> dict[str, Any]:
        directory = log_directory(self._settings.data, deployment.id)
        config = LogConfig.read(directory, self._settings)
        locked = requires_token(deployment_dir(self._settings.data, deployment.id))
        return {
            **deployment.to_json(status),
            "prediction_log": config.to_json(),
            "require_token": locked,
        }

    def _restore(self, wanted: list[Deployment]) -> None:
        for deployment in wanted:
            try:
                deployment = self._followed(deployment)
                artifact = self._artifacts.path(deployment.sha256)
                # The same activity goes on (its start stays): only its process is new.
                self._start(deployment, artifact, deployment.port)
            except OntolabError as exc:  # one broken deployment must not keep the others down
                log.warning("cannot restore deployment %s: %s", deployment.id, exc)

    def _parent(self) -> WarmParent:
        with self._lock:
            if self._closed:
                raise DeploymentError("the platform is closing; deploy again once it is up")
            if self._warm is None or not self._warm.alive():
                self._warm = warm_parent()
            return self._warm

    def _status(self, deployment: Deployment) -> str:
        if deployment.desired == "stopped":
            return "stopped"
        with self._lock:
            process = self._processes.get(deployment.id)
        if process is None or process.exited.is_set():
            return "down"
        try:
            answer = requests.get(f"{deployment.url}/health", timeout=PROBE_TIMEOUT)
        except requests.RequestException:
            return "unreachable"
        return "running" if answer.ok else "unhealthy"

    def _read_all(self) -> list[Deployment]:
        return [from_row(row) for row in queries.select(self._store, "deployments")]

    def _read(self, deployment_id: str) -> Deployment:
        if set(deployment_id) - _ID_CHARS:
            raise NotFoundError(
                f"{deployment_id!r} is not a deployment id; list GET /api/deployments"
            )
        for deployment in self._read_all():
            if deployment.id == deployment_id:
                return deployment
        raise NotFoundError(f"no deployment {deployment_id!r}; list them with GET /api/deployments")

    def _save(self, deployment: Deployment) -> None:
        self._store.replace_graph(deployment_iri(deployment.id), start_triples(deployment))
