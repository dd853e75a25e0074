"""The account file: users, groups, grants and tokens in SQLite (``DATA/auth.sqlite``).

Thread-safe: one connection behind a lock; each method is one transaction. Other processes
(``ontolab users …`` while the server runs) may write the same file: SQLite serializes them
and every read sees the last commit, so a revoked token is refused from the next request on.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.auth import secrets as sec
from server.auth.principal import Principal
from server.auth.roles import Grant, Role, check_name, check_resource
from server.errors import AccountConflict, AccountError, NotFoundError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, password TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS members (
  group_name TEXT NOT NULL, user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  PRIMARY KEY (group_name, user_name));
CREATE TABLE IF NOT EXISTS grants (
  principal TEXT NOT NULL, role INTEGER NOT NULL, kind TEXT NOT NULL, resource TEXT NOT NULL,
  PRIMARY KEY (principal, kind, resource));
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  hash TEXT NOT NULL, name TEXT NOT NULL, scope INTEGER NOT NULL, created REAL NOT NULL,
  expires REAL, revoked INTEGER NOT NULL DEFAULT 0);
"""
# Enabled users holding admin globally, themselves or through a group: never let it reach 0.
_ADMINS = """
SELECT COUNT(*) FROM users u WHERE u.disabled = 0 AND (
  EXISTS (SELECT 1 FROM grants g WHERE g.principal = 'user:' || u.name AND g.kind = 'global'
          AND g.role >= 4)
  OR EXISTS (SELECT 1 FROM members m JOIN grants g ON g.principal = 'group:' || m.group_name
             WHERE m.user_name = u.name AND g.kind = 'global' AND g.role >= 4))
"""
ACCOUNT_FILE = "auth.sqlite"


@dataclass(frozen=True)
class TokenInfo:
    """A token's row, never its secret."""

    token_id: str
    user: str
    name: str
    scope: Role
    created: float
    expires: float | None
    revoked: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "token_id": self.token_id,
            "user": self.user,
            "name": self.name,
            "scope": self.scope.label,
            "created": _iso(self.created),
            "expires": _iso(self.expires) if self.expires else None,
            "revoked": self.revoked,
        }

    def usable(self, now: float) -> bool:
        return not self.revoked and (self.expires is None or now < self.expires)


class Accounts:
    """Users, groups, grants and tokens of one data dir."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(users)")}
        if "disabled" not in columns:  # an account file made before users could be disabled
            self._db.execute("ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0")
        path.chmod(0o600)

    @contextmanager
    def _tx(self, keep_admin: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction; ``keep_admin``: roll it back with AccountConflict when it would take
        the last enabled global admin away."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                admins = self._db.execute(_ADMINS).fetchone()[0] if keep_admin else 0
                yield self._db
                if admins and not self._db.execute(_ADMINS).fetchone()[0]:
                    raise AccountConflict(
                        "that would leave no enabled admin, and nobody could manage users any "
                        "more; grant admin to another user first (`ontolab users grant NAME "
                        "admin`)"
                    )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # Users and groups

    def add_user(self, name: str, password: str, role: Role | None = None) -> None:
        """Add user ``name``, with a global ``role`` when given (one transaction)."""
        check_name(name)
        stored = _checked_hash(password)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise AccountConflict(f"user {name!r} exists; pick another name or remove it first")
            db.execute(
                "INSERT INTO users (name, password, created) VALUES (?, ?, ?)",
                (name, stored, time.time()),
            )
            if role is not None:
                db.execute(
                    "INSERT INTO grants VALUES (?, ?, 'global', '')", (f"user:{name}", int(role))
                )

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable ``name`` (no sign-in, its tokens and sessions refused) or enable it again."""
        with self._tx(keep_admin=True) as db:
            sql = "UPDATE users SET disabled = ? WHERE name = ?"
            if not db.execute(sql, (int(disabled), name)).rowcount:
                raise _no_user(name)

    def set_password(self, name: str, password: str) -> None:
        stored = _checked_hash(password)
        with self._tx() as db:
            sql = "UPDATE users SET password = ? WHERE name = ?"
            if not db.execute(sql, (stored, name)).rowcount:
                raise _no_user(name)

    def remove_user(self, name: str) -> None:
        with self._tx(keep_admin=True) as db:
            if not db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount:
                raise _no_user(name)
            db.execute("DELETE FROM grants WHERE principal = ?", (f"user:{name}",))

    def users(self) -> list[dict[str, Any]]:
        """Every user with its groups and grants (no password)."""
        groups: dict[str, list[str]] = {}
        for group, user in self._rows("SELECT group_name, user_name FROM members ORDER BY 1"):
            groups.setdefault(user, []).append(group)
        rows = self._rows("SELECT name, created, disabled FROM users ORDER BY name")
        return [
            {
                "name": name,
                "created": _iso(created),
                "groups": groups.get(name, []),
                "disabled": bool(disabled),
            }
            for name, created, disabled in rows
        ]

    def user(self, name: str) -> dict[str, Any]:
        """One user as in :meth:`users`, with its own grants; NotFoundError if none."""
        found = [user for user in self.users() if user["name"] == name]
        if not found:
            raise _no_user(name)
        grants = self.grants((f"user:{name}",))
        return {**found[0], "grants": [grant.to_json() for grant in grants]}

    def has_users(self) -> bool:
        return bool(self._rows("SELECT 1 FROM users LIMIT 1"))

    def login(self, name: str, password: str) -> bool:
        """Whether ``password`` is ``name``'s (the only place a password is checked)."""
        rows = self._rows("SELECT password, disabled FROM users WHERE name = ?", name)
        stored = rows[0][0] if rows else _unknown_user_hash()  # the same work either way
        return sec.check_password(password, stored) and bool(rows) and not rows[0][1]

    def session_stamp(self, name: str) -> str | None:
        """What a session of ``name`` carries to stay valid: it changes with the password, so
        a new password (or a removed user) ends every session signed in before; None: no
        such user."""
        rows = self._rows("SELECT password FROM users WHERE name = ? AND disabled = 0", name)
        return sec.secret_hash(rows[0][0])[:32] if rows else None

    def exists(self, name: str) -> bool:
        return bool(self._rows("SELECT 1 FROM users WHERE name = ?", name))

    def add_member(self, group: str, user: str) -> None:
        check_name(group, "group")
        check_name(user)
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone():
                raise _no_user(user)
            db.execute("INSERT OR IGNORE INTO members VALUES (?, ?)", (group, user))

    def remove_member(self, group: str, user: str) -> None:
        """Take ``user`` out of ``group``; NotFoundError when not in it."""
        with self._tx(keep_admin=True) as db:
            sql = "DELETE FROM members WHERE group_name = ? AND user_name = ?"
            if not db.execute(sql, (group, user)).rowcount:
                raise NotFoundError(
                    f"user {user!r} is not in group {group!r}; see `ontolab users list`"
                )

    def principal(
        self, name: str, via: str, cap: Role = Role.ADMIN, token_id: str = ""
    ) -> Principal:
        """``name`` as a caller: the grants of the user and of the user's groups."""
        principals = (f"user:{name}", *(f"group:{g}" for g in self.groups_of(name)))
        return Principal(name, tuple(self.grants(principals)), cap, via, token_id)

    def groups(self) -> list[dict[str, Any]]:
        """Every group (a group exists while it has members or grants): members and grants."""
        found: dict[str, dict[str, Any]] = {}
        for group, user in self._rows("SELECT group_name, user_name FROM members"):
            found.setdefault(group, {"name": group, "members": [], "grants": []})
            found[group]["members"].append(user)
        for grant in self.grants():
            what, _, group = grant.principal.partition(":")
            if what == "group":
                found.setdefault(group, {"name": group, "members": [], "grants": []})
                found[group]["grants"].append(grant.to_json())
        return [
            {**found[name], "members": sorted(found[name]["members"])} for name in sorted(found)
        ]

    def groups_of(self, user: str) -> tuple[str, ...]:
        rows = self._rows("SELECT group_name FROM members WHERE user_name = ?", user)
        return tuple(row[0] for row in rows)

    # Grants

    def grant(self, grant: Grant) -> None:
        kind, resource = check_resource(grant.kind, grant.resource)
        what, _, name = grant.principal.partition(":")
        if what not in ("user", "group"):
            raise AccountError("grant to user:NAME or group:NAME")
        check_name(name, what)
        if what == "user" and not self.exists(name):
            raise _no_user(name)
        with self._tx(keep_admin=True) as db:  # a lower global role replaces admin
            db.execute(
                "INSERT OR REPLACE INTO grants VALUES (?, ?, ?, ?)",
                (grant.principal, int(grant.role), kind, resource),
            )

    def revoke(self, principal: str, kind: str = "global", resource: str = "") -> None:
        kind, resource = check_resource(kind, resource)
        with self._tx(keep_admin=True) as db:
            sql = "DELETE FROM grants WHERE principal = ? AND kind = ? AND resource = ?"
            if not db.execute(sql, (principal, kind, resource)).rowcount:
                raise NotFoundError(
                    f"{principal} has no {kind} grant{' on ' + resource if resource else ''}; "
                    "see `ontolab users list`"
                )

    def grants(self, principals: tuple[str, ...] | None = None) -> list[Grant]:
        """The grants of ``principals`` (every grant when None)."""
        sql = "SELECT principal, role, kind, resource FROM grants"
        params: tuple[str, ...] = ()
        if principals is not None:
            sql += f" WHERE principal IN ({', '.join('?' * len(principals))})"
            params = principals
        rows = self._rows(sql + " ORDER BY principal, kind, resource", *params)
        return [Grant(p, Role(r), k, res) for p, r, k, res in rows]

    # Tokens

    def create_token(
        self, user: str, name: str = "", scope: Role = Role.ADMIN, days: float | None = 90
    ) -> tuple[str, TokenInfo]:
        """A new token of ``user`` able to do at most ``scope``, expiring in ``days`` (None:
        never): the full token (shown once, never stored) and its row."""
        if days is not None and not 0 < days <= 3650:
            raise AccountError("a token lives from a moment to 3650 days; give days in that range")
        token_id, token, digest = sec.new_token()
        now = time.time()
        expires = now + days * 86400 if days is not None else None
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone():
                raise _no_user(user)
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (token_id, user, digest, name[:100], int(scope), now, expires),
            )
        return token, TokenInfo(token_id, user, name[:100], scope, now, expires, False)

    def check_token(self, token: str) -> TokenInfo | None:
        """The row of a usable token whose secret matches, else None."""
        parts = sec.split_token(token)
        if parts is None:
            return None
        sql = f"{_TOKEN_ROW}, hash FROM tokens JOIN users ON users.name = user_name"
        rows = self._rows(f"{sql} WHERE id = ? AND disabled = 0", parts[0])
        if not rows or not sec.same_hash(parts[1], rows[0][-1]):
            return None
        info = _token_info(rows[0][:-1])
        return info if info.usable(time.time()) else None

    def tokens(self, user: str | None = None) -> list[TokenInfo]:
        if user is not None and not self.exists(user):
            raise _no_user(user)
        where, params = ("WHERE user_name = ?", (user,)) if user else ("", ())
        rows = self._rows(f"{_TOKEN_ROW} FROM tokens {where} ORDER BY created", *params)
        return [_token_info(row) for row in rows]

    def revoke_token(self, token_id: str, user: str | None = None) -> None:
        """Revoke ``token_id`` (of ``user`` when given: nobody revokes another's by id)."""
        sql, params = "UPDATE tokens SET revoked = 1 WHERE id = ?", [token_id]
        if user is not None:
            sql, params = sql + " AND user_name = ?", [token_id, user]
        with self._tx() as db:
            if not db.execute(sql, params).rowcount:
                raise NotFoundError(
                    f"no token {token_id!r}; list them with `ontolab users token list`"
                )


_TOKEN_ROW = (
    "SELECT tokens.id, tokens.user_name, tokens.name, tokens.scope, tokens.created, "
    "tokens.expires, tokens.revoked"
)


def _token_info(row: tuple[Any, ...]) -> TokenInfo:
    token_id, user, name, scope, created, expires, revoked = row
    return TokenInfo(token_id, user, name, Role(scope), created, expires, bool(revoked))


def _checked_hash(password: str) -> str:
    if not isinstance(password, str) or len(password) < 8:
        raise AccountError("a password has at least 8 characters; choose a longer one")
    return sec.hash_password(password)


@functools.cache
def _unknown_user_hash() -> str:
    return sec.hash_password(sec.new_password())


def _no_user(name: str) -> NotFoundError:
    return NotFoundError(f"no user {name!r}; add one with `ontolab users add NAME`")


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
