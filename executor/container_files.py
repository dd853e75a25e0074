"""The files around a container step (``ol:ContainerStep``): staging inputs, packing outputs.

The author's image need not hold the executor, so the executor's part is done around it, in a
folder that becomes the command's working directory: :func:`place_inputs` puts each input
there under ``inputs/`` (``dataset.parquet``, ``splits.joblib``…; a ``files`` input unpacked
into ``inputs/files/``) beside an empty ``outputs/``, and :func:`pack_outputs` stores
``outputs/`` as one zip, the step's ``files`` output. The docker provisioner calls both on the
host (the store is mounted); under swarm they run in the runner image as two jobs beside the
author's, on the node holding the step's volume, with artifacts over the platform's HTTP API:

    python -m executor.container_files stage-in --spec-env NAME --dir DIR
    python -m executor.container_files stage-out --spec-env NAME --dir DIR --started ISO

``stage-in`` fetches the inputs (checked against their sha256) and places them; ``stage-out``
packs the outputs, pushes the zip and publishes the step's result (``executor.remote``), which
is how the platform reads it back. Exit status 0 when done, 1 when it failed (the reason on
stderr; stage-out then published a failed result), 2 for a wrong call.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from executor.contract import (
    MEDIA_TYPES,
    ArtifactRef,
    StepErrorInfo,
    StepResult,
    StepSpec,
    artifact_path,
    extract_bundle,
    store_artifact,
)
from executor.standalone.container_workdir import (
    STAGED_NAMES,
    WORKDIR_INPUTS,
    WORKDIR_OUTPUTS,
    fresh_workdir,
    output_files,
)

INPUTS, OUTPUTS = WORKDIR_INPUTS, WORKDIR_OUTPUTS


def place_inputs(inputs: dict[str, Path], folder: Path) -> None:
    """Put each input file (by kind, already checked) under ``folder/inputs``; make
    ``folder/outputs`` empty and writable by any user (the image may run as any)."""
    staged, _ = fresh_workdir(folder)
    for kind, source in inputs.items():
        if kind == "files":
            extract_bundle(source, staged / "files")
        else:
            shutil.copyfile(source, staged / STAGED_NAMES.get(kind, kind))


def pack_outputs(folder: Path, root: str | os.PathLike[str]) -> tuple[ArtifactRef, list[str]]:
    """Store ``folder/outputs`` as one zip under the artifact store ``root``: its ref and the
    files it holds (symbolic links left out: they could point anywhere)."""
    outputs, files = folder / OUTPUTS, output_files(folder)
    with tempfile.TemporaryDirectory() as scratch:
        packed = Path(scratch) / "files.zip"
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in files:
                archive.write(outputs / name, name)
        return store_artifact(root, packed, MEDIA_TYPES["files"]), files


def succeeded(started: str, ended: str, ref: ArtifactRef, files: list[str]) -> StepResult:
    return StepResult("succeeded", started, ended, outputs={"files": ref}, summary={"files": files})


def exited(started: str, ended: str, exit_code: int, log_tail: str) -> StepResult:
    """The failed result of a command that exited ``exit_code``: nothing stored, the end of
    its log as the reason."""
    lines = [line.strip() for line in log_tail.splitlines() if line.strip()][-5:]
    said = f"; its log ends: {' | '.join(lines)}" if lines else "; it printed nothing"
    message = f"the command exited with status {exit_code}{said} (the whole log is the step's)"
    return StepResult("failed", started, ended, error=StepErrorInfo("ContainerExit", message))


# -- the swarm jobs --------------------------------------------------------------------------


def stage_in(spec: StepSpec, folder: Path) -> None:
    """Fetch every input over ``spec.artifact_url`` and place it in ``folder``."""
    from executor.remote import fetch

    with tempfile.TemporaryDirectory() as scratch:
        for ref in spec.inputs.values():
            fetch(spec.artifact_url, ref, Path(scratch))
        place_inputs(
            {kind: artifact_path(scratch, ref.sha256) for kind, ref in spec.inputs.items()},
            folder,
        )


def stage_out(spec: StepSpec, folder: Path, started: str) -> StepResult:
    """Pack ``folder/outputs``, push the zip and publish the result; never raises for a
    transfer that failed (the published result says so)."""
    from executor.remote import TransferError, publish_result, push
    from executor.runner import failed, now

    with tempfile.TemporaryDirectory() as scratch:
        try:
            ref, files = pack_outputs(folder, scratch)
            push(spec.artifact_url, artifact_path(scratch, ref.sha256), ref)
            result = succeeded(started or now(), now(), ref, files)
        except (TransferError, OSError) as exc:
            result = failed(started or now(), exc)
    publish_result(spec.artifact_url, result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m executor.container_files")
    parser.add_argument("job", choices=("stage-in", "stage-out"))
    parser.add_argument("--spec-env", required=True, metavar="NAME")
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--started", default="")
    args = parser.parse_args(argv)
    try:
        spec = StepSpec.from_json(os.environ[args.spec_env])
    except (KeyError, ValueError, TypeError) as exc:
        print(f"cannot read the spec from ${args.spec_env} ({exc})", file=sys.stderr)
        return 2
    if args.job == "stage-in":
        from executor.remote import TransferError

        try:
            stage_in(spec, args.dir)
        except (TransferError, OSError, ValueError) as exc:
            print(f"staging the inputs failed: {exc}", file=sys.stderr)
            return 1
        print(f"staged {len(spec.inputs)} input(s) into {args.dir / INPUTS}", flush=True)
        return 0
    result = stage_out(spec, args.dir, args.started)
    if result.error is not None:
        print(f"storing the outputs failed: {result.error.message}", file=sys.stderr)
    return 0 if result.status == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
