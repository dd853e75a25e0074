"""The permission check every request goes through, when auth is on.

:func:`install` adds :meth:`Gate.check` as a ``before_request`` hook: it finds the caller
(a bearer token, else the signed session cookie, else nobody), the route's rule
(``rules.rule_for``) and the experiment or model the request is about (from the view
arguments, the JSON body, or a run's experiment), and refuses with 401 (nobody) or 403 what
the caller's roles do not reach. A write authenticated by the session cookie must carry the
session's CSRF token in ``X-CSRF-Token``. Every write asked, allowed or refused, is queued for
the audit trail by an ``after_request`` hook with its response status.

With auth off nothing is installed and every request behaves as before.
"""

from __future__ import annotations

import hmac
import secrets
import sys
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request, session

from server.auth import graphs
from server.auth.accounts import ACCOUNT_FILE, Accounts
from server.auth.audit import AuditEntry, AuditLog, user_agent
from server.auth.principal import ANONYMOUS, Principal
from server.auth.roles import Grant, Role
from server.auth.rules import SAFE_METHODS, Rule, rule_for
from server.auth.secrets import bearer_token, new_password
from server.auth.task_tokens import TASK_PREFIX, TaskToken, TaskTokens
from server.errors import AuthRequired, ConfigError, PermissionDenied, SignInBusy
from server.graph import queries
from server.graph.namespaces import run_iri
from server.settings import Settings
from server.store import Store
from server.store.base import Dataset

CSRF_HEADER = "X-CSRF-Token"
SECRET_FILE = "auth.secret"
_EXTENSION = "ontolab.auth"
_SIGN_IN = (
    "send Authorization: Bearer TOKEN (an admin creates one with `ontolab users token create "
    "USER`) or sign in at /login"
)


@dataclass
class Gate:
    """The check, its accounts and its audit trail. Thread-safe (its parts are)."""

    accounts: Accounts
    audit: AuditLog
    store: Store
    tasks: TaskTokens | None = None  # the run-scoped tokens of swarm steps
    # Password checks running at once: each burns ~0.3 s of a core (PBKDF2), so a flood of
    # sign-ins must not take every core from the requests being served.
    sign_ins: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(2)
    )
    sign_in_wait: float = 5.0  # seconds a sign-in waits for a free check

    def login(self, name: str, password: str) -> str | None:
        """The session stamp of ``name`` if ``password`` is theirs, else None; SignInBusy when
        two checks are running and neither ends within ``sign_in_wait``."""
        if not self.sign_ins.acquire(timeout=self.sign_in_wait):
            raise SignInBusy("too many sign-ins are being checked at once; retry in a second")
        try:
            stamp = self.accounts.session_stamp(name)
            return stamp if self.accounts.login(name, password) and stamp else None
        finally:
            self.sign_ins.release()

    def principal(self) -> Principal:
        """The caller of the current request (AuthRequired for a bad bearer token)."""
        token = bearer_token(request.headers.get("Authorization", ""))
        if token is not None and token.startswith(TASK_PREFIX) and self.tasks is not None:
            task = g.task = self.tasks.check(token)
            if task is None:
                raise AuthRequired(
                    "the step's artifact token is unknown, expired or revoked (its step or run "
                    "has ended); a step gets a fresh one each time it runs"
                )
            return Principal(f"task:{task.run_id}", (), Role.VIEWER, "task", task.token_id)
        if token is not None:
            info = self.accounts.check_token(token)
            if info is None:
                raise AuthRequired(
                    "the bearer token is unknown, malformed, expired or revoked; create a new "
                    "one (`ontolab users token create USER`, or the UI's tokens page)"
                )
            return self.accounts.principal(info.user, "token", info.scope, info.token_id)
        name, stamp = session.get("user"), session.get("stamp")
        if isinstance(name, str) and isinstance(stamp, str):
            current = self.accounts.session_stamp(name)
            if current is not None and hmac.compare_digest(current, stamp):
                return self.accounts.principal(name, "session")
        return ANONYMOUS

    def check(self) -> None:
        """The ``before_request`` hook."""
        g.auth_decision = "refused"
        principal = g.principal = self.principal()
        if request.url_rule is None:  # no route: Flask answers 404/405 itself
            g.auth_decision = "allowed"
            return
        endpoint = request.url_rule.endpoint
        rule = rule_for(endpoint)
        if rule is None:
            raise PermissionDenied(
                f"route {endpoint} has no permission rule, so it is refused; add its line to "
                "RULES in server/auth/rules.py"
            )
        if principal.via == "task":
            _check_task(g.task, endpoint)
        else:
            if principal.via == "session" and request.method not in SAFE_METHODS:
                _check_csrf()
            self._decide(principal, rule)
        g.auth_decision = "allowed"

    def _decide(self, principal: Principal, rule: Rule) -> None:
        if rule.kind == "public":
            return
        if not principal.signed_in:
            raise AuthRequired(
                f"{request.method} {request.path} needs a signed-in user; {_SIGN_IN}"
            )
        if rule.kind == "signed_in" or rule.role is None:
            return
        resource = self._resource(principal, rule)
        if rule.kind == "listing" and resource is None and principal.scoped:
            return  # the view lists only what the caller's grants reach
        kind = _CHECKED_ON.get(rule.kind, rule.kind)
        held = principal.role_on(kind, resource)
        if kind == "model" and resource is not None and rule.role == Role.VIEWER:
            through = self._through_experiments(principal, resource)
            held = through if through and (held is None or held < through) else held
        if held is None or held < rule.role:
            on, grant = self._refused_on(principal, rule, kind, resource, held)
            raise PermissionDenied(
                f"{request.method} {request.path} needs role {rule.role.label}{on}; "
                f"{principal.user} has {held.label if held else 'none'}"
                + (" (capped by the token's scope)" if principal.via == "token" else "")
                + f"; an admin grants it: `ontolab users grant {principal.user} "
                f"{rule.role.label}{grant}`"
            )

    def _refused_on(
        self, principal: Principal, rule: Rule, kind: str, resource: str | None, held: Role | None
    ) -> tuple[str, str]:
        """What a refusal says the role is needed on, and the narrowest grant option."""
        global_role = principal.role_on()
        if rule.kind in ("run", "deployment") and held is None and not global_role:
            # Whose run (deployment) it is comes from the store: a caller who may read
            # nothing of it is not told (the native API and MLflow's alike).
            return f" on the {rule.kind}'s {kind}", f" --{kind} {kind.upper()}"
        if resource is None and (rule.kind in ("experiment", "model") or global_role):
            # Looked up only now (an unscoped caller's checks skip it), to name the
            # experiment or model and the narrowest grant that would do.
            resource = self._resource(principal, rule, named=True)
        if not resource or kind == "global":
            return "", ""
        return f" on {kind} {resource!r}", f" --{kind} {resource}"

    def _resource(self, principal: Principal, rule: Rule, named: bool = False) -> str | None:
        """The experiment or model the request is about (None: only global grants count,
        unless ``named``: then whenever the request names one)."""
        if rule.kind == "global" or not (principal.scoped or named):
            return None
        if rule.source == "body":
            body = request.get_json(silent=True)
            value = body.get(rule.arg) if isinstance(body, dict) else None
        elif rule.source == "args":
            value = request.args.get(rule.arg)
        else:
            value = (request.view_args or {}).get(rule.arg)
        if isinstance(value, str) and rule.part is not None:
            parts = value.strip("/").split("/")
            value = parts[rule.part] if len(parts) > rule.part else None
        if not isinstance(value, str) or not value:
            return None
        if rule.kind == "run":
            rows = queries.select(self.store, "auth_run_experiment", run=run_iri(value))
            return str(rows[0]["identifier"]) if rows else None
        if rule.kind == "deployment":
            rows = queries.select(self.store, "auth_deployment_model", id=value)
            return str(rows[0]["name"]) if rows else None
        return value

    def _through_experiments(self, principal: Principal, model: str) -> Role | None:
        """Viewer when an experiment the caller holds a grant on built a version of
        ``model``: an experiment grant reads its models (never changes them)."""
        return Role.VIEWER if model in self._experiment_models(principal) else None

    def readable_models(self, principal: Principal) -> frozenset[str]:
        """The models ``principal`` is granted by name or reads through an experiment."""
        return frozenset(principal.readable("model")) | self._experiment_models(principal)

    def _experiment_models(self, principal: Principal) -> frozenset[str]:
        """The registered models runs of the caller's granted experiments built."""
        granted = principal.readable("experiment")
        if not granted:
            return frozenset()
        rows = queries.select(self.store, "auth_models_of_experiments", identifiers=granted)
        return frozenset(str(row["name"]) for row in rows)

    def record(self, response: Response) -> Response:
        """The ``after_request`` hook: queue every write for the audit trail."""
        if request.method not in SAFE_METHODS:
            principal: Principal = g.get("principal", ANONYMOUS)
            endpoint = request.url_rule.endpoint if request.url_rule else ""
            self.audit.record(
                AuditEntry(
                    principal.user,
                    request.method,
                    request.path,
                    endpoint,
                    g.get("auth_decision") == "allowed",
                    response.status_code,
                    principal.token_id,
                )
            )
        return response

    def close(self) -> None:
        self.audit.close()
        self.accounts.close()
        if self.tasks is not None:
            self.tasks.close()


#: What a rule's role is checked on, when not the rule's kind itself.
_CHECKED_ON = {"run": "experiment", "listing": "experiment", "deployment": "model"}


def _check_task(task: TaskToken, endpoint: str) -> None:
    """A step's artifact token pushes artifacts and reads the step's inputs, nothing else."""
    sha256 = (request.view_args or {}).get("sha256")
    if not task.may(endpoint, sha256 if isinstance(sha256, str) else None):
        raise PermissionDenied(
            f"{request.method} {request.path} is beyond a step's artifact token (run "
            f"{task.run_id}, step {task.step_id}): it only pushes artifacts and reads the "
            "step's own inputs; use a user's token"
        )


def _check_csrf() -> None:
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER, "")
    if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise PermissionDenied(
            f"a write signed in by the session cookie must carry the session's CSRF token in "
            f"{CSRF_HEADER} (GET /api/auth/me returns it); send it, or use a bearer token"
        )


def install(app: Flask, settings: Settings, store: Store) -> Gate | None:
    """Put the check in front of every route of ``app`` when ``settings.auth`` is on."""
    if not settings.auth:
        return None
    accounts = Accounts(settings.data / ACCOUNT_FILE)
    _first_admin(accounts, settings)
    gate = Gate(accounts, AuditLog(store), store, TaskTokens(settings.data / ACCOUNT_FILE))
    app.secret_key = _secret_key(settings.data / SECRET_FILE)
    app.config.update(
        SESSION_COOKIE_NAME="ontolab_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.platform_url.startswith("https:"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
    )
    app.extensions[_EXTENSION] = gate
    app.before_request(gate.check)
    app.after_request(gate.record)
    return gate


def gate_of(app: Flask) -> Gate | None:
    """The app's gate; None with auth off."""
    gate: Gate | None = app.extensions.get(_EXTENSION)
    return gate


def current_principal() -> Principal | None:
    """The caller of the current request; None with auth off."""
    principal: Principal | None = g.get("principal")
    return principal


def current_agent() -> str | None:
    """The signed-in caller's agent IRI (``prov:wasAssociatedWith``); None: not known."""
    principal = current_principal()
    return str(user_agent(principal.user)) if principal and principal.signed_in else None


def visible_experiments() -> frozenset[str] | None:
    """The experiments a listing may show the caller; None for all (auth off, global role)."""
    principal = current_principal()
    if principal is None or principal.role_on() is not None:
        return None
    return frozenset(principal.readable("experiment"))


def restricted_dataset(store: Store, query: str | None, asked: Dataset | None) -> Dataset | None:
    """The dataset a client query runs on: ``asked`` as is with auth off, else cut to the
    graphs the caller may read (``graphs.restrict``)."""
    principal = current_principal()
    return asked if principal is None else graphs.restrict(store, principal, query, asked)


def sign_in(name: str, stamp: str) -> dict[str, Any]:
    """Start a session for ``name``: the signed cookie carries the user, the password's stamp
    (``Accounts.session_stamp``) and a CSRF token."""
    session.clear()
    session.permanent = True
    session["user"] = name
    session["stamp"] = stamp
    session["csrf"] = secrets.token_urlsafe(32)
    return {"user": name, "csrf_token": session["csrf"]}


def _first_admin(accounts: Accounts, settings: Settings) -> None:
    """On the first start with auth on, create ``admin`` (password from
    ONTOLAB_ADMIN_PASSWORD, else a random one printed once)."""
    if accounts.has_users():
        return
    password = settings.admin_password or new_password()
    accounts.add_user("admin", password)
    accounts.grant(Grant("user:admin", Role.ADMIN))
    if not settings.admin_password:
        print(
            f"ontolab: created user 'admin' with password {password} (shown once; change it "
            "with `ontolab users passwd admin`)",
            file=sys.stderr,
            flush=True,
        )


def _secret_key(path: Path) -> bytes:
    """The key sessions are signed with: made once per data dir, readable by its owner only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(0o600)
        path.write_bytes(secrets.token_bytes(32))
    return path.read_bytes()


def check_exposure(settings: Settings) -> None:
    """Refuse to serve a non-loopback address without auth unless ``allow_no_auth`` says so."""
    from server.http_guard import is_loopback

    if not settings.auth and not settings.allow_no_auth and not is_loopback(settings.host):
        raise ConfigError(
            f"refusing to serve {settings.host} without authentication: anyone who reaches it "
            "could delete experiments and start deployments; turn auth on (--auth or "
            "ONTOLAB_AUTH=on), bind 127.0.0.1, or say --no-auth (ONTOLAB_ALLOW_NO_AUTH=on) "
            "for a trusted network"
        )


def auth_banner(settings: Settings) -> str:
    """The start-up line saying whether requests need a user."""
    if settings.auth:
        return "Authentication on: requests need a token or a session (`ontolab users …`)"
    return "Authentication off: every request may do everything (turn on with --auth)"


def close_auth(app: Flask) -> None:
    """Write the queued audit entries and close the account file (auth on)."""
    gate = gate_of(app)
    if gate is not None:
        gate.close()
