"""Provisioner backends, chosen by one name from the settings (see ``make_provisioner``).

Importing this package stays cheap on purpose: the CLI starts the provisioner before it
imports the rest of the platform, so a warm step parent loads pandas and scikit-learn while
the CLI loads rdflib and validates the definition.
"""

from __future__ import annotations

from collections.abc import Callable

from server.errors import ConfigError
from server.provision.base import Provisioner
from server.provision.local import LocalProvisioner
from server.settings import Settings


def _local(settings: Settings) -> Provisioner:
    return LocalProvisioner(warm=settings.warm_workers)


PROVISIONERS: dict[str, Callable[[Settings], Provisioner]] = {
    "local": _local,
}


def make_provisioner(settings: Settings) -> Provisioner:
    factory = PROVISIONERS.get(settings.provisioner)
    if factory is None:
        raise ConfigError(
            f"ONTOLAB_PROVISIONER={settings.provisioner!r} is not available; "
            f"use one of: {', '.join(PROVISIONERS)}"
        )
    return factory(settings)
