"""How the records are read from JSON: known keys taken, unknown ones kept in ``raw`` only."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Self


@dataclasses.dataclass(frozen=True)
class Record:
    """A record of an API answer. Subclasses are frozen dataclasses of the wire's fields."""

    raw: dict[str, Any] = dataclasses.field(
        default_factory=dict, repr=False, compare=False, kw_only=True
    )

    # Fields whose JSON is a list of other records, each read by that record's ``from_json``.
    _nested: ClassVar[Mapping[str, type[Record]]] = {}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The record of ``data``: its known keys (nested lists read as records; None as no
        items), the whole answer in ``raw``."""
        names = {f.name for f in dataclasses.fields(cls)} - {"raw"}
        values = {k: v for k, v in data.items() if k in names and k not in cls._nested}
        for name, kind in cls._nested.items():
            values[name] = [kind.from_json(item) for item in data.get(name) or ()]
        return cls(**values, raw=data)
