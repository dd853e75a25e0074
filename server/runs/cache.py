"""Step cache: a step with the same phase, parameters and input checksums as an earlier
successful step reuses that step's result instead of running again.

A hit needs every output of the earlier step stored with its checksum intact: the artifact
store checks the bytes (and remembers the check per file while it is unchanged, so a hit
stays cheap); an output that fails is quarantined and the step runs again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from executor.contract import StepResult, StepSpec
from server.tracking.artifacts import ArtifactStore

# Bump when the executor's outputs for the same spec change meaning.
CACHE_FORMAT = 1


@dataclass(frozen=True)
class CacheHit:
    result: StepResult
    step_run: str  # IRI of the step run that computed it


class StepCache:
    def __init__(self, root: Path, artifacts: ArtifactStore) -> None:
        self._root = root
        self._artifacts = artifacts

    @staticmethod
    def key(spec: StepSpec) -> str:
        """What makes two steps the same work: phase, parameters, inputs by checksum."""
        identity = {
            "format": CACHE_FORMAT,
            "phase": spec.phase,
            "parameters": spec.parameters,
            "inputs": {kind: ref.sha256 for kind, ref in sorted(spec.inputs.items())},
        }
        text = json.dumps(identity, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, spec: StepSpec) -> CacheHit | None:
        """The earlier result for this work, if it succeeded and its outputs are stored intact."""
        path = self._path(self.key(spec))
        try:
            entry = json.loads(path.read_text())
            result, step_run = StepResult.from_json(entry["result"]), str(entry["step_run"])
        except (OSError, ValueError, KeyError, TypeError):  # none, or damaged: run the step
            return None
        if result.status != "succeeded" or not all(
            self._artifacts.has(ref) for ref in result.outputs.values()
        ):
            return None
        return CacheHit(result, step_run)

    def put(self, spec: StepSpec, result: StepResult, step_run: str) -> None:
        if result.status != "succeeded":
            return
        path = self._path(self.key(spec))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as handle:
            json.dump({"result": result.to_json(), "step_run": step_run}, handle)
        os.replace(tmp, path)

    def _path(self, key: str) -> Path:
        return self._root / key[:2] / f"{key[2:]}.json"
