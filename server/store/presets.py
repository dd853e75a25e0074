"""Where each kind of SPARQL server takes queries, updates and whole graphs, and the settings a
remote store reads. The store itself is ``server/store/sparql_endpoint.py``.

``ONTOLAB_STORE`` names the server (see ``server/store/__init__.py``):

==========================================  =====================================================
``graphdb:http://HOST:7200#REPO``           query ``/repositories/REPO``, update ``…/statements``,
(or ``http://HOST:7200/repositories/REPO``)  GSP ``…/rdf-graphs/service?graph=``; token login
                                            at ``/rest/login`` with ``ONTOLAB_STORE_AUTH=graphdb``
``fuseki:http://HOST:3030/DATASET``         ``/DATASET/query``, ``/DATASET/update``,
                                            ``/DATASET/data?graph=``
``oxigraph-server:http://HOST:7878``        ``/query?union-default-graph`` (unless the query
                                            names a dataset), ``/update``, ``/store?graph=``
``virtuoso:http://HOST:8890``               ``/sparql``, ``/sparql-graph-crud?graph-uri=``
                                            (``/sparql-auth``, ``/sparql-graph-crud-auth`` when
                                            credentials are set: Virtuoso wants digest)
``http(s)://…``                             any other endpoint: query and update at that URL
                                            (``ONTOLAB_SPARQL_UPDATE_URL`` overrides), GSP only
                                            if ``ONTOLAB_SPARQL_GRAPH_STORE_URL`` is set
==========================================  =====================================================
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from server.errors import ConfigError
from server.store.auth import Credentials

if TYPE_CHECKING:
    from server.settings import Settings

_GRAPHDB_URL = re.compile(r"^(https?://.+?)/repositories/([^/?#]+)/?$")


@dataclass(frozen=True)
class Endpoints:
    """Where one server takes queries, updates and whole graphs."""

    kind: str
    query: str
    update: str
    graph_store: str = ""
    graph_param: str = "graph"
    query_params: dict[str, str] = field(default_factory=dict)
    #: The query parameters asking for the union of all graphs as the default graph, sent only
    #: with a query that names no dataset (the Oxigraph server would put the union in place of
    #: a ``FROM``, and refuses it next to ``default-graph-uri``); {} where that is the default.
    union_params: dict[str, str] = field(default_factory=dict)
    login_url: str = ""
    #: The query parameter that bounds a query's time on the server, and its unit in seconds
    #: (0.001: milliseconds); "" when the server takes none per query.
    timeout_param: str = ""
    timeout_unit: float = 1.0

    def timeout_params(self, seconds: float) -> dict[str, str]:
        """The query parameters asking the server to stop after ``seconds`` (whole units,
        at least one)."""
        if not self.timeout_param:
            return {}
        return {self.timeout_param: str(max(1, math.ceil(seconds / self.timeout_unit)))}


@dataclass(frozen=True)
class EndpointOptions:
    """The settings a remote store reads (all from ``ONTOLAB_*``; see settings.py)."""

    credentials: Credentials = Credentials()
    timeout: float = 30.0
    retries: int = 2
    update_url: str = ""
    graph_store_url: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> EndpointOptions:
        return cls(
            Credentials(
                settings.store_auth,
                settings.store_user,
                settings.store_password,
                settings.store_token,
                timeout=settings.store_timeout,
            ),
            timeout=settings.store_timeout,
            retries=settings.store_retries,
            update_url=settings.sparql_update_url,
            graph_store_url=settings.sparql_graph_store_url,
        )


def _base(location: str, example: str) -> str:
    base = location.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"{location!r} is not an http(s) URL; write it like {example}")
    return base


def graphdb(location: str, options: EndpointOptions) -> Endpoints:
    """``BASE#REPOSITORY``: a GraphDB (or RDF4J) repository."""
    base, _, repository = location.partition("#")
    base = _base(base, "graphdb:http://localhost:7200#REPOSITORY")
    if not repository:
        raise ConfigError(
            f"graphdb:{location} names no repository; write graphdb:{base}#REPOSITORY"
        )
    repo = f"{base}/repositories/{repository}"
    return Endpoints(
        "graphdb", repo, f"{repo}/statements", f"{repo}/rdf-graphs/service",
        login_url=f"{base}/rest/login", timeout_param="timeout",
    )  # fmt: skip


def fuseki(location: str, options: EndpointOptions) -> Endpoints:
    """``BASE/DATASET``: an Apache Jena Fuseki dataset."""
    dataset = _base(location, "fuseki:http://localhost:3030/DATASET")
    return Endpoints(
        "fuseki", f"{dataset}/query", f"{dataset}/update", f"{dataset}/data",
        timeout_param="timeout",  # honoured up to the dataset's fuseki:maximumTimeoutOverride
    )  # fmt: skip


def oxigraph_server(location: str, options: EndpointOptions) -> Endpoints:
    """``BASE``: ``oxigraph serve``; the union default graph is asked for per query."""
    base = _base(location, "oxigraph-server:http://localhost:7878")
    return Endpoints(
        "oxigraph-server", f"{base}/query", f"{base}/update", f"{base}/store",
        union_params={"union-default-graph": ""},
    )  # fmt: skip


def virtuoso(location: str, options: EndpointOptions) -> Endpoints:
    """``BASE``: OpenLink Virtuoso; its ``-auth`` endpoints when credentials are set."""
    base = _base(location, "virtuoso:http://localhost:8890")
    suffix = "" if options.credentials.kind == "none" else "-auth"
    return Endpoints(
        "virtuoso", f"{base}/sparql{suffix}", f"{base}/sparql{suffix}",
        f"{base}/sparql-graph-crud{suffix}", graph_param="graph-uri",
        timeout_param="timeout", timeout_unit=0.001,
    )  # fmt: skip


def generic(url: str, options: EndpointOptions) -> Endpoints:
    """Any SPARQL 1.1 endpoint URL; a GraphDB ``…/repositories/ID`` URL gets its preset."""
    match = _GRAPHDB_URL.match(url)
    if match:
        return graphdb(f"{match.group(1)}#{match.group(2)}", options)
    return Endpoints("sparql", url, options.update_url or url, options.graph_store_url)


PRESETS: dict[str, Callable[[str, EndpointOptions], Endpoints]] = {
    "graphdb": graphdb,
    "fuseki": fuseki,
    "oxigraph-server": oxigraph_server,
    "virtuoso": virtuoso,
}
