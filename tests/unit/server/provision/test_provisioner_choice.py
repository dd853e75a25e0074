"""Choosing a provisioner: by configuration, and per experiment with ol:provisioner."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import definitions
from server.errors import ConfigError, DefinitionError
from server.provision import ProvisionerPool, make_provisioner
from server.provision.local import LocalProvisioner
from server.runs.service import check_definition
from server.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "breast_cancer.ttl"


def with_provisioner(value: str) -> str:
    return EXAMPLE.read_text().replace("ol:task ", f'ol:provisioner "{value}" ;\n    ol:task ', 1)


def test_settings_accept_every_backend_and_name_the_valid_ones() -> None:
    for name in ("local", "docker", "swarm"):
        assert Settings.load({"provisioner": name}, environ={}).provisioner == name
    with pytest.raises(ConfigError, match="use one of: local, docker, swarm"):
        Settings.load(environ={"ONTOLAB_PROVISIONER": "k8s"})


def test_unknown_backend_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="use one of: local, docker, swarm"):
        make_provisioner(Settings.load(environ={}), "k8s")


def test_pool_gives_the_default_unless_an_experiment_asks_otherwise() -> None:
    default = LocalProvisioner(warm=False)
    pool = ProvisionerPool(Settings.load(environ={}), default)
    assert pool.get(None) is default and pool.get("local") is default
    pool.close()


def test_definition_reads_its_provisioner() -> None:
    _, pipeline, _ = check_definition(definitions.parse(with_provisioner("docker")))
    assert pipeline.provisioner == "docker"
    _, plain, _ = check_definition(definitions.parse(EXAMPLE.read_text()))
    assert plain.provisioner is None


def test_an_unknown_provisioner_in_a_definition_is_refused_with_the_fix() -> None:
    with pytest.raises(DefinitionError, match='ol:provisioner is one of "local", "docker"'):
        check_definition(definitions.parse(with_provisioner("kubernetes")))
