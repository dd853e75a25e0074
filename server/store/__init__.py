"""Store backends, chosen by one URL-like string (see ``open_store``).

==========================================  ===============================================
``oxigraph:PATH`` / ``oxigraph:memory``     the embedded store (the default, in the data dir)
``oxigraph-server:http://HOST:PORT``        ``oxigraph serve``
``virtuoso:http://HOST:PORT``               OpenLink Virtuoso
``graphdb:http://HOST:PORT#REPOSITORY``     a GraphDB repository
``fuseki:http://HOST:PORT/DATASET``         an Apache Jena Fuseki dataset
``http(s)://…``                             any SPARQL 1.1 endpoint (GraphDB when the path
                                            is ``/repositories/ID``)
==========================================  ===============================================

The remote ones are ``server/store/sparql_endpoint.py``; auth, timeouts and retries come from
the settings passed to ``open_store`` (``ONTOLAB_STORE_AUTH`` and friends). Whichever it is,
``open_store`` wraps it in ``StandardTypedStore`` (``typed.py``): every write adds, to each node
typed with an Ontolab class, the PROV-O / ML-Schema / DCAT classes the ontology places it under.
``rows.py`` counts a SELECT answer's rows as its bytes stream (the row limit), and
``json_results.py`` reads SPARQL JSON results into terms.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from server.errors import ConfigError
from server.graph.standard_types import ontology_types
from server.store.base import ReadableStore, Row, Store, Triple, WritableStore
from server.store.oxigraph import OxigraphStore
from server.store.presets import PRESETS, EndpointOptions
from server.store.sparql_endpoint import open_endpoint
from server.store.typed import StandardTypedStore

if TYPE_CHECKING:
    from server.settings import Settings

__all__ = ["ReadableStore", "Row", "Store", "Triple", "WritableStore", "open_store"]


def _oxigraph(location: str, options: EndpointOptions) -> Store:
    return OxigraphStore(None if location in ("", "memory") else Path(location))


def _url(scheme: str, location: str, options: EndpointOptions) -> Store:
    return open_endpoint(f"{scheme}:{location}", options)


_BACKENDS: dict[str, Callable[[str, EndpointOptions], Store]] = {
    "oxigraph": _oxigraph,
    **{name: partial(open_endpoint, kind=name) for name in PRESETS},
    "http": partial(_url, "http"),
    "https": partial(_url, "https"),
}


def open_store(url: str, settings: Settings | None = None) -> Store:
    """Open the store named by ``url`` (see the table above); remote stores take their auth,
    timeout and retries from ``settings``. Writes to it carry the standard types (``typed.py``)."""
    scheme, _, location = url.partition(":")
    factory = _BACKENDS.get(scheme)
    if factory is None:
        raise ConfigError(
            f"ONTOLAB_STORE={url!r} names no store backend; "
            f"use one of: {', '.join(f'{name}:…' for name in _BACKENDS)}"
        )
    options = EndpointOptions() if settings is None else EndpointOptions.from_settings(settings)
    return StandardTypedStore(factory(location, options), ontology_types())
