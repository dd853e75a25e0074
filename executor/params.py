"""Typed access to ``StepSpec.parameters``, with errors that name the definition property.

Parameters arrive under the snake_case of their property's local name (``ol:testSize`` →
``test_size``); a property given several values arrives as a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from executor.errors import ParameterError

TASKS = ("classification", "regression")

# Structured values whose property name is not the camelCase of the key.
_PROPERTY = {
    "hyperparameters": "ol:hyperParameter",
    "thresholds": "ol:threshold",
}


def property_name(key: str) -> str:
    """The definition property a parameter key comes from: ``test_size`` → ``ol:testSize``."""
    if key in _PROPERTY:
        return _PROPERTY[key]
    head, *rest = key.split("_")
    return "ol:" + head + "".join(part.capitalize() for part in rest)


def _listing(values: Iterable[object]) -> str:
    return ", ".join(str(v) for v in values)


class Params:
    """Read-only view of one step's parameters; every getter validates its value."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __contains__(self, key: str) -> bool:
        return self._values.get(key) is not None

    def scalar(self, key: str, default: Any = None) -> Any:
        """The single value of ``key``, or ``default`` when absent."""
        value = self._values.get(key)
        if value is None:
            return default
        if isinstance(value, list):
            if len(value) == 1:
                return value[0]
            raise ParameterError(
                f"{key} has {len(value)} values ({_listing(value)}) but takes one; "
                f"keep a single {property_name(key)} on the step"
            )
        return value

    def required(self, key: str) -> Any:
        value = self.scalar(key)
        if value is None or value == "":
            raise ParameterError(f"{key} is required; add {property_name(key)} to the step")
        return value

    def task(self) -> str:
        return self.choice("task", TASKS, None)

    def choice(self, key: str, choices: Iterable[str], default: str | None) -> str:
        """A value from ``choices``; ``default`` None makes the parameter required."""
        options = tuple(choices)
        value = self.required(key) if default is None else self.scalar(key, default)
        if value not in options:
            raise ParameterError(
                f"{key} {value!r} is not one of {_listing(options)}; "
                f"set {property_name(key)} to one of them"
            )
        return str(value)

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar(key, default)
        if value is not None and not isinstance(value, str):
            raise ParameterError(
                f"{key} must be a string, got {value!r}; give {property_name(key)} as a string"
            )
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.scalar(key, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ParameterError(
            f"{key} must be true or false, got {value!r}; set {property_name(key)} to a boolean"
        )

    def integer(self, key: str, default: int, minimum: int | None = None) -> int:
        value = self.scalar(key, default)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(
                f"{key} must be an integer, got {value!r}; set {property_name(key)} to an integer"
            )
        if minimum is not None and value < minimum:
            raise ParameterError(
                f"{key} must be at least {minimum}, got {value}; "
                f"set {property_name(key)} to {minimum} or more"
            )
        return value

    def fraction(self, key: str, default: float) -> float:
        """A number strictly between 0 and 1."""
        value = self.scalar(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise ParameterError(
                f"{key} must be a number between 0 and 1 (exclusive), got {value!r}; "
                f"set {property_name(key)} to e.g. 0.25"
            )
        return float(value)

    def names(self, key: str) -> list[str]:
        """Zero or more strings, given as one value or a list."""
        return self._listed(key, str, "column names (strings)", "give {} as strings")

    def mapping(self, key: str) -> dict[str, Any]:
        """A ``{name: value}`` structure such as ``hyperparameters``; empty when absent."""
        value = self._values.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ParameterError(
                f"{key} must map names to values, got {value!r}; "
                f"give each {property_name(key)} an ol:parameterName"
            )
        return dict(value)

    def records(self, key: str) -> list[dict[str, Any]]:
        """A list of ``{field: value}`` records such as ``thresholds``; empty when absent."""
        return self._listed(key, dict, "a list of records", "give each {} as a blank node")

    def _listed(self, key: str, kind: type, expected: str, fix: str) -> list[Any]:
        """Zero or more ``kind`` values, given as one value or a list; empty when absent.
        ``fix`` names the property at ``{}``."""
        value = self._values.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, kind) for item in items):
            raise ParameterError(
                f"{key} must be {expected}, got {value!r}; {fix.format(property_name(key))}"
            )
        return list(items)
