"""Run a step that does not see the artifact store: artifacts travel over the platform's HTTP API.

A swarm task may run on any node, so its spec carries ``artifact_url`` (the platform's
``/api/artifacts``). Inputs are fetched into a private store under the workdir and checked
against their sha256; the step runs as usual against that store; outputs are pushed back
with ``PUT {artifact_url}/SHA256``. The result itself is pushed the same way and its checksum
printed on a line starting with :data:`RESULT_MARKER`, which is how the platform finds it.
Standard library only: the runner image carries no HTTP client of its own.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

from executor.contract import (
    ARTIFACT_TOKEN_ENV,
    ArtifactRef,
    StepResult,
    StepSpec,
    artifact_path,
    sha256_of,
)
from executor.errors import InputError
from executor.runner import failed, now, run_step

RESULT_MARKER = "ontolab-result-sha256: "
TIMEOUT = 120.0
log = logging.getLogger(__name__)  # a child of "executor", which a step logs to


class TransferError(InputError):
    """An artifact could not be fetched from or pushed to the platform."""


def run_remote_step(spec: StepSpec, workdir: Path) -> StepResult:
    """Fetch the inputs, run the step, push the outputs and the result; never raises."""
    started = now()
    root = workdir / "artifacts"
    try:
        for ref in spec.inputs.values():
            fetch(spec.artifact_url, ref, root)
        result = run_step(replace(spec, artifact_root=str(root)), workdir)
        if result.status == "succeeded":
            for ref in result.outputs.values():
                push(spec.artifact_url, artifact_path(root, ref.sha256), ref)
    except TransferError as exc:
        result = failed(started, exc)
    publish_result(spec.artifact_url, result)
    return result


def fetch(base_url: str, ref: ArtifactRef, root: Path) -> None:
    target = artifact_path(root, ref.sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    url = f"{base_url}/{ref.sha256}"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    request = urllib.request.Request(url, headers=_auth())
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            for block in iter(lambda: answer.read(1 << 20), b""):
                out.write(block)
        if sha256_of(tmp) != ref.sha256:
            raise TransferError(f"{url} answered a file that does not match its checksum; retry")
        os.replace(tmp, target)
    except (OSError, urllib.error.URLError) as exc:
        raise TransferError(
            f"cannot fetch input artifact {url} ({exc}); the platform must be reachable from "
            "the node at ONTOLAB_PLATFORM_URL"
        ) from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    log.info("fetched %s (%d bytes)", ref.sha256[:12], ref.size)


def push(base_url: str, path: Path, ref: ArtifactRef) -> None:
    url = f"{base_url}/{ref.sha256}"
    request = urllib.request.Request(
        url,
        data=path.read_bytes(),
        method="PUT",
        headers={"Content-Type": ref.media_type, **_auth()},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            answer.read()
    except (OSError, urllib.error.URLError) as exc:
        raise TransferError(
            f"cannot push output artifact to {url} ({exc}); the platform must be reachable "
            "from the node at ONTOLAB_PLATFORM_URL"
        ) from exc
    log.info("pushed %s (%d bytes)", ref.sha256[:12], ref.size)


def _auth() -> dict[str, str]:
    """The step's artifact token as a bearer header, when the platform gave it one."""
    token = os.environ.get(ARTIFACT_TOKEN_ENV)
    return {"Authorization": f"Bearer {token}"} if token else {}


def publish_result(base_url: str, result: StepResult) -> None:
    """Push the result JSON as an artifact and print its checksum for the platform."""
    data = result.to_json().encode()
    sha = hashlib.sha256(data).hexdigest()
    with tempfile.NamedTemporaryFile(prefix="result-", suffix=".json") as handle:
        handle.write(data)
        handle.flush()
        try:
            push(base_url, Path(handle.name), ArtifactRef(sha, len(data), "application/json"))
        except TransferError as exc:
            log.error("%s", exc)
            return
    print(f"{RESULT_MARKER}{sha}", flush=True)
