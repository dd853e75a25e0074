"""Container steps (``ol:ContainerStep``): an author's image and command, inputs and outputs as
files in the step's workdir.

The image need not hold the executor, so the provisioner does the executor's part around it
(the file layout is :mod:`executor.container_files`'s). Under docker, on the host:
:func:`stage_inputs` copies each input artifact (checked against its sha256) into
``WORKDIR/inputs``, the command runs with ``WORKDIR`` as its working directory, and
:func:`write_result` stores ``WORKDIR/outputs`` as one zip, the step's ``files`` output, and
writes ``result.json``. Under swarm the same two halves run as jobs of the runner image
beside the author's (``server.provision.swarm_container``). Nothing is stored when the command
fails. Standard library and the executor's contract only.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from executor.container_files import exited, pack_outputs, place_inputs, succeeded
from executor.contract import StepSpec, artifact_path, sha256_of
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


def image_facts(client: Any, reference: str, image_id: str) -> dict[str, Any]:
    """What the command ran, for the step run's ``ol:imageDigest``: the image's ID on the
    engine (``sha256:…`` of its config: its content, whatever tag pointed at it), the name
    the definition gave and the registry digests the engine knows for it (``name@sha256:…``,
    none for an image built or loaded here). Nothing when the ID is not known."""
    if not image_id.startswith("sha256:"):
        return {}
    try:
        repo_digests = sorted(client.images.get(image_id).attrs.get("RepoDigests") or [])
    except Exception:  # removed meanwhile, or the engine is gone: the ID is what counts
        repo_digests = []
    return {"image": {"reference": reference, "id": image_id, "repo_digests": repo_digests}}


def stage_inputs(spec: StepSpec, workdir: Path) -> None:
    """Copy every input into ``workdir/inputs`` and make ``workdir/outputs`` empty."""
    sources = {}
    for kind, ref in spec.inputs.items():
        source = artifact_path(spec.artifact_root, ref.sha256)
        if not source.is_file() or sha256_of(source) != ref.sha256:
            raise StepError(
                f"input {kind} of step {spec.step_id!r} is missing or damaged at {source}; "
                "re-run the step that produced it"
            )
        sources[kind] = source
    place_inputs(sources, workdir)


def write_result(
    spec: StepSpec, workdir: Path, exit_code: int, started: str, log_tail: str = ""
) -> None:
    """``result.json`` for a command that ended with ``exit_code``: on 0 the outputs folder
    stored as the ``files`` artifact, otherwise a failure (the end of ``log_tail`` as its
    reason) and nothing stored."""
    if exit_code != 0:
        result = exited(started, utc_now(), exit_code, log_tail)
    else:
        ref, files = pack_outputs(workdir, spec.artifact_root)
        result = succeeded(started, utc_now(), ref, files)
    (workdir / "result.json").write_text(result.to_json())
