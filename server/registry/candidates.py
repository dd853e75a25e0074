"""What a succeeded run registers: each build step's model as a candidate version, with the
metrics and validation note of the validate steps that consumed it. Pure: reads the run record.
"""

from __future__ import annotations

from server.graph.clock import utc_now
from server.graph.namespaces import evaluation_iri, output_iri
from server.registry.model import NOT_VALIDATED, PRIMARY_METRIC, ModelVersion, number
from server.tracking.records import RunRecord, StepRecord


def candidates(record: RunRecord) -> list[ModelVersion]:
    """The versions a run registers, by build step id; none unless the run succeeded."""
    if record.status != "succeeded":
        return []
    steps = sorted(record.steps.values(), key=lambda s: s.id)
    return [found for step in steps if (found := candidate(record, step)) is not None]


def candidate(record: RunRecord, build: StepRecord) -> ModelVersion | None:
    """The version a succeeded build step would register (numbered 0 until added)."""
    result = build.result
    # A code step that returned a model (ol:outputKind "model") is registered like a build.
    if build.phase not in ("build", "code") or build.status != "succeeded" or result is None:
        return None
    ref = result.outputs.get("model")
    name = result.summary.get("model_name") or build.parameters.get("model_name")
    if ref is None or not name:
        return None
    validations = sorted(
        (
            s
            for s in record.steps.values()
            if s.phase == "validate" and s.inputs.get("model") == build.id
        ),
        key=lambda s: s.id,
    )
    metrics: dict[str, float] = {}
    evaluations: list[str] = []
    for step in reversed(validations):  # the first validate step's values win
        step_metrics = step.result.metrics if step.result else {}
        metrics.update(step_metrics)
        evaluations += [
            str(evaluation_iri(record.run_id, step.id, m)) for m in sorted(step_metrics)
        ]
    primary = PRIMARY_METRIC.get(record.pipeline.task)
    return ModelVersion(
        name=str(name),
        number=0,
        run_id=record.run_id,
        artifact=str(output_iri(record.run_id, build.id)),
        sha256=ref.sha256,
        created=record.ended_at or utc_now(),
        passed=bool(validations),
        note=validation_note(validations),
        primary_metric=primary,
        primary_value=metrics.get(primary) if primary else None,
        evaluations=tuple(sorted(evaluations)),
        metrics=dict(sorted(metrics.items())),
    )


def validation_note(validations: list[StepRecord]) -> str:
    if not validations:
        return NOT_VALIDATED
    checks = []
    for step in validations:
        summary = step.result.summary if step.result else {}
        for check in summary.get("thresholds", []):
            bounds = [f"{op} {check[key]}" for op, key in ((">=", "min"), ("<=", "max"))]
            bound = " and ".join(
                b
                for b, key in zip(bounds, ("min", "max"), strict=True)
                if check.get(key) is not None
            )
            checks.append(f"{check['metric']} {number(check.get('value'))} {bound}")
    steps = ", ".join(repr(s.id) for s in validations)
    if not checks:
        return f"validated by step {steps}, which sets no thresholds"
    return f"met every threshold of step {steps}: " + "; ".join(checks)
