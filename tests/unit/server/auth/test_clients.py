"""The SDK against a live platform with auth on: its token, from the argument or ONTOLAB_TOKEN."""

from __future__ import annotations

import pytest

from ontolab import Client
from ontolab.errors import ApiError
from server.http_server import serving_in_thread
from tests.unit.server.auth.conftest import AuthApp


def test_sdk_sends_its_token(auth_app: AuthApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONTOLAB_TOKEN", raising=False)
    with serving_in_thread(auth_app.app) as url:
        with Client(url, token=auth_app.tokens["viewer"], retries=0) as client:
            assert isinstance(client.experiments.list(), list)
        with Client(url, retries=0) as client, pytest.raises(ApiError) as refused:
            client.experiments.list()
        assert refused.value.status == 401 and "signed-in user" in refused.value.detail
        monkeypatch.setenv("ONTOLAB_TOKEN", auth_app.tokens["alice"])
        with Client(url, retries=0) as client, pytest.raises(ApiError) as narrow:
            client.experiments.get("exp-b")  # alice reads exp-a only
        assert narrow.value.status == 403


def test_mlflow_api_takes_the_token_and_refuses_in_mlflow_s_shape(auth_app: AuthApp) -> None:
    """MLflow's client sends MLFLOW_TRACKING_TOKEN as a bearer token."""
    client = auth_app.client()
    path = "/api/2.0/mlflow/experiments/search"
    refused = client.post(path, json={"max_results": 5})
    assert refused.status_code == 401
    assert refused.json["error_code"] == "UNAUTHENTICATED"
    viewer = client.post(path, json={"max_results": 5}, headers=auth_app.headers("viewer"))
    assert viewer.status_code == 200 and "experiments" in viewer.json
    write = client.post(
        "/api/2.0/mlflow/experiments/create", json={"name": "x"}, headers=auth_app.headers("viewer")
    )
    assert write.status_code == 403 and write.json["error_code"] == "PERMISSION_DENIED"
