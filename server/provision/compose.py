"""The Compose file of a run: the same plan, runnable by hand with ``docker-compose up``.

One service per step, in the runner image, with host networking, the definition's limits,
the artifact store mounted at its host path, and ``depends_on`` with
``condition: service_completed_successfully`` on every step it waits for. Each service
carries its whole StepSpec in the ``ONTOLAB_SPEC`` environment variable, so the file alone
(with the artifact store) reproduces the run; results land in ``./steps/STEP/result.json``
next to it. Works with Debian's docker-compose 1.29 (no ``version:`` key needed).

Written after the run, when every step's inputs are known by checksum: a step is
deterministic given its spec, so re-running the chain reproduces the same checksums.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from executor.contract import StepSpec
from server.provision.docker import passed_env

SPEC_ENV = "ONTOLAB_SPEC"
STEPS_DIR = "/ontolab/steps"


@dataclass(frozen=True)
class ComposeStep:
    spec: StepSpec
    depends_on: tuple[str, ...]


def compose_document(steps: Iterable[ComposeStep], image: str, user: str) -> dict[str, Any]:
    services: dict[str, Any] = {}
    for step in steps:
        spec = step.spec
        service: dict[str, Any] = {
            "image": str(spec.resources.get("image") or image),
            "command": [
                "python",
                "-m",
                "executor",
                spec.phase,
                "--spec-env",
                SPEC_ENV,
                "--workdir",
                f"{STEPS_DIR}/{spec.step_id}",
            ],
            "environment": {SPEC_ENV: _compact(spec).replace("$", "$$"), **passed_env()},
            "network_mode": "host",
            "init": True,
            "user": user,
            "volumes": [f"{spec.artifact_root}:{spec.artifact_root}", f"./steps:{STEPS_DIR}"],
            "labels": {"org.ontolab.run": spec.run_id, "org.ontolab.step": spec.step_id},
        }
        for key in ("source", "source_path"):
            value = spec.parameters.get(key)
            if isinstance(value, str) and value.startswith("/"):
                service["volumes"].append(f"{value}:{value}:ro")
        if spec.resources.get("cpus"):
            service["cpus"] = float(spec.resources["cpus"])
        if spec.resources.get("memory"):
            service["mem_limit"] = str(spec.resources["memory"]).lower()
        if step.depends_on:
            service["depends_on"] = {
                dep: {"condition": "service_completed_successfully"} for dep in step.depends_on
            }
        services[spec.step_id] = service
    return {"services": services}


def _compact(spec: StepSpec) -> str:
    return json.dumps(json.loads(spec.to_json()), sort_keys=True, separators=(",", ":"))


def to_yaml(document: dict[str, Any], header: str = "") -> str:
    """YAML for the plain dict/list/scalar document above (strings as JSON-quoted scalars)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    _emit(document, 0, lines)
    return "\n".join(lines) + "\n"


def _emit(value: Any, indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{json.dumps(str(key))}:")
                _emit(item, indent + 1, lines)
            else:
                lines.append(f"{pad}{json.dumps(str(key))}: {_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}-")
                _emit(item, indent + 1, lines)
            else:
                lines.append(f"{pad}- {_scalar(item)}")


def _scalar(value: Any) -> str:
    if isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value)
