"""Export generator for a container step (``ol:ContainerStep``): the author's image, run
again by the digest the run recorded for it.

The step run's ``ol:imageDigest`` (the image's ID on the engine, ``sha256:…``, taken when the
command ran; named query ``run_container_images``) pins the image: the exported function runs
``docker run --rm --network none IMAGE_ID COMMAND`` with a fresh working directory laid out as
the provisioners lay it out (``templates/container.py``): the step's inputs staged under
``inputs/`` — a dataset written as the platform stored it (its schema metadata included), the
splits as the process step made them, a files folder copied in, and a profile, report or model
as the run stored them (copied into ``data/``: the export's own objects are not those files) —
and the files the command writes under ``outputs/`` are the step's output, checked by
verify.py against the files the run stored. Registered in ``generators.GENERATORS``.
"""

from __future__ import annotations

import hashlib
import shlex
import zipfile
from typing import Any

from executor.contract import CONTAINER_PHASE
from executor.standalone.container_workdir import STAGED_NAMES
from server.errors import ExportError
from server.interop.generators import GENERATORS, ExportContext, StepCode, _scalar, _signature
from server.interop.run_facts import StepFacts

#: Inputs staged from the run's own file rather than from the pipeline's object.
STORED_KINDS = ("profile", "report", "model")
#: How long the exported command may run (params.json ``timeout_seconds`` changes it).
TIMEOUT_SECONDS = 3600


def container_step_code(context: ExportContext, step: StepFacts) -> StepCode:
    """The step's command in its image, pinned by the recorded digest, on its staged inputs."""
    if not step.image_digest:
        raise ExportError(
            f"run {context.run.run_id} recorded no image digest for container step "
            f"{step.id!r} (runs made before digests were recorded lack it), so export cannot "
            "pin the image it ran; rerun the experiment and export the new run"
        )
    reference = str(_scalar(step.parameters, "container_image", ""))
    command = str(_scalar(step.parameters, "command", ""))
    parameters: dict[str, Any] = {
        "kind": "container",
        "image": f"{reference}@{step.image_digest}",
        "image_reference": reference,
        "image_id": step.image_digest,
        "repo_digests": list(step.repo_digests),
        "command_line": command,
        "command": shlex.split(command),
        "timeout_seconds": TIMEOUT_SECONDS,
        "stored_inputs": {},
    }
    code = StepCode(parameters, "", templates=("container",), needs=_needs(step, parameters))
    for kind in sorted(set(step.inputs) & set(STORED_KINDS)):
        parameters["stored_inputs"][kind] = _copy_input(context, step, kind, code)
    if "dataset" in step.inputs:
        parameters["dataset_metadata"] = _dataset_metadata(context, step)
    code.expected = {"files": _stored_files(context, step)}
    given = "{" + ", ".join(f"{k!r}: {k}" for k in sorted(step.inputs)) + "}"
    code.function = "\n".join(
        [
            _signature(context, step, "Path"),
            f'    """{step.id}: `{command}` in {reference} (by the ID the run ran), on its '
            'inputs staged as the run staged them."""',
            f"    return run_container({step.id!r}, params, {given})",
        ]
    )
    return code


def _needs(step: StepFacts, parameters: dict[str, Any]) -> tuple[str, ...]:
    pull = "".join(f" or `docker pull {d}`" for d in step.repo_digests)
    return (
        "Docker: the `docker` CLI and a running Docker Engine (DOCKER_HOST to use another one); "
        "not installable with pip",
        f"the image of step `{step.id}`, `{parameters['image_reference']}` with ID "
        f"`{parameters['image_id']}` (what the run ran): `docker save -o image.tar "
        f"{parameters['image_reference']}` where the run ran, then `docker load -i image.tar` "
        f"here{pull}",
    )


def _copy_input(context: ExportContext, step: StepFacts, kind: str, code: StepCode) -> str:
    """The run's own ``kind`` file the step was given, copied into data/; its path there."""
    producer = context.step(step.inputs[kind])
    path = f"data/{producer.id}-{STAGED_NAMES[kind]}"
    context.copy_artifact(
        code,
        producer,
        kind,
        path,
        listed=kind,
        role=f"the {kind} file the run staged for container step {step.id}, staged again as it is",
    )
    return path


def _dataset_metadata(context: ExportContext, step: StepFacts) -> str | None:
    """The ``ontolab`` schema metadata of the dataset the run staged (its target column and
    source), which the exported staging writes again."""
    import pyarrow.parquet as pq

    producer = context.step(step.inputs["dataset"])
    path = context.artifacts.path(context.artifact(producer, "dataset")["sha256"])
    found = (pq.read_schema(path).metadata or {}).get(b"ontolab")
    return None if found is None else found.decode()


def _stored_files(context: ExportContext, step: StepFacts) -> dict[str, str]:
    """Each file of the zip the run stored as the step's output, with its sha256."""
    path = context.artifacts.path(context.artifact(step, "files")["sha256"])
    with zipfile.ZipFile(path) as archive:
        return {
            name: hashlib.sha256(archive.read(name)).hexdigest()
            for name in sorted(archive.namelist())
            if not name.endswith("/")
        }


GENERATORS[CONTAINER_PHASE] = container_step_code
