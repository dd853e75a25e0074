"""Run one step: load its inputs, call its phase, turn the outcome into a StepResult."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from executor.artifacts import LOADERS
from executor.context import PhaseOutput, StepContext
from executor.contract import (
    CHECK_PHASE,
    CODE_BUNDLE_INPUT,
    CODE_PHASE,
    REQUIRED_INPUTS,
    Status,
    StepErrorInfo,
    StepResult,
    StepSpec,
    artifact_path,
    sha256_of,
)
from executor.errors import InputError, PhaseError
from executor.phases import RUNNERS

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def load_input(spec: StepSpec, kind: str) -> Any:
    """The input ``kind`` of ``spec``, read from the artifact store and checked."""
    ref = spec.inputs.get(kind)
    if ref is None:
        raise InputError(
            f"the {spec.phase} step needs a {kind} input but none was given; "
            f"make it ol:consumes the {kind} another step produces"
        )
    path = artifact_path(spec.artifact_root, ref.sha256)
    if not path.is_file():
        raise InputError(
            f"{kind} artifact {ref.sha256} is not in the store at {path}; "
            "re-run the step that produced it"
        )
    if sha256_of(path) != ref.sha256:
        raise InputError(
            f"{kind} artifact at {path} does not match its checksum {ref.sha256}; "
            "delete it and re-run the step that produced it"
        )
    value = LOADERS[kind](path)
    log.info("loaded %s %s (%d bytes)", kind, ref.sha256[:12], ref.size)
    return value


def input_kinds(spec: StepSpec) -> tuple[str, ...]:
    """The inputs to load: a phase's required ones; every one a code or check step was given."""
    if spec.phase == CODE_PHASE:  # its bundle is unpacked by the phase, not loaded
        return tuple(sorted(kind for kind in spec.inputs if kind != CODE_BUNDLE_INPUT))
    if spec.phase == CHECK_PHASE:  # the dataset or splits it checks, and a reference profile
        return tuple(sorted(spec.inputs))
    return REQUIRED_INPUTS[spec.phase]


def run_phase(spec: StepSpec, workdir: Path) -> PhaseOutput:
    inputs = {kind: load_input(spec, kind) for kind in input_kinds(spec)}
    return RUNNERS[spec.phase](StepContext(spec, workdir, inputs))


def run_step(spec: StepSpec, workdir: Path) -> StepResult:
    """Run ``spec`` in ``workdir``; never raises for a failure of the step itself.

    ``spec.phase`` must be one of ``RUNNERS``; the caller checks that.
    """
    started = now()
    log.info("%s step %s of run %s", spec.phase, spec.step_id, spec.run_id)
    try:
        done = run_phase(spec, workdir)
    except PhaseError as exc:
        log.error("%s: %s", type(exc).__name__, exc)
        return failed(started, exc)
    except Exception as exc:  # the process boundary: any crash becomes a failed result
        log.exception("%s step crashed", spec.phase)
        return failed(started, exc)
    log.info("%s step succeeded", spec.phase)
    return ended("succeeded", started, done)


def failed(started: str, exc: Exception) -> StepResult:
    """A failed result carrying whatever a PhaseError attached."""
    partial = exc if isinstance(exc, PhaseError) else PhaseError(str(exc))
    error = StepErrorInfo(type=type(exc).__name__, message=str(exc))
    return ended("failed", started, partial, error)


def ended(
    status: Status,
    started: str,
    outcome: PhaseOutput | PhaseError,
    error: StepErrorInfo | None = None,
) -> StepResult:
    """The result of a step that ended now, with what its phase produced (or had when it failed)."""
    return StepResult(
        status=status,
        started_at=started,
        ended_at=now(),
        outputs=outcome.outputs,
        metrics=outcome.metrics,
        parameters=outcome.parameters,
        summary=outcome.summary,
        error=error,
    )
