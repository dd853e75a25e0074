"""Errors a phase raises on purpose. ``StepResult.error.type`` is the class name.

A phase that fails after computing something (validate computes every metric before it
checks thresholds) attaches what it has, so the failed result still carries it.
"""

from __future__ import annotations

from typing import Any

from executor.contract import ArtifactRef


class PhaseError(Exception):
    """Base of every expected failure of a step; the message ends with the fix."""

    def __init__(
        self,
        message: str,
        *,
        outputs: dict[str, ArtifactRef] | None = None,
        metrics: dict[str, float] | None = None,
        parameters: dict[str, Any] | None = None,
        summary: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.outputs = outputs or {}
        self.metrics = metrics or {}
        self.parameters = parameters or {}
        self.summary = summary or {}


class ParameterError(PhaseError):
    """A step parameter is missing, unknown or has a value the phase cannot use."""


class InputError(PhaseError):
    """An input artifact is missing, unreadable or does not hold what the phase needs."""


class ThresholdError(PhaseError):
    """A validation metric fell outside its threshold."""


class CodeError(PhaseError):
    """A code step's declaration or its author's code does not fit the contract (a missing
    file or function, a wrong signature, a return value of the wrong kind)."""


class DataCheckError(PhaseError):
    """A check step's data missed one or more of its expectations (all named at once)."""
