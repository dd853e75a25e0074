"""The step generators: parameters resolved as the executor resolves them, templates that agree
with the executor's code, and refusals that name the step and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from executor.artifacts import Dataset
from executor.context import StepContext
from executor.contract import StepSpec
from executor.phases import process as executor_process
from executor.phases import validate as executor_validate
from server.errors import ExportError
from server.interop import assemble
from server.interop.generators import (
    ExportContext,
    estimator_import,
    generate,
    process_settings,
)
from server.interop.run_facts import RunFacts, StepFacts
from server.interop.templates import process as template_process
from server.interop.templates import validate as template_validate
from server.tracking.artifacts import ArtifactStore


def executor_settings(parameters: dict[str, Any], frame: pd.DataFrame, tmp_path: Path) -> dict:
    spec = StepSpec("r", "process", "process", parameters, {}, str(tmp_path))
    ctx = StepContext(spec, tmp_path, {"dataset": Dataset(frame, "target")})
    return executor_process.read_settings(ctx)


@pytest.mark.parametrize(
    "parameters",
    [
        {"task": "classification"},
        {"task": "regression"},
        {
            "task": "classification",
            "imputation": "mean",
            "scaling": "minmax",
            "one_hot_encoding": "false",
            "test_size": 0.3,
            "random_seed": 7.0,
            "stratify": "false",
        },
    ],
)
def test_process_settings_resolve_as_the_executor_does(
    parameters: dict[str, Any], tmp_path: Path
) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "target": [0, 1, 0, 1]})
    expected = executor_settings(parameters, frame, tmp_path)
    assert process_settings(parameters, "target") == expected


def test_the_templates_preprocess_and_checksum_as_the_executor_does() -> None:
    frame = pd.DataFrame({"n": [1.0, np.nan, 3.0, 4.0], "c": ["a", None, "b", "a"]})
    settings = {"imputation": "median", "scaling": "robust", "one_hot_encoding": True}
    mine = template_process.make_preprocessor(["n"], ["c"], settings).fit_transform(frame)
    theirs = executor_process.make_preprocessor(["n"], ["c"], settings).fit_transform(frame)
    np.testing.assert_array_equal(mine, theirs)
    for predicted in (np.array([0, 2, 1]), np.array(["no", "yes"]), np.array([0.1, 1 / 3])):
        assert template_validate.predictions_sha256(
            predicted
        ) == executor_validate.predictions_sha256(predicted)


def facts(*steps: StepFacts) -> RunFacts:
    return RunFacts("0123456789abcdef", "succeeded", "demo", 1, "classification", steps)


def test_a_step_kind_without_a_generator_is_refused_naming_it(tmp_path: Path) -> None:
    step = StepFacts("mine", "telepathy", {}, {})
    context = ExportContext(facts(step), ArtifactStore(tmp_path), {"mine": "step_mine"})
    with pytest.raises(ExportError, match="step 'mine' .* is a 'telepathy' step, which export"):
        generate(context, step)


@pytest.mark.parametrize("recorded", ["os.system", "sklearn.svm.__class__", "a..b"])
def test_an_estimator_that_is_not_the_definitions_is_refused(recorded: str) -> None:
    step = StepFacts("build", "build", {"estimator": "SVC"}, {}, estimator_class=recorded)
    with pytest.raises(ExportError, match="step 'build' records estimator"):
        estimator_import(step)


def test_a_recorded_estimator_class_is_imported_by_its_module() -> None:
    step = StepFacts("build", "build", {"estimator": "SVC"}, {}, estimator_class="sklearn.svm.SVC")
    assert estimator_import(step) == ("sklearn.svm", "SVC")
    legacy = StepFacts("build", "build", {"estimator": "Ridge"}, {})
    assert estimator_import(legacy) == ("sklearn.linear_model", "Ridge")


def test_requirements_pin_what_the_run_recorded_and_say_what_it_did_not() -> None:
    build = StepFacts(
        "build",
        "build",
        {},
        {},
        library_versions={"scikit-learn": "1.9.1", "numpy": "2.4.6", "python": "3.11.7"},
    )
    text = assemble.requirements(facts(build))
    assert "scikit-learn==1.9.1\nnumpy==2.4.6\n" in text
    assert "# Python 3.11.7 ran its steps." in text
    assert "unpinned.\npandas\nscipy\npyarrow\njoblib\n" in text
    assert "python==" not in text
