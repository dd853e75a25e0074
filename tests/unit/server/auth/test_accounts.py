"""The account file, the secrets and ``ontolab users``."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from server.auth import secrets as sec
from server.auth.accounts import ACCOUNT_FILE, Accounts
from server.auth.roles import Grant, Role
from server.errors import AccountError, NotFoundError


@pytest.fixture
def accounts(tmp_path: Path) -> Accounts:
    made = Accounts(tmp_path / ACCOUNT_FILE)
    made.add_user("ann", "password-1")
    return made


def test_passwords_are_pbkdf2_hashed_and_checked(accounts: Accounts) -> None:
    stored = sec.hash_password("secret-pass", iterations=1000)
    assert stored.startswith("pbkdf2_sha256$1000$") and "secret-pass" not in stored
    assert sec.check_password("secret-pass", stored)
    assert not sec.check_password("secret-pasS", stored)
    assert not sec.check_password("x", "garbage")
    assert accounts.login("ann", "password-1") and not accounts.login("ann", "password-2")
    assert b"password-1" not in accounts.path.read_bytes()


@pytest.mark.parametrize("name", ["../etc", "a/b", "", "x" * 65, "ann'--", "-lead", "a b"])
def test_bad_user_names_are_refused(accounts: Accounts, name: str) -> None:
    with pytest.raises(AccountError, match="not a valid user name"):
        accounts.add_user(name, "password-1")


def test_short_passwords_and_duplicates_are_refused(accounts: Accounts) -> None:
    with pytest.raises(AccountError, match="at least 8"):
        accounts.add_user("bob", "short")
    with pytest.raises(AccountError, match="exists"):
        accounts.add_user("ann", "password-1")


def test_grants_name_a_real_user_and_a_known_kind(accounts: Accounts) -> None:
    with pytest.raises(NotFoundError, match="no user 'zed'"):
        accounts.grant(Grant("user:zed", Role.VIEWER))
    with pytest.raises(AccountError, match="not a grant kind"):
        accounts.grant(Grant("user:ann", Role.VIEWER, "dataset", "d"))
    with pytest.raises(AccountError, match="names one experiment"):
        accounts.grant(Grant("user:ann", Role.VIEWER, "experiment", ""))
    with pytest.raises(AccountError, match="not a role"):
        Role.parse("owner")
    accounts.grant(Grant("user:ann", Role.RUNNER, "experiment", "../../x"))  # a name, not a path
    assert accounts.grants(("user:ann",)) == [
        Grant("user:ann", Role.RUNNER, "experiment", "../../x")
    ]
    with pytest.raises(NotFoundError, match="no experiment grant"):
        accounts.revoke("user:ann", "experiment", "other")


def test_removing_a_user_drops_its_tokens_and_grants(accounts: Accounts) -> None:
    accounts.grant(Grant("user:ann", Role.EDITOR))
    token, info = accounts.create_token("ann", "ci", Role.RUNNER, days=1)
    assert accounts.check_token(token) == info
    accounts.remove_user("ann")
    assert accounts.check_token(token) is None
    assert accounts.grants() == [] and accounts.tokens() == []


@pytest.fixture
def users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """``ontolab users ARGS...`` on the data directory tmp_path/data: its exit code. Standard
    input holds one password for ``--password-stdin``: pass-word-9."""
    from server.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("pass-word-9\n"))
    return lambda *args: main(["--data", str(tmp_path / "data"), "users", *args])


def test_ontolab_users_commands(
    tmp_path: Path, users: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert users("add", "carol", "--role", "runner", "--password-stdin") == 0
    assert users("grant", "carol", "editor", "--experiment", "iris") == 0
    assert users("join", "carol", "team") == 0
    assert users("grant", "group:team", "viewer", "--model", "m") == 0
    capsys.readouterr()
    assert users("token", "create", "carol", "--scope", "runner", "--days", "7") == 0
    made = capsys.readouterr()
    token = made.out.strip()
    assert sec.split_token(token) is not None and "shown this once" in made.err
    assert users("list") == 0
    listed = capsys.readouterr().out
    assert "carol" in listed and "iris" in listed and "group:team" in listed
    accounts = Accounts(tmp_path / "data" / ACCOUNT_FILE)
    info = accounts.check_token(token)
    assert info is not None and info.scope == Role.RUNNER
    assert users("token", "revoke", info.token_id) == 0
    assert accounts.check_token(token) is None
    assert users("grant", "carol", "owner") == 1
    assert "not a role" in capsys.readouterr().err
    assert users("remove", "nobody") == 1


def test_ontolab_users_disable_enable_leave_and_the_last_admin(
    tmp_path: Path, users: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert users("add", "root", "--role", "admin", "--password-stdin") == 0
    accounts = Accounts(tmp_path / "data" / ACCOUNT_FILE)
    token = accounts.create_token("root", "t")[0]
    assert users("disable", "root") == 1  # the only admin
    assert "no enabled admin" in capsys.readouterr().err
    assert users("revoke", "root") == 1
    assert accounts.users()[0]["disabled"] is False and accounts.check_token(token) is not None
    accounts.add_user("ops", "pass-word-9")
    assert users("join", "ops", "admins") == 0
    assert users("grant", "group:admins", "admin") == 0
    assert users("disable", "root") == 0
    assert accounts.check_token(token) is None and not accounts.login("root", "pass-word-9")
    assert users("leave", "ops", "admins") == 1  # ops is now the only one
    assert users("enable", "root") == 0
    assert accounts.check_token(token) is not None
    assert users("leave", "ops", "admins") == 0
    assert accounts.groups_of("ops") == ()


def test_an_account_file_made_before_disabling_gains_the_column(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / ACCOUNT_FILE
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE users (name TEXT PRIMARY KEY, password TEXT NOT NULL, created REAL)")
    old.execute("INSERT INTO users VALUES ('old', ?, 0)", (sec.hash_password("pw-123456", 1000),))
    old.commit()
    old.close()
    accounts = Accounts(path)
    assert accounts.users()[0]["disabled"] is False
    assert accounts.login("old", "pw-123456")
