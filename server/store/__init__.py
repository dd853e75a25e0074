"""Store backends, chosen by one URL-like string (see ``open_store``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from server.errors import ConfigError
from server.store.base import ReadableStore, Row, Store, Triple, WritableStore
from server.store.oxigraph import OxigraphStore

__all__ = ["ReadableStore", "Row", "Store", "Triple", "WritableStore", "open_store"]


def _oxigraph(location: str) -> Store:
    return OxigraphStore(None if location in ("", "memory") else Path(location))


_BACKENDS: dict[str, Callable[[str], Store]] = {
    "oxigraph": _oxigraph,
}


def open_store(url: str) -> Store:
    """Open the store named by ``url``: ``oxigraph:PATH`` or ``oxigraph:memory``."""
    scheme, _, location = url.partition(":")
    factory = _BACKENDS.get(scheme)
    if factory is None:
        raise ConfigError(
            f"ONTOLAB_STORE={url!r} names no store backend; "
            f"use one of: {', '.join(f'{name}:…' for name in _BACKENDS)}"
        )
    return factory(location)
