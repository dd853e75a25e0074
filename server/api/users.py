"""/api/users and /api/groups: accounts, group members, grants and users' tokens (admins).

The same ``Accounts`` methods as ``ontolab users`` (``server/auth/cli.py``) do the work, so a
request is checked as the command is: an unknown user is a 404, an unknown role, a bad name or
a weak password a 400, a taken name or a change that would leave no enabled admin a 409, and
in each case nothing is changed. With auth off every route answers 404 with the setting.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from server.api.auth import require_gate
from server.api.common import (
    PROBLEM_RESPONSE,
    json_body,
    json_request,
    json_response,
    object_schema,
    path_parameter,
)
from server.auth.accounts import Accounts
from server.auth.roles import Grant, Role, grant_target

blueprint = Blueprint("users", __name__)


def _accounts() -> Accounts:
    return require_gate().accounts


@blueprint.get("/api/users")
def list_users() -> dict[str, Any]:
    accounts = _accounts()
    grants: dict[str, list[dict[str, str]]] = {}
    for grant in accounts.grants():
        grants.setdefault(grant.principal, []).append(grant.to_json())
    users = [
        {**user, "grants": grants.get(f"user:{user['name']}", [])} for user in accounts.users()
    ]
    return {"users": users}


@blueprint.post("/api/users")
def create_user() -> tuple[dict[str, Any], int]:
    body = json_body()
    role = body.get("role")
    parsed = Role.parse(role) if role is not None else None  # checked before anything is written
    accounts = _accounts()
    accounts.add_user(body.get("name"), body.get("password"), parsed)  # type: ignore[arg-type]
    return accounts.user(body["name"]), 201


@blueprint.get("/api/users/<name>")
def get_user(name: str) -> dict[str, Any]:
    return _accounts().user(name)


@blueprint.post("/api/users/<name>/disable")
def disable_user(name: str) -> dict[str, Any]:
    accounts = _accounts()
    accounts.set_disabled(name, True)
    return accounts.user(name)


@blueprint.post("/api/users/<name>/enable")
def enable_user(name: str) -> dict[str, Any]:
    accounts = _accounts()
    accounts.set_disabled(name, False)
    return accounts.user(name)


@blueprint.put("/api/users/<name>/password")
def reset_password(name: str) -> dict[str, Any]:
    _accounts().set_password(name, json_body().get("password"))  # type: ignore[arg-type]
    return {"name": name, "password_changed": True}


@blueprint.post("/api/users/<name>/grants")
def grant_user(name: str) -> tuple[dict[str, Any], int]:
    return _grant(name), 201


@blueprint.delete("/api/users/<name>/grants")
def revoke_user(name: str) -> dict[str, Any]:
    return _revoke(name)


@blueprint.get("/api/users/<name>/tokens")
def user_tokens(name: str) -> dict[str, Any]:
    return {"tokens": [token.to_json() for token in _accounts().tokens(name)]}


@blueprint.delete("/api/users/<name>/tokens/<token_id>")
def revoke_user_token(name: str, token_id: str) -> dict[str, Any]:
    accounts = _accounts()
    accounts.tokens(name)  # an unknown user: 404 naming the user
    accounts.revoke_token(token_id, name)
    return {"token_id": token_id, "user": name, "revoked": True}


@blueprint.get("/api/groups")
def list_groups() -> dict[str, Any]:
    return {"groups": _accounts().groups()}


@blueprint.post("/api/groups/<group>/members")
def add_member(group: str) -> tuple[dict[str, Any], int]:
    user = json_body().get("user")
    _accounts().add_member(group, user)  # type: ignore[arg-type]
    return {"group": group, "user": user}, 201


@blueprint.delete("/api/groups/<group>/members/<user>")
def remove_member(group: str, user: str) -> dict[str, Any]:
    _accounts().remove_member(group, user)
    return {"group": group, "user": user, "removed": True}


@blueprint.post("/api/groups/<group>/grants")
def grant_group(group: str) -> tuple[dict[str, Any], int]:
    return _grant(f"group:{group}"), 201


@blueprint.delete("/api/groups/<group>/grants")
def revoke_group(group: str) -> dict[str, Any]:
    return _revoke(f"group:{group}")


def _grant(principal: str) -> dict[str, Any]:
    """Grant the body's ``role`` to ``principal``, globally or on its ``experiment`` or
    ``model``."""
    body = json_body()
    role = Role.parse(body.get("role"))  # type: ignore[arg-type]
    who, kind, resource = grant_target(principal, body.get("experiment"), body.get("model"))
    grant = Grant(who, role, kind, resource)
    _accounts().grant(grant)
    return grant.to_json()


def _revoke(principal: str) -> dict[str, Any]:
    """Take back ``principal``'s grant named by ``?experiment=`` / ``?model=`` (neither:
    its global one)."""
    args = request.args
    who, kind, resource = grant_target(principal, args.get("experiment"), args.get("model"))
    _accounts().revoke(who, kind, resource)
    return {"principal": who, "kind": kind, "resource": resource, "revoked": True}


_STRING = {"type": "string"}
_ANY = json_response("the answer", {"type": "object"})
_ERR = {code: PROBLEM_RESPONSE for code in ("400", "401", "403", "404", "409")}
_GRANT_BODY = json_request(
    object_schema(
        {
            "role": {"type": "string", "enum": ["viewer", "runner", "editor", "admin"]},
            "experiment": _STRING,
            "model": _STRING,
        },
        ["role"],
    )
)
_TARGET = [
    {"name": "experiment", "in": "query", "schema": _STRING},
    {"name": "model", "in": "query", "schema": _STRING},
]


def _op(summary: str, *params: str, body: Any = None, code: str = "200") -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [path_parameter(p) for p in params],
        "responses": {code: _ANY, **_ERR},
    }
    if body is not None:
        op["requestBody"] = body
    return op


OPENAPI: dict[str, Any] = {
    "/api/users": {
        "get": _op("Every user with its groups, grants and whether it is disabled (admins)"),
        "post": _op(
            "Add a user, with a global role when given (admins)",
            body=json_request(
                object_schema(
                    {"name": _STRING, "password": _STRING, "role": _STRING}, ["name", "password"]
                )
            ),
            code="201",
        ),
    },
    "/api/users/{name}": {"get": _op("One user (admins)", "name")},
    "/api/users/{name}/disable": {
        "post": _op("Disable a user: no sign-in, its tokens and sessions refused", "name")
    },
    "/api/users/{name}/enable": {"post": _op("Enable a disabled user again", "name")},
    "/api/users/{name}/password": {
        "put": _op(
            "Set a user's password (ends its sessions)",
            "name",
            body=json_request(object_schema({"password": _STRING}, ["password"])),
        )
    },
    "/api/users/{name}/grants": {
        "post": _op(
            "Grant a role, globally or on an experiment or model",
            "name",
            body=_GRANT_BODY,
            code="201",
        ),
        "delete": {
            **_op("Take a grant back", "name"),
            "parameters": [path_parameter("name"), *_TARGET],
        },
    },
    "/api/users/{name}/tokens": {"get": _op("A user's API tokens (never secrets)", "name")},
    "/api/users/{name}/tokens/{token_id}": {
        "delete": _op("Revoke a user's token", "name", "token_id")
    },
    "/api/groups": {"get": _op("Every group with its members and grants (admins)")},
    "/api/groups/{group}/members": {
        "post": _op(
            "Put a user in a group",
            "group",
            body=json_request(object_schema({"user": _STRING}, ["user"])),
            code="201",
        )
    },
    "/api/groups/{group}/members/{user}": {
        "delete": _op("Take a user out of a group", "group", "user")
    },
    "/api/groups/{group}/grants": {
        "post": _op("Grant a role to a group", "group", body=_GRANT_BODY, code="201"),
        "delete": {
            **_op("Take a group's grant back", "group"),
            "parameters": [path_parameter("group"), *_TARGET],
        },
    },
}
