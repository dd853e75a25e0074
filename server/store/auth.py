"""How a remote store proves who it is: none, HTTP basic, HTTP digest, bearer token, or
GraphDB's token login (``POST /rest/login`` once, then ``Authorization: GDB <token>``).

Each strategy is a ``requests`` auth object, shared by every thread of the store; the GraphDB
one logs in lazily under a lock and logs in again once if the server forgets its token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from server.errors import ConfigError, StoreError

CREDENTIALS_FIX = (
    "check ONTOLAB_STORE_AUTH, ONTOLAB_STORE_USER and ONTOLAB_STORE_PASSWORD "
    "(or ONTOLAB_STORE_TOKEN)"
)


@dataclass(frozen=True)
class Credentials:
    """What the settings say about auth (``kind`` is one of ``settings.STORE_AUTHS``)."""

    kind: str = "none"
    user: str = ""
    password: str = ""
    token: str = ""
    login_url: str = ""  # GraphDB: BASE/rest/login
    timeout: float = 30.0


class BearerAuth(AuthBase):
    """``Authorization: <scheme> <token>`` on every request."""

    def __init__(self, token: str, scheme: str = "Bearer") -> None:
        self.header = f"{scheme} {token}"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.header
        return request


class GraphDBTokenAuth(AuthBase):
    """GraphDB's token login: the token from ``POST /rest/login`` in the ``GDB`` scheme."""

    def __init__(self, login_url: str, user: str, password: str, timeout: float) -> None:
        self._login_url = login_url
        self._user = user
        self._password = password
        self._timeout = timeout
        self._header: str | None = None
        self._lock = threading.Lock()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._token()
        request.register_hook("response", self._login_again_once)
        return request

    def _token(self, stale: str | None = None) -> str:
        with self._lock:
            if self._header is None or self._header == stale:
                self._header = self._login()
            return self._header

    def _login(self) -> str:
        try:
            reply = requests.post(
                self._login_url,
                json={"username": self._user, "password": self._password},
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise StoreError(
                f"GraphDB login at {self._login_url} failed: {exc}; is GraphDB running there?"
            ) from exc
        token = reply.headers.get("Authorization", "")
        if reply.status_code != 200 or not token:
            raise StoreError(
                f"GraphDB login at {self._login_url} answered HTTP {reply.status_code} "
                f"without a token; {CREDENTIALS_FIX}"
            )
        return token

    def _login_again_once(
        self, response: requests.Response, *args: object, **kwargs: object
    ) -> requests.Response:
        request = response.request
        if response.status_code != 401 or request.headers.get("X-Ontolab-Relogin"):
            return response
        retry = request.copy()
        retry.headers["Authorization"] = self._token(stale=request.headers.get("Authorization"))
        retry.headers["X-Ontolab-Relogin"] = "1"
        response.content  # noqa: B018 — drain it so the connection can be reused
        sent: requests.Response = response.connection.send(retry, timeout=self._timeout)
        return sent


def _basic(c: Credentials) -> AuthBase:
    return HTTPBasicAuth(c.user, c.password)


def _digest(c: Credentials) -> AuthBase:
    return HTTPDigestAuth(c.user, c.password)


def _bearer(c: Credentials) -> AuthBase:
    if not c.token:
        raise ConfigError("ONTOLAB_STORE_AUTH=bearer needs a token; set ONTOLAB_STORE_TOKEN")
    return BearerAuth(c.token)


def _graphdb(c: Credentials) -> AuthBase:
    if not c.login_url:
        raise ConfigError(
            "ONTOLAB_STORE_AUTH=graphdb needs a GraphDB store; "
            "use ONTOLAB_STORE=graphdb:BASE#REPOSITORY or http://HOST:7200/repositories/ID"
        )
    return GraphDBTokenAuth(c.login_url, c.user, c.password, c.timeout)


_STRATEGIES: dict[str, Callable[[Credentials], AuthBase]] = {
    "basic": _basic,
    "digest": _digest,
    "bearer": _bearer,
    "graphdb": _graphdb,
}


def make_auth(credentials: Credentials) -> AuthBase | None:
    """The ``requests`` auth for ``credentials``; ``None`` for ``kind="none"``."""
    if credentials.kind == "none":
        return None
    strategy = _STRATEGIES.get(credentials.kind)
    if strategy is None:
        raise ConfigError(
            f"ONTOLAB_STORE_AUTH={credentials.kind!r} is not an auth strategy; "
            f"use one of: none, {', '.join(_STRATEGIES)}"
        )
    return strategy(credentials)
