"""What a caller restricted to some experiments or models may see of the lists and graphs
beyond the experiments themselves: the models a listing shows, and the runs, experiments and
nodes a comparison or a lineage may reach (``check.visible_experiments`` for experiments).

Each answers "everything" (None, or no check) with auth off or for a global role.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from server.auth import graphs
from server.auth.check import current_principal, gate_of, visible_experiments
from server.errors import PermissionDenied
from server.graph import queries
from server.store import Store


def visible_models() -> frozenset[str] | None:
    """The registered models a listing may show the caller (granted by name, or built by an
    experiment granted); None for all (auth off, global role)."""
    principal = current_principal()
    gate = gate_of(current_app) if principal is not None else None
    if gate is None or principal is None or principal.role_on() is not None:
        return None
    return gate.readable_models(principal)


def require_visible(experiments: Iterable[str], what: str) -> None:
    """PermissionDenied unless the caller may read every one of ``experiments`` (``what``
    names the request in the message); nothing to check with auth off or a global role."""
    visible = visible_experiments()
    if visible is None:
        return
    hidden = sorted(set(experiments) - visible)
    if hidden:
        principal = current_principal()
        user = principal.user if principal else ""
        raise PermissionDenied(
            f"{what} reaches experiment(s) {user or 'the caller'} holds no grant on; ask for "
            f"only the experiments you hold grants on, or an admin grants one: `ontolab users "
            f"grant {user} viewer --experiment ID`"
        )


def require_readable_nodes(store: Store, nodes: Iterable[str], what: str) -> None:
    """PermissionDenied unless each of ``nodes`` is described in a graph the caller may read
    (``graphs.readable_graphs``); nothing to check with auth off or a global role."""
    principal = current_principal()
    if principal is None or principal.role_on() is not None:
        return
    allowed = graphs.readable_graphs(store, principal) or frozenset()
    for node in nodes:
        found = {str(row["g"]) for row in queries.select(store, "auth_node_graphs", node=node)}
        if not found & allowed:
            raise PermissionDenied(
                f"{what} is about {node}, which no experiment {principal.user} holds a grant "
                f"on describes; an admin grants one: `ontolab users grant {principal.user} "
                "viewer --experiment ID`"
            )
