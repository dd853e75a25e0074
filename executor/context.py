"""What a phase gets (:class:`StepContext`) and returns (:class:`PhaseOutput`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from executor.contract import MEDIA_TYPES, OUTPUT_KIND, ArtifactRef, StepSpec, store_artifact
from executor.params import Params

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to


@dataclass(frozen=True)
class StepContext:
    """One step's spec, its private working folder and its inputs, already loaded by kind."""

    spec: StepSpec
    workdir: Path
    inputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> Params:
        return Params(self.spec.parameters)

    def save(
        self, filename: str, write: Callable[[Path], None], kind: str | None = None
    ) -> dict[str, ArtifactRef]:
        """Write this phase's one output to the workdir, store it, return it as ``outputs``.

        ``kind`` names a second output a phase may store beside its own (the build's
        ``reference_profile``, ``executor.contract.EXTRA_OUTPUTS``); consumers take the phase's
        own kind, so an extra output never replaces it."""
        kind = kind or OUTPUT_KIND[self.spec.phase]
        path = self.workdir / filename
        write(path)
        ref = store_artifact(self.spec.artifact_root, path, MEDIA_TYPES[kind])
        log.info("stored %s %s (%d bytes)", kind, ref.sha256[:12], ref.size)
        return {kind: ref}


@dataclass
class PhaseOutput:
    """What a phase did; becomes the StepResult of a successful step."""

    outputs: dict[str, ArtifactRef]
    metrics: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


class PhaseRunner(Protocol):
    """A phase: read ``ctx``, write exactly one output through ``ctx.save``, describe it.

    Expected failures raise :class:`executor.errors.PhaseError` subclasses whose message ends
    with the fix. Runners keep no state between calls, so a warm worker may call them again.
    """

    def __call__(self, ctx: StepContext) -> PhaseOutput: ...
