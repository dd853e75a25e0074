"""/api/auth: sign in and out, who am I, one's own API tokens, the user list (admins).

With auth off, ``me`` says so and the others answer 404 with the setting to turn it on.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, session

from server.api.common import (
    PROBLEM_RESPONSE,
    json_body,
    json_request,
    json_response,
    object_schema,
    path_parameter,
)
from server.auth.check import Gate, current_principal, gate_of, sign_in
from server.auth.principal import Principal
from server.auth.roles import Role
from server.errors import AccountError, AuthRequired, NotFoundError

blueprint = Blueprint("auth", __name__)


def require_gate() -> Gate:
    gate = gate_of(current_app)
    if gate is None:
        raise NotFoundError(
            "authentication is off on this platform; start it with ONTOLAB_AUTH=on "
            "(or `ontolab serve --auth`)"
        )
    return gate


def _caller() -> Principal:
    principal = current_principal()
    if principal is None or not principal.signed_in:  # the gate lets only users through
        raise AuthRequired("sign in first")
    return principal


@blueprint.post("/api/auth/login")
def login() -> dict[str, Any]:
    gate = require_gate()
    body = json_body()
    name, password = body.get("username"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        raise AccountError('send {"username": "NAME", "password": "PASSWORD"}')
    stamp = gate.login(name, password)
    if stamp is None:
        raise AuthRequired("unknown user or wrong password; check both and sign in again")
    return sign_in(name, stamp)


@blueprint.post("/api/auth/logout")
def logout() -> dict[str, Any]:
    require_gate()  # auth off: no session to end
    session.clear()
    return {"signed_in": False}


@blueprint.get("/api/auth/me")
def me() -> dict[str, Any]:
    principal = current_principal()
    if principal is None:
        return {"auth": False, "signed_in": False, "user": None}
    answer = {"auth": True, **principal.to_json()}
    if principal.via == "session":
        answer["csrf_token"] = session.get("csrf")
    return answer


@blueprint.get("/api/auth/tokens")
def list_tokens() -> dict[str, Any]:
    tokens = require_gate().accounts.tokens(_caller().user)
    return {"tokens": [token.to_json() for token in tokens]}


@blueprint.post("/api/auth/tokens")
def create_token() -> tuple[dict[str, Any], int]:
    gate, caller = require_gate(), _caller()
    body = json_body()
    name = body.get("name", "")
    days = body.get("days", 90)
    if not isinstance(name, str) or not (days is None or isinstance(days, int | float)):
        raise AccountError('send {"name": "TEXT", "scope": "viewer", "days": 30}')
    scope = Role.parse(str(body.get("scope", "viewer")))
    if caller.via == "token" and scope > caller.cap:
        raise AccountError(
            f"a {caller.cap.label}-scoped token cannot create a {scope.label}-scoped one; "
            "ask for a narrower scope"
        )
    token, info = gate.accounts.create_token(caller.user, name, scope, days)
    return {"token": token, **info.to_json()}, 201


@blueprint.delete("/api/auth/tokens/<token_id>")
def revoke_token(token_id: str) -> dict[str, Any]:
    require_gate().accounts.revoke_token(token_id, _caller().user)
    return {"token_id": token_id, "revoked": True}


@blueprint.get("/api/auth/users")
def list_users() -> dict[str, Any]:
    accounts = require_gate().accounts
    return {
        "users": accounts.users(),
        "grants": [grant.to_json() for grant in accounts.grants()],
    }


_STRING = {"type": "string"}
_TOKEN = object_schema(
    {
        "token_id": _STRING,
        "user": _STRING,
        "name": _STRING,
        "scope": {"type": "string", "enum": ["viewer", "runner", "editor", "admin"]},
        "created": _STRING,
        "expires": {"type": ["string", "null"]},
        "revoked": {"type": "boolean"},
    },
    ["token_id", "user", "scope", "created", "revoked"],
)
_DAYS = {"type": ["number", "null"]}
_ANY = json_response("the answer", {"type": "object"})
_ERR = {"400": PROBLEM_RESPONSE, "401": PROBLEM_RESPONSE, "403": PROBLEM_RESPONSE}
_ERR_404 = {**_ERR, "404": PROBLEM_RESPONSE}

OPENAPI: dict[str, Any] = {
    "/api/auth/login": {
        "post": {
            "summary": "Sign in: sets the session cookie; returns the CSRF token for writes",
            "requestBody": json_request(
                object_schema({"username": _STRING, "password": _STRING}, ["username", "password"])
            ),
            "responses": {"200": _ANY, **_ERR_404},
        }
    },
    "/api/auth/logout": {
        "post": {
            "summary": "Sign out (clears the session)",
            "responses": {"200": _ANY, "404": PROBLEM_RESPONSE},
        }
    },
    "/api/auth/me": {
        "get": {"summary": "Who am I: user, roles, grants", "responses": {"200": _ANY}}
    },
    "/api/auth/tokens": {
        "get": {
            "summary": "My API tokens (never their secrets)",
            "responses": {"200": _ANY, **_ERR_404},
        },
        "post": {
            "summary": "Create an API token; the token is in this answer only",
            "requestBody": json_request(
                object_schema(
                    {"name": _STRING, "scope": _STRING, "days": {"type": ["number", "null"]}}, []
                )
            ),
            "responses": {"201": json_response("the new token", _TOKEN), **_ERR_404},
        },
    },
    "/api/auth/tokens/{token_id}": {
        "delete": {
            "summary": "Revoke one of my tokens",
            "parameters": [path_parameter("token_id")],
            "responses": {"200": _ANY, **_ERR_404},
        }
    },
    "/api/auth/users": {
        "get": {"summary": "Users and grants (admins)", "responses": {"200": _ANY, **_ERR_404}}
    },
}
