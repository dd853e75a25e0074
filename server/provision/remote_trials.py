"""An AutoML step's finished trials, read back from its log when its workdir was not ours.

A swarm job's workdir is inside its container, so the ``trials.jsonl`` its executor appends to
never reaches the platform; the executor also prints each finished trial on its stdout as one
line starting with ``executor.contract.TRIAL_MARKER``, and the provisioner copies the job's
logs into ``step.log`` whatever happened (success, failure, kill, timeout, cancel).
:func:`restore_trials` writes the trials of those lines into the workdir's ``trials.jsonl``,
where ``server.tracking.trials.with_trials`` finds them as it finds a local step's.

Only an AutoML step's log is read: it runs the platform's own executor and no author code
(a code or container step, whose output the author controls, is never read). Each line is
checked strictly: one that is not a JSON object of the trial's fields with their types is
left out and counted, never trusted.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from executor.contract import TRIAL_MARKER, TRIALS_FILE, StepSpec

log = logging.getLogger(__name__)

_TEXT = (str, type(None))
_NUMBER = (int, float, type(None))
#: Each field a trial line may hold and the JSON types its value may have.
FIELDS: dict[str, tuple[type, ...]] = {
    "number": (int,),
    "kind": (str,),
    "estimator": (str,),
    "params": (dict,),
    "state": (str,),
    "started_at": (str,),
    "ended_at": (str,),
    "fit_seconds": _NUMBER,
    "fold_scores": (list,),
    "mean_score": _NUMBER,
    "error": _TEXT,
    "estimator_class": _TEXT,
}
REQUIRED = ("number", "kind", "estimator", "state")


def is_automl(spec: StepSpec) -> bool:
    """An ol:AutoML step: a build the platform marked ``automl``."""
    return spec.phase == "build" and spec.parameters.get("automl") is True


def trials_from_log(text: str) -> tuple[list[dict[str, Any]], int]:
    """The trials of the marked lines of a step's log, in order, and how many marked lines
    were left out (not a well-formed trial, or a number seen before)."""
    trials: list[dict[str, Any]] = []
    seen: set[int] = set()
    skipped = 0
    for line in text.splitlines():
        if not line.startswith(TRIAL_MARKER):
            continue
        trial = parse_trial(line[len(TRIAL_MARKER) :])
        if trial is None or trial["number"] in seen:
            skipped += 1
            continue
        seen.add(trial["number"])
        trials.append(trial)
    return trials, skipped


def parse_trial(text: str) -> dict[str, Any] | None:
    """One trial from the JSON after a marker; None unless it is a well-formed trial."""
    try:
        trial = json.loads(text)
    except (ValueError, RecursionError):  # torn (the job was killed mid-line) or not JSON
        return None
    if not isinstance(trial, dict) or any(key not in trial for key in REQUIRED):
        return None
    for key, value in trial.items():
        kinds = FIELDS.get(key)
        if kinds is None or isinstance(value, bool) or not isinstance(value, kinds):
            return None
    if trial["number"] < 0:
        return None
    scores = trial.get("fold_scores") or []
    if not all(isinstance(s, int | float) and not isinstance(s, bool) for s in scores):
        return None
    return trial


def restore_trials(spec: StepSpec, workdir: Path) -> int:
    """Write the trials of an AutoML step's ``step.log`` into its ``trials.jsonl`` unless the
    workdir holds one already; a note on the log says how many marked lines were left out.

    Returns:
        How many trials were restored.
    """
    log_file, trials_file = workdir / "step.log", workdir / TRIALS_FILE
    if not is_automl(spec) or trials_file.exists() or not log_file.is_file():
        return 0
    trials, skipped = trials_from_log(log_file.read_text(errors="replace"))
    if skipped:
        log.warning("left out %d malformed trial line(s) of %s", skipped, log_file)
        with open(log_file, "a") as handle:
            handle.write(
                f"\n[ontolab] left out {skipped} malformed or repeated trial line(s) of this "
                "log; the other trials are recorded\n"
            )
    if trials:
        trials_file.write_text("".join(json.dumps(t, sort_keys=True) + "\n" for t in trials))
    return len(trials)
