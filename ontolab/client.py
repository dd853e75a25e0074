"""``Client``: the platform's REST API, resource by resource, over one retrying session."""

from __future__ import annotations

import threading
from typing import Any

from ontolab import _spool
from ontolab import sparql as _sparql
from ontolab._http import Timeout, Transport, segment
from ontolab.frames import Table
from ontolab.resources.datasets import Datasets
from ontolab.resources.deployments import Deployments
from ontolab.resources.experiments import Experiments
from ontolab.resources.models import Models
from ontolab.resources.runs import Runs
from ontolab.tracking import Run, flush_spool, start_run
from ontolab.types import NamedQuery

DEFAULT_URL = "http://127.0.0.1:3000"


class Client:
    """A client of one Ontolab platform.

    Args:
        url: the platform's base URL.
        token: an API token (``ontolab users token create``, or the UI's tokens page), sent
            as ``Authorization: Bearer TOKEN``; default ``ONTOLAB_TOKEN``. Needed when the
            platform has auth on.
        timeout: seconds per request (or ``(connect, read)``); every call has one.
        retries: attempts after the first on connection errors (any method) and on read
            errors, 502 and 503 (idempotent methods only).
        backoff: the first pause between attempts in seconds; it doubles each time.

    Resources: ``experiments``, ``runs``, ``datasets``, ``models``, ``deployments``; SPARQL
    with ``sparql()`` and the named queries with ``query()``. Use it as a context manager or
    call ``close()`` to release the connections.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        token: str | None = None,
        timeout: Timeout = 30.0,
        *,
        retries: int = 3,
        backoff: float = 0.25,
    ) -> None:
        self._http = Transport(url, token=token, timeout=timeout, retries=retries, backoff=backoff)
        self.experiments = Experiments(self._http)
        self.runs = Runs(self._http)
        self.datasets = Datasets(self._http)
        self.models = Models(self._http)
        self.deployments = Deployments(self._http)
        self._token = token
        _flush_spool_behind(self.url, token)

    def start_run(
        self,
        experiment: str,
        *,
        name: str | None = None,
        tags: dict[str, Any] | None = None,
        **options: Any,
    ) -> Run:
        """Start a run tracked from this code (``ontolab.start_run`` against this platform)."""
        return start_run(
            experiment, url=self.url, name=name, tags=tags, token=self._token, **options
        )

    @property
    def url(self) -> str:
        return self._http.url

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session's connections."""
        self._http.close()

    def health(self) -> dict[str, Any]:
        """The platform's health: store, provisioner, version."""
        data: dict[str, Any] = self._http.json("GET", "/api/health")
        return data

    def sparql(self, query: str, *, as_frame: bool = False, **params: Any) -> Any:
        """Run a read-only SPARQL query at ``/sparql``; rows as dicts (a ``Table``).

        Args:
            query: a SELECT or ASK query.
            as_frame: a pandas DataFrame instead (needs pandas).
            **params: values for the query's variables, bound as a trailing ``VALUES`` row
                (``ontolab.IRI("…")`` for an IRI; a str is a string literal).
        """
        answer = self._http.json(
            "POST",
            "/sparql",
            data={"query": _sparql.bind(query, params)},
            headers={"Accept": "application/sparql-results+json"},
        )
        return _rows(_sparql.table(answer), as_frame)

    def query(self, name: str, *, as_frame: bool = False, **params: Any) -> Any:
        """Run a named query of ``ontology/queries/`` with typed parameters; rows as dicts.

        ``queries()`` lists the names with their parameters; a parameter of type ``iris`` or
        ``strings`` takes a list.
        """
        answer = self._http.json("POST", f"/api/queries/{segment(name)}", json=params)
        found = (
            Table(boolean=answer["boolean"])
            if "boolean" in answer
            else Table(answer.get("rows", []), answer.get("columns", []))
        )
        return _rows(found, as_frame)

    def queries(self) -> list[NamedQuery]:
        """The named queries with their typed parameters and text."""
        return [NamedQuery.from_json(q) for q in self._http.json("GET", "/api/queries")["queries"]]


def _rows(table: Table, as_frame: bool) -> Any:
    return table.to_pandas() if as_frame else table


def _flush_spool_behind(url: str, token: str | None) -> None:
    """Send, on a thread of its own, what earlier processes spooled for this platform (only
    when there is something: a client with nothing spooled makes no request)."""
    root = _spool.default_spool_dir()
    if not root.is_dir() or not any(root.glob(f"*/{_spool.OPS_FILE}")):
        return
    threading.Thread(target=flush_spool, args=(url,), kwargs={"token": token}, daemon=True).start()
