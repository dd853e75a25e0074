"""How the records are read from JSON: known keys taken, unknown ones kept in ``raw`` only."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def build(cls: Callable[..., T], data: dict[str, Any], **nested: Any) -> T:
    """A ``cls`` record from ``data``: its known keys, ``nested`` records given as read."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {k: v for k, v in data.items() if k in names and k not in nested}
    return cls(**values, **nested, raw=data)


def many(cls: Any, items: Any) -> list[Any]:
    """Each item of a JSON list read by ``cls.from_json`` (None reads as no items)."""
    return [cls.from_json(item) for item in items or ()]
