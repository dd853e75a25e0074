"""Roles (viewer < runner < editor < admin), what a grant applies to, and name checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from server.errors import AccountError


class Role(IntEnum):
    """What a caller may do; each role includes the ones below it."""

    VIEWER = 1  # read everything it is granted on
    RUNNER = 2  # start and cancel runs, track runs, upload data, predict
    EDITOR = 3  # change definitions, aliases, promotions, deployments
    ADMIN = 4  # delete experiments, manage users, read the audit trail

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role named ``text`` (case-insensitive); AccountError naming the choices."""
        try:
            return cls[text.strip().upper()]
        except (KeyError, AttributeError):
            raise AccountError(
                f"{text!r} is not a role; use one of: {', '.join(ROLE_NAMES)}"
            ) from None

    @property
    def label(self) -> str:
        return self.name.lower()


ROLE_NAMES = tuple(role.label for role in Role)

#: What a grant may apply to: everything, one experiment (its versions and runs), one model.
KINDS = ("global", "experiment", "model")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
_RESOURCE = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


def check_name(name: str, what: str = "user") -> str:
    """``name`` when it is a valid user or group name; AccountError with the rule otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise AccountError(
            f"{name!r} is not a valid {what} name; use 1-64 letters, digits, '_', '.', '@' or "
            "'-', starting with a letter or digit"
        )
    return name


def check_resource(kind: str, resource: str) -> tuple[str, str]:
    """A grant's target as stored: ``("global", "")`` or ``(kind, identifier)``."""
    if kind not in KINDS:
        raise AccountError(f"{kind!r} is not a grant kind; use one of: {', '.join(KINDS)}")
    if kind == "global":
        return kind, ""
    if not isinstance(resource, str) or not _RESOURCE.fullmatch(resource):
        raise AccountError(
            f"a {kind} grant names one {kind} by its identifier (1-200 characters, no control "
            "characters); give it"
        )
    return kind, resource


def grant_target(
    principal: str, experiment: str | None = None, model: str | None = None
) -> tuple[str, str, str]:
    """``(principal, kind, resource)`` of a grant asked as ``NAME`` or ``group:NAME``, on at
    most one of ``experiment`` and ``model`` (neither: global). Shared by ``ontolab users`` and
    the admin API, so both read a request the same way."""
    if not isinstance(principal, str):
        raise AccountError("name the user (NAME) or the group (group:NAME) the grant is for")
    principal = principal if ":" in principal else f"user:{principal}"
    if experiment is not None and model is not None:
        raise AccountError("a grant is on one experiment or one model, not both; give one")
    if experiment is not None:
        return principal, "experiment", experiment
    if model is not None:
        return principal, "model", model
    return principal, "global", ""


@dataclass(frozen=True)
class Grant:
    """One role given to a user or a group, globally or on one experiment or model."""

    principal: str  # "user:NAME" or "group:NAME"
    role: Role
    kind: str = "global"
    resource: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "principal": self.principal,
            "role": self.role.label,
            "kind": self.kind,
            "resource": self.resource,
        }
