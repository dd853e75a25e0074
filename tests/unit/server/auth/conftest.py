"""An app with auth on over a real store: users of every role, with tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Literal, URIRef

from server.app import create_app
from server.auth.check import Gate, close_auth, gate_of
from server.auth.roles import Grant, Role
from server.graph.namespaces import DCTERMS, OL, RDF, experiment_version_iri, run_iri
from server.platform import Platform, open_platform
from server.settings import Settings

ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "a-long-password"


@dataclass
class AuthApp:
    """The app, its gate and a token per caller name (``None``: anonymous)."""

    app: Flask
    gate: Gate
    platform: Platform
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}


def add_run(platform: Platform, experiment: str, run_id: str) -> None:
    """A stored version of ``experiment`` and one run of it: what the check reads of them."""
    version = experiment_version_iri(experiment, 1)
    platform.store.add_to_graph(
        version,
        [
            (version, RDF.type, OL.ExperimentVersion),
            (version, DCTERMS.identifier, Literal(experiment)),
        ],
    )
    platform.store.add_to_graph(
        run_iri(run_id),
        [(run_iri(run_id), RDF.type, OL.Run), (run_iri(run_id), OL.ofExperimentVersion, version)],
    )


def add_deployment(platform: Platform, deployment_id: str, model: str) -> None:
    """What the check reads of a deployment: its id and the model it serves."""
    node = URIRef(f"https://example.org/deployment/{deployment_id}")
    platform.store.add_to_graph(
        node,
        [
            (node, RDF.type, OL.ModelDeployment),
            (node, OL.deploymentId, Literal(deployment_id)),
            (node, OL.servedModelName, Literal(model)),
        ],
    )


@pytest.fixture(scope="module")
def auth_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthApp]:
    data: Path = tmp_path_factory.mktemp("auth") / "data"
    settings = Settings.load(
        {"data": data, "auth": True, "admin_password": ADMIN_PASSWORD, "warm_workers": False},
        environ={},
    )
    platform = open_platform(settings)
    app = create_app(platform=platform)
    gate = gate_of(app)
    assert gate is not None
    accounts = gate.accounts
    made = AuthApp(app, gate, platform)
    for role in Role:
        name = role.label
        if name != "admin":
            accounts.add_user(name, PASSWORD)
        accounts.grant(Grant(f"user:{name}", role))
        made.tokens[name] = accounts.create_token(name, "tests", Role.ADMIN)[0]
    accounts.add_user("alice", PASSWORD)  # editor on exp-a only, viewer on model-a only
    accounts.add_member("team-a", "alice")
    accounts.grant(Grant("group:team-a", Role.EDITOR, "experiment", "exp-a"))
    accounts.grant(Grant("user:alice", Role.VIEWER, "model", "model-a"))
    made.tokens["alice"] = accounts.create_token("alice", "tests", Role.ADMIN)[0]
    add_run(platform, "exp-a", "run-a")
    add_run(platform, "exp-b", "run-b")
    add_deployment(platform, "dep-a", "model-a")
    add_deployment(platform, "dep-b", "model-b")
    yield made
    close_auth(app)
    platform.close()
