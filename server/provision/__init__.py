"""Provisioner backends, chosen by one name from the settings (see ``make_provisioner``).

Every backend (``local``, ``docker``, ``swarm``) is drawn on ``base.BaseProvisioner``, which owns
the lock, the running steps, cancellation, close, the workdir and spec, and reading the result
back; a backend supplies only how a step is launched, awaited and killed. ``container_step``
stages files around the author's image for ``ol:ContainerStep`` under docker;
``swarm_container`` runs such a step on a swarm as three jobs around a volume;
``swarm_jobs`` polls and removes the job services of both swarm modules.
``remote_trials`` reads an AutoML step's finished trials back from its log when its workdir
was not the platform's (a swarm job).

Importing this package stays cheap on purpose: the CLI starts the provisioner before it
imports the rest of the platform, so a warm step parent loads pandas and scikit-learn while
the CLI loads rdflib and validates the definition. The docker and swarm backends import the
docker SDK only when chosen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from server.errors import ConfigError
from server.provision.base import Provisioner
from server.provision.local import LocalProvisioner
from server.settings import Settings


def _local(settings: Settings) -> Provisioner:
    return LocalProvisioner(warm=settings.warm_workers)


def _docker(settings: Settings) -> Provisioner:
    from server.provision.docker import DockerProvisioner, docker_client, require_image

    client = docker_client(settings.docker_host)
    require_image(client, settings.runner_image)
    return DockerProvisioner(client, settings.runner_image)


def _swarm(settings: Settings) -> Provisioner:
    from server.provision.docker import docker_client
    from server.provision.swarm import SwarmProvisioner

    client = docker_client(settings.docker_host)
    return SwarmProvisioner(client, settings.runner_image, settings.artifact_api_url)


PROVISIONERS: dict[str, Callable[[Settings], Provisioner]] = {
    "local": _local,
    "docker": _docker,
    "swarm": _swarm,
}


def make_provisioner(settings: Settings, name: str | None = None) -> Provisioner:
    """The provisioner ``name`` (default: the platform's ``ONTOLAB_PROVISIONER``)."""
    name = name or settings.provisioner
    factory = PROVISIONERS.get(name)
    if factory is None:
        raise ConfigError(
            f"provisioner {name!r} is not available (ONTOLAB_PROVISIONER or ol:provisioner); "
            f"use one of: {', '.join(PROVISIONERS)}"
        )
    return factory(settings)


class ProvisionerPool:
    """The platform's provisioner plus the others experiments ask for, each made on first use.

    Thread-safe: runs starting at once share one instance per name.
    """

    def __init__(self, settings: Settings, default: Provisioner) -> None:
        self._settings = settings
        self.default = default
        self._made: dict[str, Provisioner] = {default.name: default}
        self._lock = threading.Lock()

    def get(self, name: str | None) -> Provisioner:
        if not name:
            return self.default
        with self._lock:
            if name not in self._made:
                made = make_provisioner(self._settings, name)
                made.credentials = self.default.credentials  # its steps get tokens too
                self._made[name] = made
            return self._made[name]

    def close(self) -> None:
        """Close every provisioner this pool made (not the default: its owner closes it)."""
        with self._lock:
            made = [p for p in self._made.values() if p is not self.default]
            self._made = {self.default.name: self.default}
        for provisioner in made:
            provisioner.close()
