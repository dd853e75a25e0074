"""Turn step records into a runnable plan: checked, ordered, grouped into parallel waves.

This module does no I/O: it takes what ``definitions.steps`` read from the store and returns a
``Plan`` or raises ``PlanError``. Order comes from explicit ``ol:dependsOn`` links and from data
flow (a step runs after the step producing what it consumes); every step that produces a model
also runs after every data validation (check) step, so bad data fails a run before it trains.
Plans are deterministic: steps within a wave are sorted by id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter

from executor.contract import (
    CHECK_INPUT_KINDS,
    CHECK_PHASE,
    CODE_INPUT_KINDS,
    CODE_PHASE,
    CONTAINER_PHASE,
    OUTPUT_KIND,
    REQUIRED_INPUTS,
    output_kind_of,
)
from server.definitions.steps import Pipeline, StepDefinition, StepType, local_name
from server.errors import CodeBundleError, PlanError

_ANY_INPUT = (CODE_PHASE, CONTAINER_PHASE)
_STEP_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class PlannedStep:
    definition: StepDefinition
    depends_on: tuple[str, ...]
    inputs: Mapping[str, str]  # input kind → id of the step producing it

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def phase(self) -> str:
        assert self.definition.phase is not None  # guaranteed by plan()
        return self.definition.phase


@dataclass(frozen=True)
class Plan:
    steps: Mapping[str, PlannedStep]
    waves: tuple[tuple[str, ...], ...]

    def dependents(self, step_id: str) -> set[str]:
        """Every step that needs ``step_id`` directly or through others."""
        found: set[str] = set()
        frontier = [step_id]
        while frontier:
            current = frontier.pop()
            for other in self.steps.values():
                if current in other.depends_on and other.id not in found:
                    found.add(other.id)
                    frontier.append(other.id)
        return found


def plan(pipeline: Pipeline, known_types: Iterable[StepType]) -> Plan:
    """Check ``pipeline`` and order its steps; raise ``PlanError`` naming what is wrong."""
    steps = {s.iri: s for s in pipeline.steps}
    if not steps:
        raise PlanError(f"experiment {pipeline.identifier!r} has no steps; add ol:hasStep links")
    _check_ids(steps.values())
    _check_phases(steps.values(), list(known_types))
    _check_code_bundle(pipeline)
    by_iri = {iri: s.id for iri, s in steps.items()}
    checks = tuple(sorted(s.id for s in steps.values() if s.phase == CHECK_PHASE))
    planned = {
        s.id: PlannedStep(s, _predecessors(s, by_iri, checks), _inputs(s, steps))
        for s in steps.values()
    }
    return Plan(steps=planned, waves=_waves(planned))


def _check_ids(steps: Iterable[StepDefinition]) -> None:
    seen: dict[str, str] = {}
    for step in steps:
        if not _STEP_ID.fullmatch(step.id):
            raise PlanError(
                f"step <{step.iri}> has the id {step.id!r}, which is not usable as a name; "
                "end its IRI in letters, digits, '_', '-' or '.'"
            )
        if step.id in seen:
            raise PlanError(
                f"steps <{seen[step.id]}> and <{step.iri}> share the id {step.id!r}; "
                "rename one so the local names of step IRIs are unique"
            )
        seen[step.id] = step.iri


def _check_phases(steps: Iterable[StepDefinition], known: list[StepType]) -> None:
    runnable = ", ".join(f"{_short(t.iri)} ({t.phase})" for t in known if t.phase)
    names = {t.iri: t for t in known}
    for step in steps:
        if step.phase is not None:
            continue
        typed = [names[t] for t in step.types if t in names]
        if typed:
            raise PlanError(
                f"step {step.id!r} is a {_short(typed[0].iri)}, which is not run as a step yet; "
                f"use a runnable step type: {runnable}"
            )
        shown = ", ".join(_short(t) for t in step.types) or "no type"
        raise PlanError(
            f"step {step.id!r} has {shown}, which is not a step type the ontology knows; "
            f"type it as one of: {runnable}"
        )


def _check_code_bundle(pipeline: Pipeline) -> None:
    code_steps = sorted(s.id for s in pipeline.steps if s.phase == CODE_PHASE)
    if code_steps and pipeline.code_bundle is None:
        raise CodeBundleError(
            f"experiment {pipeline.identifier!r} has code steps ({', '.join(code_steps)}) but "
            "was stored without its code; put the code folder beside the definition (code/, "
            "or the folder ol:codeFolder names) and submit with `ontolab submit FILE`, or send "
            "the zip as the multipart part `code` of POST /api/experiments"
        )


def _predecessors(
    step: StepDefinition, by_iri: Mapping[str, str], checks: tuple[str, ...]
) -> tuple[str, ...]:
    found = set(checks) if output_kind_of(step.phase, step.parameters) == "model" else set()
    for dependency in step.depends_on:
        if dependency not in by_iri:
            raise PlanError(
                f"step {step.id!r} depends on <{dependency}>, which is not a step of this "
                "experiment; add it with ol:hasStep or remove the ol:dependsOn"
            )
        found.add(by_iri[dependency])
    for data, producer in step.consumes.items():
        if producer is None:
            raise PlanError(
                f"step {step.id!r} consumes <{data}>, which no step of this experiment "
                f"produces; add `ol:produces <{data}>` to the step that makes it"
            )
        found.add(by_iri[producer])
    return tuple(sorted(found))


def _inputs(step: StepDefinition, steps: Mapping[str, StepDefinition]) -> dict[str, str]:
    assert step.phase is not None
    inputs: dict[str, str] = {}
    for producer_iri in step.consumes.values():
        producer = steps[producer_iri or ""]
        kind = _output_kind(producer)
        # Code and container steps take any kind a step makes (one of each).
        if step.phase not in _ANY_INPUT and kind not in _accepted(step.phase):
            raise PlanError(
                f"step {step.id!r} ({step.phase}) consumes the {kind} of {producer.id!r}, which a "
                f"{step.phase} step does not use; remove that ol:consumes "
                "(use ol:dependsOn to order steps without data)"
            )
        if kind in inputs:
            raise PlanError(
                f"step {step.id!r} consumes two {kind} inputs ({inputs[kind]!r} and "
                f"{producer.id!r}); keep one"
            )
        inputs[kind] = producer.id
    _check_code_inputs(step, inputs)
    _check_check_inputs(step, inputs)
    for kind in REQUIRED_INPUTS[step.phase]:
        if kind not in inputs:
            makers = [p for p, k in OUTPUT_KIND.items() if k == kind]
            raise PlanError(
                f"step {step.id!r} ({step.phase}) needs a {kind} input; add ol:consumes with "
                f"the output of a {' or '.join(makers)} step"
            )
    return inputs


def _output_kind(step: StepDefinition) -> str:
    """What ``step`` produces; a code step without a valid ``ol:outputKind`` cannot be planned."""
    kind = output_kind_of(step.phase, step.parameters)
    if kind is None:
        raise PlanError(
            f"code step {step.id!r} declares no output kind; add ol:outputKind with one of "
            f"{', '.join(repr(k) for k in ('dataset', 'splits', 'model', 'report', 'files'))}"
        )
    return kind


def _check_code_inputs(step: StepDefinition, inputs: Mapping[str, str]) -> None:
    """A code step that returns a model needs the splits it was fitted on (their columns and
    target describe the model); its inputs are the kinds in ``CODE_INPUT_KINDS``."""
    if step.phase != CODE_PHASE:
        return
    odd = [kind for kind in inputs if kind not in CODE_INPUT_KINDS]
    if odd:
        raise PlanError(
            f"code step {step.id!r} consumes a {odd[0]}, which a code step cannot read; "
            "remove that ol:consumes"
        )
    if _output_kind(step) == "model" and "splits" not in inputs:
        raise PlanError(
            f"code step {step.id!r} returns a model but consumes no splits; add ol:consumes "
            "with the output of a process step (the model's columns and target come from it)"
        )


def _accepted(phase: str) -> tuple[str, ...]:
    return CHECK_INPUT_KINDS if phase == CHECK_PHASE else REQUIRED_INPUTS[phase]


def _check_check_inputs(step: StepDefinition, inputs: Mapping[str, str]) -> None:
    """A check step reads one table: the dataset of an extract or the splits of a process."""
    if step.phase == CHECK_PHASE and len(inputs) != 1:
        found = ", ".join(f"the {k} of {p!r}" for k, p in sorted(inputs.items())) or "nothing"
        raise PlanError(
            f"check step {step.id!r} consumes {found}, but checks exactly one dataset or "
            "splits; keep one ol:consumes with the output of an extract or a process step"
        )


def _waves(planned: Mapping[str, PlannedStep]) -> tuple[tuple[str, ...], ...]:
    sorter = TopologicalSorter({sid: s.depends_on for sid, s in planned.items()})
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = exc.args[1]
        raise PlanError(
            f"the steps form a cycle: {' → '.join(reversed(cycle))}; remove one of the "
            "ol:dependsOn / ol:consumes links between them"
        ) from exc
    waves = []
    while sorter.is_active():
        ready = tuple(sorted(sorter.get_ready()))
        waves.append(ready)
        sorter.done(*ready)
    return tuple(waves)


def _short(iri: str) -> str:
    if iri.startswith("https://w3id.org/ontolab/ns#"):
        return "ol:" + local_name(iri)
    return f"<{iri}>"
