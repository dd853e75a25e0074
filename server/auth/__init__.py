"""Users, groups, roles, tokens and the permission check every route goes through.

Owns the account file (``DATA/auth.sqlite``: users, groups, grants, hashed tokens and
passwords), the route rules (``rules.py``), the per-request check (``check.py``), the audit
trail (``audit.py``, PROV activities in their own named graph), the graphs a caller may
read through ``/sparql`` (``graphs.py``) and the run-scoped tokens swarm tasks push artifacts
with (``task_tokens.py``).

May import ``server.errors``, ``server.settings``, ``server.graph``, ``server.store`` and
``executor.contract`` (the step spec a task token is issued for, ``task_tokens.py``); the
Flask-facing parts (``check.py``) import Flask, never ``server.api``.

Accounts live in SQLite, not in the graph, on purpose: a secret that is never a triple can never
be read through ``/sparql``, whatever the query or the store (a remote GraphDB serves its
repository to its own clients too), and a grant changed by ``ontolab users`` while the server
runs is seen by the next request without a reload.
"""
