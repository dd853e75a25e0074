"""container: run a container step's image, pinned by the digest the run recorded, with its
command in a working directory laid out as the platform laid it out
(``executor/container_files.py``, ``server/provision/container_step.py``): each input under
``inputs/`` by its fixed name, the files the command writes under ``outputs/`` read back as
the step's output."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from executor.standalone.container_workdir import (
    STAGED_NAMES,
    WORKDIR_OUTPUTS,
    fresh_workdir,
    output_files,
)

# --- code ---
# The export's folder (pipeline.py's), and where a container step's output files are kept
# for the next steps.
EXPORT_FOLDER = Path(__file__).resolve().parent
CONTAINER_OUTPUTS = EXPORT_FOLDER / "outputs"
# The working directory's path inside the container (the command's working directory).
CONTAINER_WORKDIR = "/ontolab-step"
# Passed through, as the platform passed them, so the image computes what it computed.
PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


class ContainerError(RuntimeError):
    """A container step cannot run here, or its command failed; the message says why."""


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``docker ARGS`` (the Docker CLI, talking to the engine DOCKER_HOST names)."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def how_to_get(params: dict[str, Any]) -> str:
    """The ways to put the step's image on this engine."""
    ways = [
        "load it with `docker load -i image.tar`, image.tar made on the machine the run ran "
        f"on with `docker save -o image.tar {params['image_reference']}` (while that name "
        f"still points at {params['image_id']})"
    ]
    ways += [f"pull it with `docker pull {digest}`" for digest in params["repo_digests"]]
    return "; or ".join(ways)


def image_problem(params: dict[str, Any]) -> str | None:
    """Why the step's image cannot run here (no docker, no engine, no such image), with the
    fix; None when it can."""
    if shutil.which("docker") is None:
        return (
            "docker is not installed: this step runs the image "
            f"{params['image']}; install Docker (https://docs.docker.com/engine/install/) "
            "and run verify.py again"
        )
    try:
        found = docker("image", "inspect", "--format", "{{.Id}}", params["image_id"])
    except subprocess.TimeoutExpired:
        return "the Docker Engine did not answer within 60 s; check it runs (`docker info`)"
    if found.returncode == 0 and found.stdout.strip() == params["image_id"]:
        return None
    said = (found.stderr.strip().splitlines() or ["(it said nothing)"])[-1]
    if "no such image" not in said.lower():
        where = os.environ.get("DOCKER_HOST", "the default socket")
        return (
            f"cannot reach the Docker Engine at {where} ({said}); start it, or point "
            "DOCKER_HOST at one"
        )
    return f"image {params['image']} is not present: {how_to_get(params)}"


def container_problems(every_step: dict[str, dict[str, Any]]) -> list[str]:
    """A sentence per container step (of ``every_step``'s parameters, by step id) that cannot
    run here: verify.py asks before it runs anything."""
    problems = []
    for step_id, params in every_step.items():
        if params.get("kind") == "container":
            problem = image_problem(params)
            if problem:
                problems.append(f"step {step_id}: {problem}")
    return problems


def write_staged_dataset(frame: pd.DataFrame, metadata: str | None, path: Path) -> None:
    """A table as the platform stored it: Parquet, no index, with the ``ontolab`` schema
    metadata (its target column and source) the run's input carried."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata is not None:
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), b"ontolab": metadata.encode()}
        )
    pq.write_table(table, path)


def stage_input(kind: str, value: Any, staged: Path, params: dict[str, Any]) -> None:
    """One input under ``staged`` (WORKDIR/inputs) as the platform staged it."""
    if kind == "files":
        shutil.copytree(value, staged / "files")
    elif kind in params["stored_inputs"]:  # the run's own file, copied into data/
        shutil.copyfile(EXPORT_FOLDER / params["stored_inputs"][kind], staged / STAGED_NAMES[kind])
    elif kind == "dataset":
        write_staged_dataset(value, params.get("dataset_metadata"), staged / STAGED_NAMES[kind])
    else:  # splits: the dict the process step made, as it stored it
        joblib.dump(value, staged / STAGED_NAMES[kind])


def docker_run(step_id: str, params: dict[str, Any], workdir: Path) -> None:
    """The command in the pinned image, ``workdir`` mounted as its working directory; its
    output kept in outputs/STEP.log. ContainerError when it fails or runs too long."""
    name = f"ontolab-export-{step_id}-{uuid.uuid4().hex[:8]}"
    argv = ["run", "--rm", "--pull", "never", "--name", name, "--init", "--network", "none"]
    argv += ["--user", f"{os.getuid()}:{os.getgid()}"]
    argv += ["-v", f"{workdir}:{CONTAINER_WORKDIR}", "-w", CONTAINER_WORKDIR]
    argv += [f"--env={key}={os.environ[key]}" for key in PASSED_ENV if key in os.environ]
    # By its ID: content-addressed, kept by `docker save`/`load` and by a pull of its registry
    # digest, while NAME@ID names no image on the engine.
    argv += [params["image_id"], *params["command"]]
    try:
        done = docker(*argv, timeout=params["timeout_seconds"])
    except subprocess.TimeoutExpired as exc:
        docker("rm", "--force", name)
        raise ContainerError(
            f"step {step_id}: the command ran longer than {params['timeout_seconds']} s; "
            "raise timeout_seconds in params.json if it needs longer"
        ) from exc
    log = CONTAINER_OUTPUTS / f"{step_id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        raise ContainerError(
            f"step {step_id}: the command exited with status {done.returncode}; its log ends: "
            f"{' | '.join(lines[-5:]) or '(nothing)'} (all of it in {log})"
        )


def run_container(step_id: str, params: dict[str, Any], inputs: dict[str, Any]) -> Path:
    """Stage ``inputs`` into a fresh working directory, run the step's command in its image
    and copy the files it wrote to outputs/STEP.files/, the step's output (a folder, as the
    next step unpacked the run's zip)."""
    problem = image_problem(params)
    if problem is not None:
        raise ContainerError(f"step {step_id}: {problem}")
    with tempfile.TemporaryDirectory(prefix=f"ontolab-{step_id}-") as scratch:
        workdir = Path(scratch)
        staged, _ = fresh_workdir(workdir)
        for kind, value in sorted(inputs.items()):
            stage_input(kind, value, staged, params)
        docker_run(step_id, params, workdir)
        target = CONTAINER_OUTPUTS / f"{step_id}.files"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in output_files(workdir):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(workdir / WORKDIR_OUTPUTS / name, target / name)
    return target
