"""``python -m executor``: exit codes, result.json and the usage errors."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from executor.__main__ import main
from executor.contract import StepResult

if TYPE_CHECKING:
    from conftest import Steps

IRIS = {"task": "classification", "source": "sklearn:iris", "target_column": "target"}
REPO = Path(__file__).resolve().parents[3]


def write_spec(steps: Steps, phase: str, parameters: dict, name: str = "spec.json") -> Path:
    path = steps.base / name
    path.write_text(steps.spec(phase, parameters).to_json())
    return path


def test_the_module_runs_as_a_process(steps: Steps) -> None:
    spec = write_spec(steps, "extract", IRIS)
    workdir = steps.base / "work"

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "executor",
            "extract",
            "--spec",
            str(spec),
            "--workdir",
            str(workdir),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    result = StepResult.from_json((workdir / "result.json").read_text())
    assert result.status == "succeeded"
    assert result.summary["rows"] == 150
    assert "loaded sklearn:iris: 150 rows x 5 columns" in done.stderr
    assert done.stdout == ""


def test_a_result_carries_utc_timestamps_in_order(steps: Steps) -> None:
    result = steps.ok("extract", IRIS)

    started = datetime.fromisoformat(result.started_at)
    ended = datetime.fromisoformat(result.ended_at)
    assert started.utcoffset() == ended.utcoffset() == timedelta(0)
    assert started <= ended
    assert result.log_tail == ""


def test_a_failed_step_exits_1_and_says_why(steps: Steps) -> None:
    spec = write_spec(steps, "extract", {**IRIS, "source": "sklearn:nope"})
    workdir = steps.base / "work"

    code = main(["extract", "--spec", str(spec), "--workdir", str(workdir)])

    assert code == 1
    data = json.loads((workdir / "result.json").read_text())
    assert data["status"] == "failed"
    assert data["error"]["type"] == "ParameterError"
    assert data["error"]["message"].startswith("source 'sklearn:nope' is not a bundled dataset")


def test_an_unexpected_crash_is_a_failed_result(
    steps: Steps, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("executor.phases.extract.write_dataset", explode)

    result = steps.run("extract", IRIS)

    assert result.error is not None
    assert (result.error.type, result.error.message) == ("RuntimeError", "disk on fire")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--spec", "{spec}", "--workdir", "{work}"], "unknown phase 'train'; use one of"),
        (
            ["build", "--spec", "{spec}", "--workdir", "{work}"],
            "phase argument 'build' does not match the spec's phase 'extract'",
        ),
        (["extract", "--spec", "{missing}", "--workdir", "{work}"], "cannot read spec"),
        (["extract", "--spec", "{garbage}", "--workdir", "{work}"], "cannot read spec"),
        (["extract", "--workdir", "{work}"], "the following arguments are required: --spec"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    steps: Steps, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    paths = {
        "spec": str(write_spec(steps, "extract", IRIS)),
        "work": str(steps.base / "work"),
        "missing": str(steps.base / "absent.json"),
        "garbage": str(steps.base / "garbage.json"),
    }
    (steps.base / "garbage.json").write_text("{not json")

    code = main([arg.format(**paths) for arg in argv])

    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("executor: ")
    assert message in err
    assert not (steps.base / "work" / "result.json").exists()


def test_help_returns_instead_of_exiting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "python -m executor" in capsys.readouterr().out


def test_main_leaves_the_logger_as_it_found_it(steps: Steps) -> None:
    logger = logging.getLogger("executor")
    handlers, level = list(logger.handlers), logger.level

    steps.ok("extract", IRIS)

    assert logger.handlers == handlers
    assert logger.level == level
