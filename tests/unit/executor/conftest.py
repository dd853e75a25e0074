"""Fixtures that run executor phases through ``executor.__main__.main`` on real data."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from executor.__main__ import main
from executor.context import PhaseOutput
from executor.contract import (
    EXTRA_OUTPUTS,
    OUTPUT_KIND,
    ArtifactRef,
    StepResult,
    StepSpec,
    artifact_path,
)
from executor.runner import run_phase


class Steps:
    """Runs phases against one artifact store and hands back their StepResults."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "store"
        self._count = itertools.count()

    def spec(self, phase: str, parameters: dict[str, Any], **inputs: ArtifactRef) -> StepSpec:
        return StepSpec(
            run_id="run-1",
            step_id=phase,
            phase=phase,
            parameters=parameters,
            inputs=inputs,
            artifact_root=str(self.root),
        )

    def run(self, phase: str, parameters: dict[str, Any], **inputs: ArtifactRef) -> StepResult:
        """Run one step through ``main``; the exit status must agree with the result."""
        workdir = self.base / f"step-{next(self._count)}-{phase}"
        workdir.mkdir()
        spec_file = workdir / "spec.json"
        spec_file.write_text(self.spec(phase, parameters, **inputs).to_json())
        code = main([phase, "--spec", str(spec_file), "--workdir", str(workdir)])
        result = StepResult.from_json((workdir / "result.json").read_text())
        assert code == (0 if result.status == "succeeded" else 1)
        return result

    def call(self, phase: str, parameters: dict[str, Any], **inputs: ArtifactRef) -> PhaseOutput:
        """Run one phase in-process, so its PhaseError reaches ``pytest.raises``."""
        workdir = self.base / f"call-{next(self._count)}-{phase}"
        workdir.mkdir()
        return run_phase(self.spec(phase, parameters, **inputs), workdir)

    def ok(self, phase: str, parameters: dict[str, Any], **inputs: ArtifactRef) -> StepResult:
        result = self.run(phase, parameters, **inputs)
        assert result.status == "succeeded", result.error
        return result

    def output(self, phase: str, parameters: dict[str, Any], **inputs: ArtifactRef) -> ArtifactRef:
        """The output of a step that must succeed (its phase's own kind, where it stores
        another beside it: a build's reference profile)."""
        outputs = self.ok(phase, parameters, **inputs).outputs
        if phase in EXTRA_OUTPUTS:
            return outputs[OUTPUT_KIND[phase]]
        (ref,) = outputs.values()
        return ref

    def path(self, ref: ArtifactRef) -> Path:
        return artifact_path(self.root, ref.sha256)


@pytest.fixture
def steps(tmp_path: Path) -> Steps:
    return Steps(tmp_path)


CLASSIFICATION = {"task": "classification"}
REGRESSION = {"task": "regression"}


@pytest.fixture
def iris_dataset(steps: Steps) -> ArtifactRef:
    return steps.output(
        "extract", {**CLASSIFICATION, "source": "sklearn:iris", "target_column": "target"}
    )


@pytest.fixture
def iris_splits(steps: Steps, iris_dataset: ArtifactRef) -> ArtifactRef:
    return steps.output("process", CLASSIFICATION, dataset=iris_dataset)


@pytest.fixture
def iris_model(steps: Steps, iris_splits: ArtifactRef) -> ArtifactRef:
    build = {**CLASSIFICATION, "estimator": "LogisticRegression", "model_name": "iris"}
    return steps.output("build", build, splits=iris_splits)


@pytest.fixture
def diabetes_splits(steps: Steps) -> ArtifactRef:
    extract = {**REGRESSION, "source": "sklearn:diabetes", "target_column": "target"}
    dataset = steps.output("extract", extract)
    return steps.output("process", REGRESSION, dataset=dataset)


def mixed_frame(rows: int = 240, seed: int = 0) -> pd.DataFrame:
    """Numeric, categorical and boolean features with gaps, and a binary target with gaps."""
    rng = np.random.default_rng(seed)
    size = rng.normal(10.0, 3.0, rows)
    colour = rng.choice(["red", "green", "blue"], rows)
    flag = rng.choice([True, False], rows)
    signal = (size - 10.0) / 3.0 + np.where(colour == "red", 1.5, -0.5) + rng.normal(0, 0.5, rows)
    frame = pd.DataFrame(
        {
            "size": size,
            "weight": rng.uniform(0, 100, rows).round(1),
            "colour": colour,
            "flag": flag,
            "label": np.where(signal > 0, "yes", "no"),
        }
    ).astype({"colour": object, "flag": object, "label": object})
    frame.loc[::7, "size"] = np.nan
    frame.loc[3::11, "colour"] = None
    frame.loc[5::13, "flag"] = None
    frame.loc[[2, rows // 5, rows // 2], "label"] = None
    return frame


@pytest.fixture
def make_mixed_frame() -> Callable[..., pd.DataFrame]:
    return mixed_frame


@pytest.fixture
def mixed_csv(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.csv"
    mixed_frame().to_csv(path, index=False)
    return path


@pytest.fixture
def mixed_dataset(steps: Steps, mixed_csv: Path) -> ArtifactRef:
    extract = {**CLASSIFICATION, "source": str(mixed_csv), "target_column": "label"}
    return steps.output("extract", extract)


@pytest.fixture
def mixed_splits(steps: Steps, mixed_dataset: ArtifactRef) -> ArtifactRef:
    return steps.output("process", CLASSIFICATION, dataset=mixed_dataset)
