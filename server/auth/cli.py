"""``ontolab users …``: users, groups, grants and API tokens, on the data dir's account file.

Works while the server runs (SQLite serializes the writers; the server sees each change on its
next request). Whoever can run this can read the data dir, so it asks for no token.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any

from server.terminal import print_table


def add_commands(commands: Any, settings: Callable[[argparse.Namespace], Any]) -> None:
    """Add ``users`` to the ``ontolab`` sub-command parsers; ``settings(args)`` loads them."""
    users = commands.add_parser("users", help="users, groups, grants and API tokens")
    users.set_defaults(settings=settings)
    actions = users.add_subparsers(required=True, metavar="ACTION")

    def action(parent: Any, name: str, handler: Callable[..., Any], text: str) -> Any:
        sub = parent.add_parser(name, help=text, description=text)
        sub.set_defaults(command=lambda args: _with_accounts(args, handler), command_name=name)
        return sub

    add = action(actions, "add", _add, "add a user (password asked, or one line on stdin)")
    add.add_argument("name")
    add.add_argument("--role", help="grant this global role too (viewer|runner|editor|admin)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    action(actions, "list", _list, "list users, their groups and every grant")
    action(actions, "remove", _remove, "remove a user, its grants and tokens").add_argument("name")
    for name, text in (
        ("disable", "disable a user: no sign-in; its tokens and sessions are refused"),
        ("enable", "enable a disabled user again"),
    ):
        action(actions, name, _set_disabled, text).add_argument("name")
    passwd = action(actions, "passwd", _passwd, "set a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    join = action(actions, "join", _join, "put a user in a group (groups hold grants too)")
    join.add_argument("name")
    join.add_argument("group")
    leave = action(actions, "leave", _leave, "take a user out of a group")
    leave.add_argument("name")
    leave.add_argument("group")
    for name, handler, text in (
        ("grant", _grant, "give a role to a user (NAME) or a group (group:NAME)"),
        ("revoke", _revoke, "take a grant back"),
    ):
        sub = action(actions, name, handler, text)
        sub.add_argument("principal", help="user name, or group:NAME")
        if name == "grant":
            sub.add_argument("role", help="viewer|runner|editor|admin")
        target = sub.add_mutually_exclusive_group()
        target.add_argument("--experiment", help="on this experiment only (its runs too)")
        target.add_argument("--model", help="on this registered model only")
    token = actions.add_parser("token", help="API tokens").add_subparsers(
        required=True, metavar="ACTION"
    )
    create = action(token, "create", _token_create, "create a token; it is printed once")
    create.add_argument("user")
    create.add_argument("--name", default="", help="what the token is for")
    create.add_argument("--scope", default="viewer", help="the most it may do (default viewer)")
    create.add_argument("--days", type=float, default=90, help="lifetime (default 90; 0: never)")
    action(token, "list", _token_list, "list tokens (never their secrets)").add_argument(
        "user", nargs="?"
    )
    action(token, "revoke", _token_revoke, "revoke a token by its id").add_argument("token_id")


def user_agent_of(settings: Any, name: str | None) -> str | None:
    """The agent IRI of user ``name`` of the data dir's account file (``ontolab run --as``);
    None for no name; NotFoundError for a user that does not exist or is disabled."""
    if not name:
        return None
    from server.auth.accounts import ACCOUNT_FILE, Accounts
    from server.errors import NotFoundError
    from server.graph.namespaces import user_agent

    path = settings.data / ACCOUNT_FILE
    accounts = Accounts(path) if path.exists() else None
    try:
        if accounts is None or accounts.session_stamp(name) is None:
            raise NotFoundError(
                f"no enabled user {name!r} in {path}; add one with `ontolab users add {name}` "
                "or leave out --as (ONTOLAB_USER)"
            )
    finally:
        if accounts is not None:
            accounts.close()
    return str(user_agent(name))


def _with_accounts(args: argparse.Namespace, handler: Callable[..., Any]) -> int:
    from server.auth.accounts import ACCOUNT_FILE, Accounts

    accounts = Accounts(args.settings(args).data / ACCOUNT_FILE)
    try:
        return int(handler(accounts, args) or 0)
    finally:
        accounts.close()


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        from server.errors import AccountError

        raise AccountError("the two passwords differ; run the command again")
    return first


def _add(accounts: Any, args: argparse.Namespace) -> None:
    from server.auth.roles import Role

    role = Role.parse(args.role) if args.role else None  # checked before anything is written
    accounts.add_user(args.name, _password(args), role)
    print(f"added user {args.name}" + (f" ({role.label})" if role else ""))


def _list(accounts: Any, args: argparse.Namespace) -> None:
    rows = [{**user, "groups": ", ".join(user["groups"])} for user in accounts.users()]
    print_table(rows, ["name", "groups", "created"])
    print()
    print_table(
        [grant.to_json() for grant in accounts.grants()], ["principal", "role", "kind", "resource"]
    )


def _remove(accounts: Any, args: argparse.Namespace) -> None:
    accounts.remove_user(args.name)
    print(f"removed user {args.name}")


def _set_disabled(accounts: Any, args: argparse.Namespace) -> None:
    disabled = args.command_name == "disable"
    accounts.set_disabled(args.name, disabled)
    print(f"{'disabled' if disabled else 'enabled'} user {args.name}")


def _leave(accounts: Any, args: argparse.Namespace) -> None:
    accounts.remove_member(args.group, args.name)
    print(f"{args.name} left group {args.group}")


def _passwd(accounts: Any, args: argparse.Namespace) -> None:
    accounts.set_password(args.name, _password(args))
    print(f"password of {args.name} changed")


def _join(accounts: Any, args: argparse.Namespace) -> None:
    accounts.add_member(args.group, args.name)
    print(f"{args.name} is in group {args.group}")


def _target(args: argparse.Namespace) -> tuple[str, str, str]:
    from server.auth.roles import grant_target

    return grant_target(args.principal, args.experiment, args.model)


def _grant(accounts: Any, args: argparse.Namespace) -> None:
    from server.auth.roles import Grant, Role

    principal, kind, resource = _target(args)
    accounts.grant(Grant(principal, Role.parse(args.role), kind, resource))
    print(f"granted {args.role} to {principal}" + (f" on {kind} {resource}" if resource else ""))


def _revoke(accounts: Any, args: argparse.Namespace) -> None:
    principal, kind, resource = _target(args)
    accounts.revoke(principal, kind, resource)
    print(f"revoked the {kind} grant of {principal}")


def _token_create(accounts: Any, args: argparse.Namespace) -> None:
    from server.auth.roles import Role

    days = args.days or None
    token, info = accounts.create_token(args.user, args.name, Role.parse(args.scope), days)
    print(token)
    expires = info.to_json()["expires"] or "never"
    print(
        f"token {info.token_id} of {info.user}, scope {info.scope.label}, expires {expires}; "
        "it is shown this once (send it as Authorization: Bearer TOKEN, or ONTOLAB_TOKEN)",
        file=sys.stderr,
    )


def _token_list(accounts: Any, args: argparse.Namespace) -> None:
    rows = [token.to_json() for token in accounts.tokens(args.user)]
    print_table(rows, ["token_id", "user", "name", "scope", "created", "expires", "revoked"])


def _token_revoke(accounts: Any, args: argparse.Namespace) -> None:
    accounts.revoke_token(args.token_id)
    print(f"revoked token {args.token_id}")
