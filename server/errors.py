"""One exception base for the platform; the API turns these into RFC 7807 problem JSON and
the CLI into one clear line and a non-zero exit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class OntolabError(Exception):
    """Base of every error the platform raises on purpose. Messages end with the fix."""

    status = 500
    title = "Ontolab error"

    def to_problem(self) -> dict[str, Any]:
        """RFC 7807 problem details for this error."""
        return {
            "type": f"https://w3id.org/ontolab/problems/{type(self).__name__}",
            "title": self.title,
            "status": self.status,
            "detail": str(self),
        }


class ConfigError(OntolabError):
    title = "Invalid configuration"


class NotFoundError(OntolabError):
    status = 404
    title = "Not found"


@dataclass(frozen=True, order=True)
class Violation:
    """One failed SHACL constraint: which node, which property, why."""

    node: str
    path: str
    message: str
    value: str | None = None

    def __str__(self) -> str:
        value = f" (value: {self.value})" if self.value is not None else ""
        return f"{self.node} {self.path}: {self.message}{value}"


class DefinitionError(OntolabError):
    """The definition could not be parsed or is not a valid experiment."""

    status = 400
    title = "Invalid experiment definition"

    def __init__(self, message: str, violations: list[Violation] | None = None) -> None:
        self.violations = violations or []
        if self.violations:
            message += "\n" + "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(message)

    def to_problem(self) -> dict[str, Any]:
        problem = super().to_problem()
        problem["violations"] = [vars(v) for v in self.violations]
        return problem


class PlanError(OntolabError):
    """The steps of a definition cannot be ordered into a runnable plan."""

    status = 400
    title = "Experiment cannot be planned"


class StoreError(OntolabError):
    status = 503
    title = "Triplestore error"


class QueryError(OntolabError):
    status = 400
    title = "Invalid query"


class StepError(OntolabError):
    status = 500
    title = "Step failed"


class RunError(OntolabError):
    status = 409
    title = "Run failed"
