"""``client.runs``: start, get, list, wait, cancel, resume, metrics, artifacts, compare,
leaderboard."""

from __future__ import annotations

import builtins
import hashlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ontolab._http import Transport, segment
from ontolab.errors import OntolabError, WaitTimeout
from ontolab.types import (
    Artifact,
    Comparison,
    LeaderboardEntry,
    Metric,
    RunDetails,
    RunList,
    StartedRun,
)

Progress = Callable[[RunDetails], None]
_SUFFIXES = {
    "application/json": ".json",
    "text/csv": ".csv",
    "application/vnd.apache.parquet": ".parquet",
    "text/plain": ".txt",
}
_CHUNK = 1 << 16


class Runs:
    """Runs of experiment versions, as the platform executes and records them."""

    def __init__(self, transport: Transport) -> None:
        self._http = transport

    def start(
        self, experiment: str, version: int | None = None, *, use_cache: bool | None = None
    ) -> StartedRun:
        """Start a run of an experiment version (the newest when ``version`` is None)."""
        body: dict[str, Any] = {"experiment": experiment}
        body |= {"version": version} if version is not None else {}
        body |= {"use_cache": use_cache} if use_cache is not None else {}
        return StartedRun.from_json(self._http.json("POST", "/api/runs", json=body))

    def get(self, run_id: str) -> RunDetails:
        """A run with its steps, metrics, hyperparameters, artifacts and models."""
        return RunDetails.from_json(self._http.json("GET", f"/api/runs/{segment(run_id)}"))

    def list(
        self,
        *,
        experiment: str | None = None,
        status: str | None = None,
        filter: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> RunList:
        """A page of runs, newest first unless ``sort`` says otherwise.

        Args:
            filter: e.g. ``"status = succeeded and metrics.accuracy >= 0.9"``.
            sort: a field, ``-field`` for descending (``-metrics.accuracy``).
        """
        params: dict[str, str | int | None] = {"experiment": experiment, "status": status}
        params |= {"filter": filter, "sort": sort, "limit": limit, "offset": offset}
        return RunList.from_json(self._http.json("GET", "/api/runs", params=params))

    def wait(
        self,
        run_id: str,
        *,
        timeout: float | None = 600.0,
        poll: float = 0.5,
        on_progress: Progress | None = None,
    ) -> RunDetails:
        """Poll the run until it has ended; its details.

        Args:
            timeout: seconds to wait at most (None: no limit); then ``WaitTimeout``.
            poll: seconds between polls.
            on_progress: called with the run's details first and whenever a step's state
                changes (e.g. to draw a progress bar).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        seen: tuple[tuple[str, str], ...] | None = None
        while True:
            run = self.get(run_id)
            states = tuple((s.step_id, s.status) for s in run.steps) + (("", run.status),)
            if on_progress is not None and states != seen:
                on_progress(run)
            seen = states
            if not run.running:
                return run
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(
                    f"run {run_id} is still running after {timeout:g} s; wait again, or "
                    f"cancel it with client.runs.cancel({run_id!r})"
                )
            time.sleep(
                poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic()))
            )

    def cancel(self, run_id: str) -> str:
        """Cancel a running run; its status afterwards (``cancelling``). ``Conflict`` when it
        is not running."""
        data = self._http.json("POST", f"/api/runs/{segment(run_id)}/cancel")
        return str(data["status"])

    def resume(self, run_id: str) -> StartedRun:
        """Resume an interrupted, failed or cancelled run as a new run (finished steps cached)."""
        data = self._http.json("POST", f"/api/runs/{segment(run_id)}/resume")
        return StartedRun.from_json(data)

    def rerun(self, run_id: str, *, use_cache: bool | None = None) -> StartedRun:
        """Run the same experiment version again."""
        body = {"use_cache": use_cache} if use_cache is not None else None
        data = self._http.json("POST", f"/api/runs/{segment(run_id)}/rerun", json=body)
        return StartedRun.from_json(data)

    def log(self, run_id: str, step_id: str) -> str:
        """The captured output of one step."""
        path = f"/api/runs/{segment(run_id)}/steps/{segment(step_id)}/log"
        return self._http.request("GET", path).text

    def metrics(self, run_id: str) -> builtins.list[Metric]:
        """The run's evaluations, one per step and metric."""
        return self.get(run_id).metrics

    def artifacts(self, run_id: str) -> builtins.list[Artifact]:
        """The files the run's steps wrote (name, kind, sha256, size, media type)."""
        return self.get(run_id).artifacts

    def download(self, artifact: Artifact | str, path: str | os.PathLike[str]) -> Path:
        """Write an artifact (or a sha256) to ``path`` (a file, or a folder to put it in),
        checking its sha256; the file's path."""
        sha256 = artifact.sha256 if isinstance(artifact, Artifact) else artifact
        target = Path(path)
        if target.is_dir():
            target = target / _file_name(artifact)
        answer = self._http.request("GET", f"/api/artifacts/{segment(sha256)}", stream=True)
        digest = hashlib.sha256()
        partial = target.with_name(target.name + ".part")
        with answer, partial.open("wb") as out:
            for chunk in answer.iter_content(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            partial.unlink()
            raise OntolabError(
                f"artifact {sha256} arrived with sha256 {digest.hexdigest()}; download it again"
            )
        partial.replace(target)
        return target

    def compare(self, run_ids: Iterable[str]) -> Comparison:
        """Runs side by side: params, metrics, the best run(s) per metric."""
        ids = ",".join(run_ids)
        return Comparison.from_json(self._http.json("GET", "/api/compare", params={"runs": ids}))

    def leaderboard(
        self, experiment: str, metric: str, *, limit: int = 10
    ) -> builtins.list[LeaderboardEntry]:
        """The best runs of an experiment (every version) by one metric, best first."""
        data = self._http.json(
            "GET",
            f"/api/experiments/{segment(experiment)}/leaderboard",
            params={"metric": metric, "limit": limit},
        )
        return [LeaderboardEntry.from_json(r) for r in data["runs"]]


def _file_name(artifact: Artifact | str) -> str:
    """``STEP-KIND.SUFFIX`` for an artifact (``build-model``), the sha256 for a bare one."""
    if isinstance(artifact, str):
        return artifact
    stem = f"{artifact.step_id}-{artifact.kind or artifact.sha256[:12]}"
    return stem + _SUFFIXES.get(artifact.media_type, "")
