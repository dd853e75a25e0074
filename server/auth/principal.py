"""Who is asking: a user (with the grants of the user and the user's groups) or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.auth.roles import Grant, Role


@dataclass(frozen=True)
class Principal:
    """The caller of one request. ``cap`` is the most a token's scope lets it do."""

    user: str = ""
    grants: tuple[Grant, ...] = ()
    cap: Role = Role.ADMIN
    via: str = "anonymous"  # "token", "session" or "anonymous"
    token_id: str = ""

    @property
    def signed_in(self) -> bool:
        return bool(self.user)

    @property
    def scoped(self) -> bool:
        """Whether any grant is on one experiment or model (else resources need no lookup)."""
        return any(grant.kind != "global" for grant in self.grants)

    def role_on(self, kind: str = "global", resource: str | None = None) -> Role | None:
        """The highest role held on ``resource`` of ``kind`` (global grants count everywhere),
        capped by the token's scope; None when there is none."""
        held = [
            grant.role
            for grant in self.grants
            if grant.kind == "global" or (grant.kind == kind and grant.resource == resource)
        ]
        return min(max(held), self.cap) if held else None

    def readable(self, kind: str) -> list[str]:
        """The resources of ``kind`` granted to the caller by name (at least viewer)."""
        return sorted({g.resource for g in self.grants if g.kind == kind})

    def to_json(self) -> dict[str, Any]:
        role = self.role_on()
        return {
            "user": self.user or None,
            "signed_in": self.signed_in,
            "via": self.via,
            "role": role.label if role else None,
            "token_scope": self.cap.label if self.via == "token" else None,
            "grants": [grant.to_json() for grant in self.grants],
        }


ANONYMOUS = Principal()
