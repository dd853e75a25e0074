"""Signing in, tokens, scopes, grants, CSRF, the restricted /sparql and the audit trail."""

from __future__ import annotations

import time
from typing import Any

import pytest
from rdflib import RDFS, Literal

from server.auth.audit import AUDIT_GRAPH
from server.auth.roles import Grant, Role
from server.graph.namespaces import experiment_version_iri, run_iri
from server.tracking import run_notes
from server.tracking.tracked_results import history_graph
from tests.unit.server.auth.conftest import ADMIN_PASSWORD, PASSWORD, AuthApp


def problem(answer: Any, status: int, *fragments: str) -> None:
    assert answer.status_code == status, answer.data
    assert answer.mimetype == "application/problem+json"
    for fragment in fragments:
        assert fragment in answer.json["detail"], answer.json["detail"]


def test_anonymous_is_asked_to_sign_in(auth_app: AuthApp) -> None:
    answer = auth_app.client().get("/api/experiments")
    problem(answer, 401, "needs a signed-in user", "Bearer")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert auth_app.client().get("/api/health").status_code == 200  # public


def test_login_me_and_logout(auth_app: AuthApp) -> None:
    client = auth_app.client()
    signed = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert signed.status_code == 200
    assert signed.json["user"] == "admin" and signed.json["csrf_token"]
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    me = client.get("/api/auth/me").json
    assert me["user"] == "admin" and me["role"] == "admin" and me["via"] == "session"
    assert me["csrf_token"] == signed.json["csrf_token"]
    assert client.get("/api/experiments").status_code == 200
    problem(client.post("/api/auth/logout"), 403, "X-CSRF-Token")  # a forged sign-out too
    client.post("/api/auth/logout", headers={"X-CSRF-Token": me["csrf_token"]})
    assert client.get("/api/auth/me").json["signed_in"] is False
    assert client.get("/api/experiments").status_code == 401


def test_a_new_password_ends_earlier_sessions(auth_app: AuthApp) -> None:
    accounts = auth_app.gate.accounts
    accounts.add_user("dora", PASSWORD)
    accounts.grant(Grant("user:dora", Role.VIEWER))
    client = auth_app.client()
    client.post("/api/auth/login", json={"username": "dora", "password": PASSWORD})
    assert client.get("/api/experiments").status_code == 200
    accounts.set_password("dora", "another-password")
    assert client.get("/api/experiments").status_code == 401
    assert client.get("/api/auth/me").json["signed_in"] is False


@pytest.mark.parametrize(
    "username, password",
    [("admin", "wrong-password"), ("nobody", PASSWORD), ("admin' OR '1'='1", "x" * 10)],
    ids=["bad password", "unknown user", "injected name"],
)
def test_login_refused(auth_app: AuthApp, username: str, password: str) -> None:
    client = auth_app.client()
    answer = client.post("/api/auth/login", json={"username": username, "password": password})
    problem(answer, 401, "unknown user or wrong password")
    assert client.get("/api/auth/me").json["signed_in"] is False


def test_sign_ins_beyond_two_at_once_wait_then_get_a_503(auth_app: AuthApp) -> None:
    gate = auth_app.gate
    wait, gate.sign_in_wait = gate.sign_in_wait, 0.1
    gate.sign_ins.acquire()
    gate.sign_ins.acquire()  # two password checks running
    try:
        body = {"username": "admin", "password": ADMIN_PASSWORD}
        answer = auth_app.client().post("/api/auth/login", json=body)
        problem(answer, 503, "too many sign-ins")
        assert answer.headers["Retry-After"] == "1"
    finally:
        gate.sign_ins.release()
        gate.sign_ins.release()
        gate.sign_in_wait = wait
    assert auth_app.client().post("/api/auth/login", json=body).status_code == 200


def test_login_needs_both_fields(auth_app: AuthApp) -> None:
    answer = auth_app.client().post("/api/auth/login", json={"username": "admin"})
    problem(answer, 400, '"password"')


def test_cookie_writes_need_the_csrf_token(auth_app: AuthApp) -> None:
    client = auth_app.client()
    signed = client.post("/api/auth/login", json={"username": "editor", "password": PASSWORD})
    csrf = signed.json["csrf_token"]
    refused = client.post("/api/auth/tokens", json={"name": "ui"})
    problem(refused, 403, "X-CSRF-Token")
    wrong = client.post("/api/auth/tokens", json={"name": "ui"}, headers={"X-CSRF-Token": "x"})
    problem(wrong, 403, "X-CSRF-Token")
    made = client.post("/api/auth/tokens", json={"name": "ui"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201 and made.json["token"].startswith("olt_")
    assert made.json["scope"] == "viewer"  # the default: read only


def test_token_is_shown_once_and_stored_hashed(auth_app: AuthApp) -> None:
    headers = auth_app.headers("runner")
    client = auth_app.client()
    made = client.post("/api/auth/tokens", json={"name": "ci", "scope": "runner"}, headers=headers)
    token = made.json["token"]
    listed = client.get("/api/auth/tokens", headers=headers).json["tokens"]
    assert made.json["token_id"] in [t["token_id"] for t in listed]
    assert token not in str(listed)
    stored = auth_app.gate.accounts.path.read_bytes()
    assert token.encode() not in stored and token.split("_")[2].encode() not in stored
    assert (
        client.get("/api/experiments", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )


def test_revoked_expired_and_malformed_tokens_are_refused(auth_app: AuthApp) -> None:
    accounts = auth_app.gate.accounts
    client = auth_app.client()
    revoked, info = accounts.create_token("viewer", "old")
    accounts.revoke_token(info.token_id)
    expired, _ = accounts.create_token("viewer", "short", days=0.1 / 86400)
    time.sleep(0.2)
    forged = revoked[:-4] + "AAAA"  # the right id, the wrong secret
    for token in (revoked, expired, forged, "olt_' OR 1=1 --", "not-a-token"):
        answer = client.get("/api/experiments", headers={"Authorization": f"Bearer {token}"})
        problem(answer, 401, "unknown, malformed, expired or revoked")


def test_a_token_cannot_revoke_another_users_token(auth_app: AuthApp) -> None:
    _, info = auth_app.gate.accounts.create_token("editor", "mine")
    answer = auth_app.client().delete(
        f"/api/auth/tokens/{info.token_id}", headers=auth_app.headers("viewer")
    )
    problem(answer, 404, "no token")
    assert not auth_app.gate.accounts.tokens("editor")[-1].revoked


def test_a_token_scope_caps_the_users_role(auth_app: AuthApp) -> None:
    token, _ = auth_app.gate.accounts.create_token("admin", "read only", Role.VIEWER)
    headers = {"Authorization": f"Bearer {token}"}
    client = auth_app.client()
    assert client.get("/api/experiments", headers=headers).status_code == 200
    problem(client.delete("/api/experiments/exp-a", headers=headers), 403, "token's scope")
    wider = client.post("/api/auth/tokens", json={"scope": "admin"}, headers=headers)
    problem(wider, 400, "cannot create")


def test_a_per_experiment_grant_reaches_that_experiment_only(auth_app: AuthApp) -> None:
    client, headers = auth_app.client(), auth_app.headers("alice")
    assert client.get("/api/runs/run-a", headers=headers).status_code not in (401, 403)
    hidden = client.get("/api/runs/run-b", headers=headers)  # whose run it is: not said
    problem(hidden, 403, "needs role viewer on the run's experiment; alice has none")
    problem(hidden, 403, "`ontolab users grant alice viewer --experiment EXPERIMENT`")
    assert "exp-b" not in hidden.json["detail"]
    assert client.get("/api/runs", headers=headers).status_code == 200  # cut to exp-a's
    assert client.get("/api/runs?experiment=exp-a", headers=headers).status_code == 200
    problem(client.get("/api/runs?experiment=exp-b", headers=headers), 403, "'exp-b'")
    refused = client.post("/api/runs", json={"experiment": "exp-b"}, headers=headers)
    problem(refused, 403, "runner on experiment 'exp-b'", "ontolab users grant alice")


def test_a_refusal_names_the_resource_and_the_narrowest_grant(auth_app: AuthApp) -> None:
    """A global viewer (whose checks skip the lookup) is told which experiment, model or run's
    experiment it needs a role on; a user with no grant learns no run's experiment."""
    client, viewer = auth_app.client(), auth_app.headers("viewer")
    refused = client.post("/api/runs", json={"experiment": "exp-b"}, headers=viewer)
    problem(refused, 403, "needs role runner on experiment 'exp-b'; viewer has viewer")
    problem(refused, 403, "`ontolab users grant viewer runner --experiment exp-b`")
    cancel = client.post("/api/runs/run-b/cancel", headers=viewer)
    problem(cancel, 403, "runner on experiment 'exp-b'", "--experiment exp-b`")
    promote = client.post("/api/models/model-b/versions/1/promote", json={}, headers=viewer)
    problem(promote, 403, "editor on model 'model-b'", "--model model-b`")
    auth_app.gate.accounts.add_user("nobody", PASSWORD)
    token = auth_app.gate.accounts.create_token("nobody", "tests", Role.ADMIN)[0]
    headers = {"Authorization": f"Bearer {token}"}
    unnamed = client.post("/api/runs/run-b/cancel", headers=headers)
    problem(unnamed, 403, "needs role runner on the run's experiment; nobody has none")
    assert "exp-b" not in unnamed.json["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/experiments/exp-a%2F..%2Fexp-b",
        "/api/runs/run-a%22%20%7D%20UNION%20%7B",
        "/api/runs/..%2Frun-a",
        "/api/models/model-a%00/versions/1",
    ],
)
def test_path_like_or_injected_identifiers_grant_nothing(auth_app: AuthApp, path: str) -> None:
    answer = auth_app.client().get(path, headers=auth_app.headers("alice"))
    assert answer.status_code in (403, 404), answer.data


def test_sparql_answers_from_readable_graphs_only(auth_app: AuthApp) -> None:
    client = auth_app.client()
    auth_app.client().post("/api/runs", json={"experiment": "x"})  # an audited refusal
    auth_app.gate.audit.flush()
    every = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"

    def graphs(who: str, query: str = every, **params: Any) -> set[str]:
        answer = client.get(
            "/sparql",
            query_string={"query": query, **params},
            headers={**auth_app.headers(who), "Accept": "application/sparql-results+json"},
        )
        assert answer.status_code == 200, answer.data
        return {row["g"]["value"] for row in answer.json["results"]["bindings"]}

    exp_a, exp_b = str(experiment_version_iri("exp-a", 1)), str(experiment_version_iri("exp-b", 1))
    for run_id in ("run-a", "run-b"):
        run_notes.save(auth_app.platform.store, run_id, run_notes.Annotations({"k": "v"}, "n"))
    notes_a, notes_b = (str(run_notes.annotations_graph(r)) for r in ("run-a", "run-b"))
    history_a, history_b = (history_graph(r) for r in ("run-a", "run-b"))
    for history in (history_a, history_b):  # a tracked run's metric points live there
        auth_app.platform.store.add_to_graph(history, [(history, RDFS.label, Literal("h"))])
    alice = graphs("alice")
    assert exp_a in alice and str(run_iri("run-a")) in alice and notes_a in alice
    assert exp_b not in alice and str(run_iri("run-b")) not in alice and notes_b not in alice
    assert str(history_a) in alice and str(history_b) not in alice
    assert str(AUDIT_GRAPH) not in alice
    assert graphs("alice", f"SELECT ?g FROM NAMED <{exp_b}> WHERE {{ GRAPH ?g {{ }} }}") == set()
    assert graphs("alice", every, **{"named-graph-uri": [exp_a, exp_b]}) == {exp_a}
    viewer = graphs("viewer")
    assert {exp_a, exp_b} <= viewer and str(AUDIT_GRAPH) not in viewer
    assert str(AUDIT_GRAPH) in graphs("admin")


def test_writes_allowed_and_refused_are_audited(auth_app: AuthApp) -> None:
    client = auth_app.client()
    client.delete("/api/experiments/exp-b", headers=auth_app.headers("viewer"))  # refused
    client.post("/api/auth/logout")  # allowed
    auth_app.gate.audit.flush()
    rows = auth_app.platform.store.select(
        f"""PREFIX ol: <https://w3id.org/ontolab/ns#> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?agent ?decision ?status ?path WHERE {{ GRAPH <{AUDIT_GRAPH}> {{
          ?a a prov:Activity, ol:AuditedRequest ; prov:wasAssociatedWith ?agent ;
             ol:accessDecision ?decision ; ol:responseStatus ?status ; ol:requestPath ?path ;
             ol:httpMethod ?method ; prov:startedAtTime ?at }} }}"""
    )
    seen = {
        (str(r["agent"]).rsplit("/", 1)[-1], str(r["decision"]), int(r["status"]), str(r["path"]))
        for r in rows
    }
    assert ("viewer", "refused", 403, "/api/experiments/exp-b") in seen
    assert ("anonymous", "allowed", 200, "/api/auth/logout") in seen


def test_auth_off_changes_nothing(platform: Any) -> None:
    from server.app import create_app

    client = create_app(platform=platform).test_client()
    assert client.get("/api/auth/me").json == {"auth": False, "signed_in": False, "user": None}
    assert client.get("/api/experiments").status_code == 200
    problem(client.post("/api/auth/login", json={}), 404, "ONTOLAB_AUTH=on")


def test_experiment_list_shows_a_per_experiment_user_their_experiments(
    auth_app: AuthApp,
) -> None:
    from server import definitions
    from server.definitions.ui_document import to_graph
    from tests.documents import quick_document

    store = auth_app.platform.store
    for identifier in ("listed-a", "listed-b"):
        definitions.submit(store, to_graph(quick_document(identifier)))
    auth_app.gate.accounts.grant(Grant("user:alice", Role.VIEWER, "experiment", "listed-a"))
    client = auth_app.client()

    def listed(who: str) -> set[str]:
        answer = client.get("/api/experiments", headers=auth_app.headers(who))
        assert answer.status_code == 200, answer.data
        return {row["identifier"] for row in answer.json["experiments"]}

    assert "listed-a" in listed("alice") and "listed-b" not in listed("alice")
    assert {"listed-a", "listed-b"} <= listed("viewer")
    auth_app.gate.accounts.add_user("nobody-granted", PASSWORD)
    bare = auth_app.gate.accounts.create_token("nobody-granted")[0]
    answer = client.get("/api/experiments", headers={"Authorization": f"Bearer {bare}"})
    assert answer.status_code == 403


def test_what_a_user_starts_is_associated_with_their_agent(auth_app: AuthApp) -> None:
    from server.auth.check import current_agent

    with auth_app.app.test_request_context("/api/deployments", headers=auth_app.headers("editor")):
        auth_app.gate.check()
        assert current_agent() == "https://w3id.org/ontolab/id/agent/user/editor"
    with auth_app.app.test_request_context("/api/health"):
        auth_app.gate.check()
        assert current_agent() is None
