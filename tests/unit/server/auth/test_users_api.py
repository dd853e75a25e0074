"""The admin API (/api/users, /api/groups): each change, and each bad request changing nothing."""

from __future__ import annotations

from typing import Any

import pytest

from server.auth.roles import Grant, Role
from tests.unit.server.auth.conftest import PASSWORD, AuthApp
from tests.unit.server.auth.test_auth_api import problem


def call(auth_app: AuthApp, method: str, path: str, who: str = "admin", **kw: Any) -> Any:
    return auth_app.client().open(path, method=method, headers=auth_app.headers(who), **kw)


def snapshot(auth_app: AuthApp) -> tuple[Any, ...]:
    accounts = auth_app.gate.accounts
    return (accounts.users(), accounts.grants(), accounts.groups(), accounts.tokens())


def test_create_grant_disable_and_reset_a_user(auth_app: AuthApp) -> None:
    made = call(auth_app, "POST", "/api/users", json={"name": "erin", "password": PASSWORD})
    assert made.status_code == 201 and made.json["name"] == "erin"
    assert made.json["disabled"] is False and made.json["grants"] == []
    answer = call(
        auth_app, "POST", "/api/users/erin/grants", json={"role": "runner", "experiment": "exp-a"}
    )
    assert answer.status_code == 201
    assert answer.json == {
        "principal": "user:erin",
        "role": "runner",
        "kind": "experiment",
        "resource": "exp-a",
    }
    listed = {u["name"]: u for u in call(auth_app, "GET", "/api/users").json["users"]}
    assert listed["erin"]["grants"] == [answer.json]
    token = auth_app.gate.accounts.create_token("erin", "t", Role.ADMIN)[0]
    erin = {"Authorization": f"Bearer {token}"}
    assert auth_app.client().get("/api/experiments/exp-a", headers=erin).status_code != 403
    # disabled: its token is refused, it cannot sign in; enabled again, both work
    assert call(auth_app, "POST", "/api/users/erin/disable").json["disabled"] is True
    assert auth_app.client().get("/api/auth/me", headers=erin).status_code == 401
    signed = auth_app.client().post(
        "/api/auth/login", json={"username": "erin", "password": PASSWORD}
    )
    assert signed.status_code == 401
    assert call(auth_app, "POST", "/api/users/erin/enable").json["disabled"] is False
    assert auth_app.client().get("/api/auth/me", headers=erin).json["user"] == "erin"
    # a new password: the old one no longer signs in
    assert (
        call(
            auth_app, "PUT", "/api/users/erin/password", json={"password": "brand-new-pass"}
        ).status_code
        == 200
    )
    assert not auth_app.gate.accounts.login("erin", PASSWORD)
    assert auth_app.gate.accounts.login("erin", "brand-new-pass")
    revoked = call(
        auth_app, "DELETE", "/api/users/erin/grants", query_string={"experiment": "exp-a"}
    )
    assert revoked.json["revoked"] is True and auth_app.gate.accounts.grants(("user:erin",)) == []


def test_groups_members_and_group_grants(auth_app: AuthApp) -> None:
    auth_app.gate.accounts.add_user("gil", PASSWORD)
    assert (
        call(auth_app, "POST", "/api/groups/team-g/members", json={"user": "gil"}).status_code
        == 201
    )
    granted = call(
        auth_app, "POST", "/api/groups/team-g/grants", json={"role": "viewer", "model": "model-a"}
    )
    assert granted.status_code == 201 and granted.json["principal"] == "group:team-g"
    groups = {g["name"]: g for g in call(auth_app, "GET", "/api/groups").json["groups"]}
    assert groups["team-g"]["members"] == ["gil"]
    assert groups["team-g"]["grants"] == [granted.json]
    assert (
        call(
            auth_app, "DELETE", "/api/groups/team-g/grants", query_string={"model": "model-a"}
        ).status_code
        == 200
    )
    assert call(auth_app, "DELETE", "/api/groups/team-g/members/gil").status_code == 200
    assert auth_app.gate.accounts.groups_of("gil") == ()


def test_list_and_revoke_a_users_tokens(auth_app: AuthApp) -> None:
    auth_app.gate.accounts.add_user("tod", PASSWORD)
    token, info = auth_app.gate.accounts.create_token("tod", "laptop", Role.VIEWER)
    listed = call(auth_app, "GET", "/api/users/tod/tokens").json["tokens"]
    assert [t["token_id"] for t in listed] == [info.token_id] and "token" not in listed[0]
    gone = call(auth_app, "DELETE", f"/api/users/tod/tokens/{info.token_id}")
    assert gone.status_code == 200
    assert auth_app.gate.accounts.check_token(token) is None
    # another user's token id under this user's name: not found, not revoked
    other = auth_app.gate.accounts.create_token("viewer", "x", Role.VIEWER)[1]
    problem(call(auth_app, "DELETE", f"/api/users/tod/tokens/{other.token_id}"), 404, "no token")
    assert not auth_app.gate.accounts.tokens("viewer")[-1].revoked


BAD: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("POST", "/api/users", {"json": {"name": "admin", "password": PASSWORD}}, 409, "exists"),
    ("POST", "/api/users", {"json": {"name": "new1", "password": "short"}}, 400, "at least 8"),
    ("POST", "/api/users", {"json": {"name": "new2", "password": ""}}, 400, "at least 8"),
    ("POST", "/api/users", {"json": {"name": "new3"}}, 400, "at least 8"),
    (
        "POST",
        "/api/users",
        {"json": {"name": "new4", "password": PASSWORD, "role": "owner"}},
        400,
        "not a role",
    ),
    (
        "POST",
        "/api/users",
        {"json": {"name": "../x", "password": PASSWORD}},
        400,
        "not a valid user name",
    ),
    ("POST", "/api/users", {"data": "nope"}, 400, "JSON object"),
    ("GET", "/api/users/zed", {}, 404, "no user 'zed'"),
    ("POST", "/api/users/zed/disable", {}, 404, "no user 'zed'"),
    ("PUT", "/api/users/zed/password", {"json": {"password": PASSWORD}}, 404, "no user 'zed'"),
    ("PUT", "/api/users/viewer/password", {"json": {"password": "weak"}}, 400, "at least 8"),
    ("POST", "/api/users/zed/grants", {"json": {"role": "viewer"}}, 404, "no user 'zed'"),
    ("POST", "/api/users/viewer/grants", {"json": {"role": "owner"}}, 400, "not a role"),
    ("POST", "/api/users/viewer/grants", {"json": {}}, 400, "not a role"),
    (
        "POST",
        "/api/users/viewer/grants",
        {"json": {"role": "admin", "experiment": "e", "model": "m"}},
        400,
        "not both",
    ),
    (
        "DELETE",
        "/api/users/viewer/grants",
        {"query_string": {"model": "nothing"}},
        404,
        "no model grant",
    ),
    ("GET", "/api/users/zed/tokens", {}, 404, "no user 'zed'"),
    ("DELETE", "/api/users/zed/tokens/abc", {}, 404, "no user 'zed'"),
    ("POST", "/api/groups/team-z/members", {"json": {"user": "zed"}}, 404, "no user 'zed'"),
    ("POST", "/api/groups/team-z/members", {"json": {}}, 400, "not a valid user name"),
    ("DELETE", "/api/groups/team-z/members/viewer", {}, 404, "not in group"),
    (
        "POST",
        "/api/groups/bad%20name/grants",
        {"json": {"role": "viewer"}},
        400,
        "not a valid group name",
    ),
    # the last enabled admin: neither disabled, removed from admin, nor lowered
    ("POST", "/api/users/admin/disable", {}, 409, "no enabled admin"),
    ("DELETE", "/api/users/admin/grants", {}, 409, "no enabled admin"),
    ("POST", "/api/users/admin/grants", {"json": {"role": "viewer"}}, 409, "no enabled admin"),
]


@pytest.mark.parametrize(
    "method, path, kw, status, fragment", BAD, ids=[f"{m} {p} {f}" for m, p, _, _, f in BAD]
)
def test_bad_requests_change_nothing(
    auth_app: AuthApp, method: str, path: str, kw: dict[str, Any], status: int, fragment: str
) -> None:
    before = snapshot(auth_app)
    problem(call(auth_app, method, path, **kw), status, fragment)
    assert snapshot(auth_app) == before


def test_a_second_admin_may_disable_the_first_then_not_itself(auth_app: AuthApp) -> None:
    accounts = auth_app.gate.accounts
    accounts.add_user("root2", PASSWORD)
    accounts.add_member("admins", "root2")
    accounts.grant(Grant("group:admins", Role.ADMIN))  # admin through a group counts
    assert call(auth_app, "POST", "/api/users/admin/disable").status_code == 200
    token = accounts.create_token("root2", "t", Role.ADMIN)[0]
    headers = {"Authorization": f"Bearer {token}"}
    refused = auth_app.client().delete("/api/groups/admins/members/root2", headers=headers)
    problem(refused, 409, "no enabled admin")
    assert auth_app.client().post("/api/users/admin/enable", headers=headers).status_code == 200
    assert auth_app.client().delete("/api/groups/admins/grants", headers=headers).status_code == 200


@pytest.mark.parametrize("who", ["editor", "alice", None])
def test_only_admins_reach_the_admin_api(auth_app: AuthApp, who: str | None) -> None:
    before = snapshot(auth_app)
    answer = auth_app.client().post(
        "/api/users", json={"name": "sneaky", "password": PASSWORD}, headers=auth_app.headers(who)
    )
    assert answer.status_code == (401 if who is None else 403)
    assert snapshot(auth_app) == before
