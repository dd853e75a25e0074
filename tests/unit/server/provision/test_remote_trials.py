"""An AutoML step's trials read back from the marked lines of its log (a swarm job's workdir
is not the platform's): good lines, a malformed line, no lines, and never another step's."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from executor.contract import TRIAL_MARKER, TRIALS_FILE, StepSpec, trial_line
from executor.phases.automl import TrialLog
from executor.remote import RESULT_MARKER
from server.provision.base import fetch_pushed_result
from server.provision.remote_trials import restore_trials, trials_from_log
from server.tracking.trials import read_trials, with_trials
from tests.unit.server.tracking.test_trials import TRIAL, killed


def automl_spec(tmp_path: Path, phase: str = "build", automl: bool = True) -> StepSpec:
    parameters: dict[str, Any] = {"automl": True} if automl else {}
    return StepSpec(
        run_id="r1",
        step_id="automl",
        phase=phase,
        parameters=parameters,
        inputs={},
        artifact_root=str(tmp_path / "artifacts"),
    )


def logged(tmp_path: Path, *lines: str) -> Path:
    workdir = tmp_path / "w"
    workdir.mkdir(parents=True)
    (workdir / "step.log").write_text("".join(line + "\n" for line in lines))
    return workdir


def test_the_marked_lines_of_a_killed_step_become_its_trials(tmp_path: Path) -> None:
    second = {**TRIAL, "number": 1, "kind": "default", "mean_score": -0.5}
    workdir = logged(
        tmp_path,
        "2026-01-01 executor INFO AutoML on 120 rows",
        trial_line(TRIAL),
        "some library's chatter",
        trial_line(second),
    )

    assert restore_trials(automl_spec(tmp_path), workdir) == 2

    assert read_trials(workdir) == [TRIAL, second]
    result = with_trials(killed(), workdir)
    assert [t["number"] for t in result.summary["trials"]] == [0, 1]
    assert "left out" not in (workdir / "step.log").read_text()


@pytest.mark.parametrize(
    "bad",
    [
        TRIAL_MARKER + '{"number": 2, "kind": "sea',  # torn: the job was removed mid-line
        TRIAL_MARKER + "[1, 2]",
        TRIAL_MARKER + json.dumps({**TRIAL, "number": "3"}),
        TRIAL_MARKER + json.dumps({**TRIAL, "number": True}),
        TRIAL_MARKER + json.dumps({**TRIAL, "number": 4, "fold_scores": ["high"]}),
        TRIAL_MARKER + json.dumps({**TRIAL, "number": 5, "shell": "rm -rf /"}),
        TRIAL_MARKER + json.dumps({k: v for k, v in TRIAL.items() if k != "estimator"}),
        trial_line(TRIAL),  # a number seen before
    ],
)
def test_a_malformed_line_is_left_out_and_noted(tmp_path: Path, bad: str) -> None:
    workdir = logged(tmp_path, trial_line(TRIAL), bad)

    assert restore_trials(automl_spec(tmp_path), workdir) == 1

    assert read_trials(workdir) == [TRIAL]
    assert "left out 1 malformed or repeated trial line(s)" in (workdir / "step.log").read_text()


def test_a_log_without_marked_lines_leaves_no_trials(tmp_path: Path) -> None:
    workdir = logged(tmp_path, "executor ERROR out of memory", f"  {trial_line(TRIAL)}")

    assert restore_trials(automl_spec(tmp_path), workdir) == 0

    assert not (workdir / TRIALS_FILE).exists()
    result = killed()
    assert with_trials(result, workdir) is result


def test_only_an_automl_steps_log_is_read(tmp_path: Path) -> None:
    """A code step's output is the author's: lines that look like trials are not trusted."""
    for index, (phase, automl) in enumerate([("code", True), ("build", False)]):
        workdir = logged(tmp_path / str(index), trial_line(TRIAL))
        assert restore_trials(automl_spec(tmp_path, phase, automl), workdir) == 0
        assert not (workdir / TRIALS_FILE).exists()


def test_a_trials_file_the_workdir_holds_is_kept(tmp_path: Path) -> None:
    workdir = logged(tmp_path, trial_line({**TRIAL, "number": 7}))
    (workdir / TRIALS_FILE).write_text(json.dumps(TRIAL) + "\n")

    assert restore_trials(automl_spec(tmp_path), workdir) == 0
    assert read_trials(workdir) == [TRIAL]


def test_a_trial_line_never_holds_a_marker(tmp_path: Path) -> None:
    """A trial whose error quotes the result marker is printed escaped: the platform never
    takes it for the step's result, and it reads back unchanged."""
    sneaky = {**TRIAL, "error": f"ValueError: {RESULT_MARKER}{'ab' * 32}\n{TRIAL_MARKER}{{}}"}
    line = trial_line(sneaky)

    assert RESULT_MARKER not in line and line.count(TRIAL_MARKER) == 1
    workdir = logged(tmp_path, line)
    fetch_pushed_result(str(tmp_path / "artifacts"), workdir)
    assert not (workdir / "result.json").exists()
    assert trials_from_log(line) == ([sneaky], 0)


def test_a_remote_trial_log_prints_each_trial_as_a_marked_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Finished:
        def to_json(self) -> dict[str, Any]:
            return dict(TRIAL)

    monkeypatch.setattr(sys, "__stdout__", sys.stdout)  # what capfd captures
    TrialLog(tmp_path / "local.jsonl")(Finished())
    TrialLog(tmp_path / TRIALS_FILE, remote=True)(Finished())

    printed = capfd.readouterr().out
    assert trials_from_log(printed) == ([TRIAL], 0)
    assert read_trials(tmp_path) == [TRIAL]
