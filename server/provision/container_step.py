"""Container steps (``ol:ContainerStep``): an author's image and command, inputs and outputs as
files in the step's workdir.

The image need not hold the executor, so the provisioner does the executor's part around it:
:func:`stage_inputs` copies each input artifact (checked against its sha256) into
``WORKDIR/inputs`` (``dataset.parquet``, ``splits.joblib``…; a ``files`` input unpacked into
``inputs/files/``), the command runs with ``WORKDIR`` as its working directory, and
:func:`write_result` stores ``WORKDIR/outputs`` as one zip, the step's ``files`` output, and
writes ``result.json``. Nothing is stored when the command fails. Standard library and
``executor.contract`` only.
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
import zipfile
from pathlib import Path

from executor.contract import (
    MEDIA_TYPES,
    STAGED_NAMES,
    StepErrorInfo,
    StepResult,
    StepSpec,
    artifact_path,
    extract_bundle,
    sha256_of,
    store_artifact,
)
from server.errors import StepError
from server.graph.clock import utc_now

INPUTS, OUTPUTS = "inputs", "outputs"


def command_of(spec: StepSpec) -> tuple[str, list[str]]:
    """The image and the command (split like a shell would, never run by one)."""
    image, command = spec.parameters.get("container_image"), spec.parameters.get("command")
    if not isinstance(image, str) or not isinstance(command, str) or not command.strip():
        raise StepError(
            f"container step {spec.step_id!r} needs ol:containerImage and ol:command; add both"
        )
    return image, shlex.split(command)


def stage_inputs(spec: StepSpec, workdir: Path) -> None:
    """Copy every input into ``workdir/inputs`` and make ``workdir/outputs`` empty."""
    inputs, outputs = workdir / INPUTS, workdir / OUTPUTS
    shutil.rmtree(inputs, ignore_errors=True)
    shutil.rmtree(outputs, ignore_errors=True)
    inputs.mkdir(parents=True)
    outputs.mkdir()
    outputs.chmod(0o777)  # the image may run as any user
    for kind, ref in spec.inputs.items():
        source = artifact_path(spec.artifact_root, ref.sha256)
        if not source.is_file() or sha256_of(source) != ref.sha256:
            raise StepError(
                f"input {kind} of step {spec.step_id!r} is missing or damaged at {source}; "
                "re-run the step that produced it"
            )
        if kind == "files":
            extract_bundle(source, inputs / "files")
        else:
            shutil.copyfile(source, inputs / STAGED_NAMES.get(kind, kind))


def write_result(spec: StepSpec, workdir: Path, exit_code: int, started: str) -> None:
    """``result.json`` for a command that ended with ``exit_code``: on 0 the outputs folder
    stored as the ``files`` artifact, otherwise a failure and nothing stored."""
    outputs = workdir / OUTPUTS
    if exit_code != 0:
        error = StepErrorInfo(
            "ContainerExit",
            f"the command exited with status {exit_code}; its output is in the step log",
        )
        result = StepResult("failed", started, utc_now(), error=error)
    else:
        with tempfile.TemporaryDirectory(dir=workdir) as scratch:
            packed = Path(scratch) / "files.zip"
            with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(outputs.rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        archive.write(path, path.relative_to(outputs).as_posix())
            ref = store_artifact(spec.artifact_root, packed, MEDIA_TYPES["files"])
        files = sorted(p.relative_to(outputs).as_posix() for p in outputs.rglob("*") if p.is_file())
        result = StepResult(
            "succeeded", started, utc_now(), outputs={"files": ref}, summary={"files": files}
        )
    (workdir / "result.json").write_text(result.to_json())
