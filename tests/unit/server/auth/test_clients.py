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
            client.experiments.list()  # alice reads exp-a only, not the list
        assert narrow.value.status == 403
