"""The graphs a caller may read through ``/sparql`` and ``/api/queries``.

A global admin reads every graph; a global viewer, editor or runner every graph but the
audit trail; a user with grants on experiments only the ontology and those experiments'
version and run graphs. What the client asked for (``FROM`` / ``FROM NAMED``, the protocol's
``default-graph-uri`` / ``named-graph-uri``) is intersected with that, never widened: a graph
the caller may not read is not in the dataset, so no query can reach it.
"""

from __future__ import annotations

from server.auth.audit import AUDIT_GRAPH
from server.auth.principal import Principal
from server.auth.roles import Role
from server.graph import queries
from server.graph.namespaces import ONTOLOGY_GRAPH
from server.graph.sparql_text import dataset_clauses, has_dataset_clause
from server.store.base import Dataset, ReadableStore


def readable_graphs(store: ReadableStore, principal: Principal) -> frozenset[str] | None:
    """The graph IRIs ``principal`` may read; None for every graph."""
    role = principal.role_on()
    if role == Role.ADMIN:
        return None
    if role is not None:
        rows = queries.select(store, "auth_named_graphs")
        return frozenset(str(row["g"]) for row in rows) - {str(AUDIT_GRAPH)}
    graphs = {str(ONTOLOGY_GRAPH)}
    experiments = principal.readable("experiment")
    if experiments:
        rows = queries.select(store, "auth_experiment_graphs", identifiers=experiments)
        graphs.update(str(row["g"]) for row in rows)
    return frozenset(graphs)


def restrict(
    store: ReadableStore, principal: Principal, query: str | None, asked: Dataset | None
) -> Dataset | None:
    """The dataset to run ``query`` on for ``principal``: what was ``asked`` (or the query's
    own dataset clauses, or every graph) cut to the readable graphs; None: no restriction."""
    allowed = readable_graphs(store, principal)
    if allowed is None:
        return asked
    if asked is None and query is not None and has_dataset_clause(query):
        default, named = dataset_clauses(query)
        asked = Dataset(tuple(default), tuple(named))
    if asked is None:
        everything = tuple(sorted(allowed))
        return Dataset(everything, everything)
    return Dataset(
        tuple(g for g in asked.default_graphs if g in allowed),
        tuple(g for g in asked.named_graphs if g in allowed),
    )
