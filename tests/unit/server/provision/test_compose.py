"""The Compose file of a run: services, order, limits, host networking, the artifact volume."""

from __future__ import annotations

import json

from executor.contract import ArtifactRef, StepSpec
from server.provision.compose import SPEC_ENV, ComposeStep, compose_document, to_yaml


def spec(step_id: str, phase: str, **resources: object) -> StepSpec:
    inputs = {} if phase == "extract" else {"dataset": ArtifactRef("a" * 64, 3, "x/y")}
    return StepSpec(
        run_id="r1",
        step_id=step_id,
        phase=phase,
        parameters={"price": "$5"},
        inputs=inputs,
        artifact_root="/data/artifacts",
        resources=dict(resources),
    )


def test_one_service_per_step_in_order_with_limits() -> None:
    document = compose_document(
        [
            ComposeStep(spec("extract", "extract"), ()),
            ComposeStep(spec("explore", "explore", cpus=0.5, memory="512M"), ("extract",)),
        ],
        image="ontolab-runner:latest",
        user="1000:1000",
    )
    extract, explore = document["services"]["extract"], document["services"]["explore"]
    assert explore["depends_on"] == {"extract": {"condition": "service_completed_successfully"}}
    assert "depends_on" not in extract
    assert (explore["cpus"], explore["mem_limit"]) == (0.5, "512m")
    assert explore["network_mode"] == "host"
    assert "/data/artifacts:/data/artifacts" in explore["volumes"]
    assert explore["command"][:4] == ["python", "-m", "executor", "explore"]
    carried = explore["environment"][SPEC_ENV]
    assert "$$5" in carried, "a $ is escaped from Compose interpolation"
    assert json.loads(carried.replace("$$", "$"))["inputs"]["dataset"]["sha256"] == "a" * 64


def test_yaml_is_json_scalars_under_indentation() -> None:
    text = to_yaml({"services": {"a": {"command": ["x", "y"], "init": True}}}, "head")
    assert text == (
        '# head\n"services":\n  "a":\n    "command":\n      - "x"\n      - "y"\n    "init": true\n'
    )
