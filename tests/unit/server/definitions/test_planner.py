"""The planner on step records built in memory: ordering, waves, and every plan error."""

from __future__ import annotations

from dataclasses import replace

import pytest

from executor.contract import ArtifactRef
from server.definitions.planner import plan
from server.definitions.steps import Pipeline, StepDefinition, StepType
from server.errors import CodeBundleError, PlanError

EX = "https://example.org/exp#"
OL = "https://w3id.org/ontolab/ns#"
PHASE_TYPES = {
    "extract": "DataExtraction",
    "explore": "DataExploration",
    "process": "DataProcessing",
    "build": "ModelBuilding",
    "validate": "ModelValidation",
}
KNOWN = [StepType(OL + cls, cls, phase) for phase, cls in PHASE_TYPES.items()] + [
    StepType(OL + "Deployment", "Deployment", None)
]


def step(step_id: str, phase: str | None, consumes=(), depends_on=(), types=None) -> StepDefinition:
    return StepDefinition(
        iri=EX + step_id,
        id=step_id,
        types=tuple(types) if types is not None else (OL + PHASE_TYPES.get(phase or "", "X"),),
        phase=phase,
        produces=(EX + step_id + "_out",),
        depends_on=tuple(EX + d for d in depends_on),
        consumes={EX + c + "_out": (EX + c) for c in consumes},
    )


def pipeline(*steps: StepDefinition) -> Pipeline:
    return Pipeline(
        version=None,  # type: ignore[arg-type]  # the planner never reads it
        experiment=EX + "experiment",
        identifier="exp",
        task="classification",
        label=None,
        steps=steps,
    )


@pytest.fixture
def linear_chain() -> Pipeline:
    return pipeline(
        step("extract", "extract"),
        step("process", "process", consumes=["extract"]),
        step("build", "build", consumes=["process"]),
        step("validate", "validate", consumes=["build", "process"]),
    )


@pytest.fixture
def fan_out_fan_in() -> Pipeline:
    return pipeline(
        step("extract", "extract"),
        step("explore", "explore", consumes=["extract"]),
        step("process", "process", consumes=["extract"]),
        step("build_a", "build", consumes=["process"]),
        step("build_b", "build", consumes=["process"]),
        step("validate_a", "validate", consumes=["build_a", "process"]),
        step("validate_b", "validate", consumes=["build_b", "process"], depends_on=["explore"]),
    )


def test_linear_chain_is_one_step_per_wave(linear_chain: Pipeline) -> None:
    result = plan(linear_chain, KNOWN)
    assert result.waves == (("extract",), ("process",), ("build",), ("validate",))
    assert dict(result.steps["validate"].inputs) == {"model": "build", "splits": "process"}


def test_fan_out_groups_independent_steps_into_sorted_waves(fan_out_fan_in: Pipeline) -> None:
    result = plan(fan_out_fan_in, KNOWN)
    assert result.waves == (
        ("extract",),
        ("explore", "process"),
        ("build_a", "build_b"),
        ("validate_a", "validate_b"),
    )
    assert result.steps["validate_b"].depends_on == ("build_b", "explore", "process")


def test_plan_is_the_same_whatever_the_step_order(fan_out_fan_in: Pipeline) -> None:
    shuffled = pipeline(*reversed(fan_out_fan_in.steps))
    assert plan(shuffled, KNOWN).waves == plan(fan_out_fan_in, KNOWN).waves


def test_dependents_are_transitive(fan_out_fan_in: Pipeline) -> None:
    result = plan(fan_out_fan_in, KNOWN)
    assert result.dependents("build_a") == {"validate_a"}
    assert result.dependents("process") == {"build_a", "build_b", "validate_a", "validate_b"}
    assert result.dependents("explore") == {"validate_b"}


def test_explicit_dependency_orders_steps_without_data() -> None:
    result = plan(
        pipeline(step("extract", "extract"), step("other", "extract", depends_on=["extract"])),
        KNOWN,
    )
    assert result.waves == (("extract",), ("other",))


def test_cycle_is_rejected_naming_its_steps() -> None:
    cyclic = pipeline(
        step("extract", "extract"),
        step("process", "process", consumes=["extract"], depends_on=["validate"]),
        step("build", "build", consumes=["process"]),
        step("validate", "validate", consumes=["build", "process"]),
    )
    with pytest.raises(PlanError, match="cycle") as error:
        plan(cyclic, KNOWN)
    for name in ("process", "build", "validate"):
        assert name in str(error.value)
    assert "extract" not in str(error.value).split(";")[0]


def test_unknown_step_type_lists_the_runnable_ones() -> None:
    strange = pipeline(step("extract", None, types=["https://example.org/Teleport"]))
    with pytest.raises(
        PlanError, match=r"<https://example.org/Teleport>.*not a step type"
    ) as error:
        plan(strange, KNOWN)
    assert "ol:ModelBuilding (build)" in str(error.value)


def test_step_without_type_is_rejected() -> None:
    with pytest.raises(PlanError, match="'extract' has no type"):
        plan(pipeline(step("extract", None, types=[])), KNOWN)


def test_deployment_is_known_but_not_runnable() -> None:
    deploy = pipeline(step("deploy", None, types=[OL + "Deployment"]))
    with pytest.raises(PlanError, match="ol:Deployment, which is not run as a step yet"):
        plan(deploy, KNOWN)


def test_dependency_on_a_missing_step_is_rejected() -> None:
    broken = pipeline(step("extract", "extract", depends_on=["ghost"]))
    with pytest.raises(PlanError, match=r"'extract' depends on <https://example.org/exp#ghost>"):
        plan(broken, KNOWN)


def test_input_nobody_produces_is_rejected() -> None:
    orphan = step("process", "process")
    orphan.consumes[EX + "nowhere"] = None
    with pytest.raises(
        PlanError, match=r"'process' consumes <https://example.org/exp#nowhere>, which no step"
    ):
        plan(pipeline(step("extract", "extract"), orphan), KNOWN)


def test_missing_input_kind_names_the_producer_to_add() -> None:
    no_model = pipeline(
        step("extract", "extract"),
        step("process", "process", consumes=["extract"]),
        step("validate", "validate", consumes=["process"]),
    )
    with pytest.raises(PlanError, match="'validate' .* needs a model input; .* build step"):
        plan(no_model, KNOWN)


def test_input_of_a_kind_the_phase_does_not_use_is_rejected() -> None:
    wrong = pipeline(step("extract", "extract"), step("build", "build", consumes=["extract"]))
    with pytest.raises(PlanError, match="consumes the dataset of 'extract', which a build step"):
        plan(wrong, KNOWN)


def test_two_inputs_of_one_kind_are_rejected() -> None:
    double = pipeline(
        step("a", "extract"),
        step("b", "extract"),
        step("process", "process", consumes=["a", "b"]),
    )
    with pytest.raises(PlanError, match="two dataset inputs"):
        plan(double, KNOWN)


def test_duplicate_step_ids_are_rejected() -> None:
    first = step("extract", "extract")
    second = StepDefinition(
        iri="https://other.org/x#extract",
        id="extract",
        types=first.types,
        phase="extract",
        produces=(),
    )
    with pytest.raises(PlanError, match="share the id 'extract'"):
        plan(pipeline(first, second), KNOWN)


def test_empty_experiment_is_rejected() -> None:
    with pytest.raises(PlanError, match="has no steps"):
        plan(pipeline(), KNOWN)


# Code steps (ol:CodeStep): any input kind, the output kind they declare, a bundle required.
CODE_KNOWN = [*KNOWN, StepType(OL + "CodeStep", "CodeStep", "code")]
BUNDLE = ArtifactRef("ab" * 32, 10, "application/zip")


def code_step(step_id: str, kind: str | None, consumes=()) -> StepDefinition:
    defined = step(step_id, "code", consumes=consumes, types=[OL + "CodeStep"])
    parameters = {"function": "m:f", **({"output_kind": kind} if kind else {})}
    return replace(defined, parameters=parameters)


def with_bundle(*steps: StepDefinition) -> Pipeline:
    return replace(pipeline(*steps), code_bundle=BUNDLE)


def test_a_feature_step_stands_between_extract_and_process() -> None:
    result = plan(
        with_bundle(
            step("extract", "extract"),
            code_step("features", "dataset", consumes=["extract"]),
            step("process", "process", consumes=["features"]),
            step("build", "build", consumes=["process"]),
            code_step("score", "report", consumes=["build", "process"]),
        ),
        CODE_KNOWN,
    )
    assert result.waves == (("extract",), ("features",), ("process",), ("build",), ("score",))
    assert dict(result.steps["process"].inputs) == {"dataset": "features"}
    assert dict(result.steps["score"].inputs) == {"model": "build", "splits": "process"}


def test_a_model_step_in_place_of_build_feeds_validate() -> None:
    result = plan(
        with_bundle(
            step("extract", "extract"),
            step("process", "process", consumes=["extract"]),
            code_step("model", "model", consumes=["process"]),
            step("validate", "validate", consumes=["model", "process"]),
        ),
        CODE_KNOWN,
    )
    assert dict(result.steps["validate"].inputs) == {"model": "model", "splits": "process"}


def test_a_model_step_without_splits_is_refused() -> None:
    bad = with_bundle(step("extract", "extract"), code_step("m", "model", consumes=["extract"]))
    with pytest.raises(PlanError, match="returns a model but consumes no splits; add ol:consumes"):
        plan(bad, CODE_KNOWN)


def test_a_code_step_without_an_output_kind_cannot_feed_others() -> None:
    bad = with_bundle(code_step("c", None), step("process", "process", consumes=["c"]))
    with pytest.raises(PlanError, match="declares no output kind; add ol:outputKind"):
        plan(bad, CODE_KNOWN)


def test_code_steps_need_the_code_bundle() -> None:
    bare = pipeline(step("extract", "extract"), code_step("c", "dataset", consumes=["extract"]))
    with pytest.raises(CodeBundleError, match=r"has code steps \(c\) but was stored without"):
        plan(bare, CODE_KNOWN)


# Data validation: a check step reads one table, and every model waits for every check.
CHECK = StepType(OL + "DataValidation", "DataValidation", "check")


def test_every_model_waits_for_every_check_step() -> None:
    steps = pipeline(
        step("extract", "extract"),
        step("check", "check", consumes=["extract"], types=[OL + "DataValidation"]),
        step("process", "process", consumes=["extract"]),
        step("check_splits", "check", consumes=["process"], types=[OL + "DataValidation"]),
        step("build", "build", consumes=["process"]),
        step("validate", "validate", consumes=["build", "process"]),
    )
    planned = plan(steps, [*KNOWN, CHECK])
    assert planned.steps["build"].depends_on == ("check", "check_splits", "process")
    assert planned.steps["process"].depends_on == ("extract",)  # only models wait
    assert planned.waves == (
        ("extract",),
        ("check", "process"),
        ("check_splits",),
        ("build",),
        ("validate",),
    )
    assert {"build", "validate"} <= planned.dependents("check")  # a failed check skips them
    assert planned.steps["check_splits"].inputs == {"splits": "process"}


@pytest.mark.parametrize(
    ("consumes", "match"),
    [
        (["extract", "process"], "consumes the dataset of 'extract', the splits of 'process'"),
        ([], "consumes nothing, but checks exactly one dataset or splits"),
    ],
)
def test_a_check_step_reads_exactly_one_table(consumes: list[str], match: str) -> None:
    steps = pipeline(
        step("extract", "extract"),
        step("process", "process", consumes=["extract"]),
        step("check", "check", consumes=consumes, types=[OL + "DataValidation"]),
    )
    with pytest.raises(PlanError, match=match):
        plan(steps, [*KNOWN, CHECK])


def test_a_check_step_does_not_read_a_model() -> None:
    steps = pipeline(
        step("extract", "extract"),
        step("process", "process", consumes=["extract"]),
        step("build", "build", consumes=["process"]),
        step("check", "check", consumes=["build"], types=[OL + "DataValidation"]),
    )
    with pytest.raises(PlanError, match=r"consumes the model of 'build', which a check step"):
        plan(steps, [*KNOWN, CHECK])
