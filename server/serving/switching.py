"""Deployments that follow an alias switch when it moves, without dropping a request.

A deployment made from an alias serves behind a ``Front`` (``server.serving.front``) that keeps
its port. When the registry moves the alias (a promotion, a rollback, a PUT), it tells
``on_alias_change``; every deployment of that model and alias running in this process then:

1. starts a model server for the new version (forked warm, ``model_process``) and waits until
   it answers ``/health``;
2. moves traffic: the front points at the new server, atomically;
3. waits for the requests still on the old server (bounded), then stops the old process.

If the new server fails to start or to answer its health check, traffic stays on the old one.
Either way the switch is an ``ol:DeploymentSwitch`` in the model's history graph, informed by
the alias change (``deployment_record.switch_triples``). Deployments recorded but not running
in this process (a command-line process opens the platform without them) are left alone:
when they start again they serve the version their alias points at then (``_followed``).
The front itself is opened here too (``_front``), on the deployment's recorded port when free.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import replace
from typing import Any

from server.errors import DeploymentError, NotFoundError, OntolabError
from server.graph.clock import utc_now
from server.registry.model import AliasChange, history_iri
from server.serving.deployment_record import HOST, Deployment, switch_triples
from server.serving.front import Front
from server.store.base import Store

log = logging.getLogger(__name__)

DRAIN_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0


class Switching:
    """The switch, mixed into ``DeploymentService`` (which provides what is declared here)."""

    _lock: threading.RLock
    _switching: threading.Lock
    _store: Store
    _fronts: dict[str, Front]
    _processes: dict[str, Any]

    def on_alias_change(self, change: AliasChange) -> list[dict[str, Any]]:
        """``Registry.on_alias_change`` listener: switch every deployment following the alias
        in this process; one dict per deployment (``outcome`` switched or failed)."""
        if change.change is None:
            return []
        with self._switching:  # read under it: a switch just made has moved its deployment
            with self._lock:
                live = set(self._fronts)
            followers = [
                d
                for d in self._read_all()
                if d.id in live
                and d.desired == "running"
                and (d.name, d.alias) == (change.model, change.alias)
                and d.version != change.version
            ]
            return [self._switch(d, change.version, change.change) for d in followers]

    def _switch(self, deployment: Deployment, version: int, cause: str) -> dict[str, Any]:
        started = utc_now()
        outcome: dict[str, Any] = {
            "deployment": deployment.id,
            "from_version": deployment.version,
            "to_version": version,
        }
        try:
            target = self._resolve(self._registry, deployment.name, version, None)
            moved = replace(
                deployment, version=target.version, sha256=target.sha256, model_iri=target.model_iri
            )
            process = self._spawn(moved, self._artifacts.path(target.sha256), None)
        except OntolabError as exc:
            log.warning("deployment %s stays on version %d: %s", deployment.id, version, exc)
            self._record_switch(deployment, version, cause, started, str(exc))
            return {**outcome, "outcome": "failed", "reason": str(exc)}
        with self._lock:
            front = self._fronts.get(deployment.id)
            old = self._processes.get(deployment.id)
            if front is not None:
                self._processes[deployment.id] = process
                previous = front.point(HOST, int(process.reply["port"]), version)
        if front is None:  # stopped while the new server started
            process.stop(signal.SIGKILL, STOP_TIMEOUT)
            reason = "the deployment was stopped during the switch"
            self._record_switch(deployment, version, cause, started, reason)
            return {**outcome, "outcome": "failed", "reason": reason}
        if previous is not None and not front.drain(previous, DRAIN_TIMEOUT):
            log.warning("deployment %s: requests still on the old server after drain", moved.id)
        if old is not None:
            old.stop(signal.SIGTERM, STOP_TIMEOUT)
        self._save(replace(moved, pid=process.pid))
        self._record_switch(deployment, version, cause, started, None)
        return {**outcome, "outcome": "switched", "pid": process.pid}

    def _record_switch(
        self, deployment: Deployment, version: int, cause: str, started: str, failure: str | None
    ) -> None:
        triples = switch_triples(deployment, version, cause, started, utc_now(), failure)
        self._store.add_to_graph(history_iri(deployment.name), triples)

    def _front(self, deployment_id: str, preferred_port: int | None) -> Front:
        """The deployment's front, opened on ``preferred_port`` when free."""
        with self._lock:
            front = self._fronts.get(deployment_id)
            if front is not None:
                return front
        exclude = [p for p in self._ports_taken() if p != preferred_port]
        try:
            front = Front.open(HOST, preferred_port, self._settings.deploy_port_start, exclude)
        except OSError as exc:
            raise DeploymentError(
                f"cannot open the deployment's port: {exc}; free a port or stop another deployment"
            ) from exc
        with self._lock:
            self._fronts[deployment_id] = front
        return front

    def _followed(self, deployment: Deployment) -> Deployment:
        """A deployment following an alias, at the version its alias points at now (it may
        have moved while the deployment was down)."""
        if deployment.alias is None:
            return deployment
        try:
            target = self._resolve(self._registry, deployment.name, None, deployment.alias)
        except NotFoundError:  # the alias was deleted: serve what it pointed at last
            return deployment
        if target.version == deployment.version:
            return deployment
        log.info(
            "deployment %s follows %s to version %d", deployment.id, target.alias, target.version
        )
        return replace(
            deployment, version=target.version, sha256=target.sha256, model_iri=target.model_iri
        )

    # Provided by DeploymentService.
    _settings: Any
    _registry: Any
    _artifacts: Any
    _resolve: Any

    def _read_all(self) -> list[Deployment]:
        raise NotImplementedError

    def _spawn(self, deployment: Deployment, artifact: Any, preferred_port: int | None) -> Any:
        raise NotImplementedError

    def _save(self, deployment: Deployment) -> None:
        raise NotImplementedError

    def _ports_taken(self) -> list[int]:
        raise NotImplementedError
