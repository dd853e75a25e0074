"""Experiment definitions built in Python, emitted as the Turtle the examples hold.

    from ontolab import Experiment

    iris = (
        Experiment("iris", task="classification", label="Iris species")
        .extract(source="sklearn:iris", target_column="target")
        .process(test_size=0.3, random_seed=42, stratify=True)
        .build(estimator="RandomForestClassifier", model_name="iris-forest",
               hyperparameters={"n_estimators": 100})
        .validate(thresholds={"accuracy": 0.8})
    )
    print(iris.to_turtle())

Parameter names are the snake_case of the ``ol:`` properties (``target_column`` is
``ol:targetColumn``; see docs/definitions.md, "Parameters by step"). A step consumes the
outputs it names: a node another step produces, or a step id (that step's output); when a
phase helper gets no ``consumes`` it takes the usual one (process ← extract, build ← process,
validate ← build + process). Nothing here talks to the platform: the platform's SHACL shapes
judge the definition when it is submitted or validated.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

OL = "https://w3id.org/ontolab/ns#"
DEFAULT_BASE = "https://w3id.org/ontolab/experiments/"
PHASES: dict[str, tuple[str, str]] = {  # phase → (step class, class of what it produces)
    "extract": ("DataExtraction", "Dataset"),
    "explore": ("DataExploration", "DataProfile"),
    "process": ("DataProcessing", "Dataset"),
    "build": ("ModelBuilding", "Model"),
    "validate": ("ModelValidation", "EvaluationReport"),
    "check": ("DataValidation", "DataValidationReport"),
}
#: A column expectation's keys (``Experiment.check(columns=...)``) and their ``ol:`` terms.
COLUMN_KEYS = {"name": "columnName", "type": "columnType", "required": "columnRequired",
               "min": "minValue", "max": "maxValue", "max_missing_rate": "maxMissingRate",
               "allowed": "allowedValue"}  # fmt: skip
LOWER_IS_BETTER = frozenset({"rmse", "mae"})
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
Value = str | int | float | bool | None | list[Any] | dict[str, Any]


def ol_name(snake: str) -> str:
    """``target_column`` → ``targetColumn`` (the ``ol:`` local name); camelCase passes."""
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass
class Step:
    """One step of a definition: its phase, parameters and data flow."""

    id: str
    phase: str
    parameters: dict[str, Any] = field(default_factory=dict)
    consumes: list[str] = field(default_factory=list)
    produces: str = ""
    depends_on: list[str] = field(default_factory=list)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    search_space: dict[str, list[Any]] = field(default_factory=dict)
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    columns: list[dict[str, Any]] = field(default_factory=list)  # a check step's expectations


class Experiment:
    """A fluent builder of one experiment definition.

    Args:
        identifier: the experiment's id (``dcterms:identifier``; letters, digits, ``_-.``).
        task: ``classification`` or ``regression``.
        label: its ``rdfs:label``.
        comment: its ``rdfs:comment``.
        provisioner: ``local``, ``docker`` or ``swarm`` for every step of it.
        namespace: the IRI namespace of its nodes (default
            ``https://w3id.org/ontolab/experiments/{identifier}#``, as the JSON documents).
    """

    def __init__(
        self,
        identifier: str,
        *,
        task: str,
        label: str | None = None,
        comment: str | None = None,
        provisioner: str | None = None,
        namespace: str | None = None,
    ) -> None:
        if not _ID.fullmatch(identifier):
            raise ValueError(
                f"experiment id {identifier!r} must be letters, digits, '_', '-' or '.', "
                "starting with a letter, digit or '_'"
            )
        self.identifier = identifier
        self.task = task
        self.label = label
        self.comment = comment
        self.provisioner = provisioner
        self.namespace = namespace or f"{DEFAULT_BASE}{identifier}#"
        self.steps: dict[str, Step] = {}

    def __repr__(self) -> str:
        return f"Experiment({self.identifier!r}, task={self.task!r}, steps={list(self.steps)})"

    # --- the general form --------------------------------------------------------------

    def step(
        self,
        step_id: str,
        phase: str,
        *,
        consumes: str | Iterable[str] = (),
        produces: str | None = None,
        depends_on: str | Iterable[str] = (),
        hyperparameters: Mapping[str, Any] | None = None,
        search_space: Mapping[str, Iterable[Any]] | None = None,
        thresholds: Mapping[str, float | Mapping[str, float]] | None = None,
        resources: Mapping[str, Any] | None = None,
        **parameters: Any,
    ) -> Experiment:
        """Add a step; returns the experiment, so calls chain.

        Args:
            step_id: the step's id (the local name of its node).
            phase: ``extract``, ``explore``, ``process``, ``build``, ``validate`` or ``check``
                (data validation; its column expectations through :meth:`check`).
            consumes: node names or step ids whose output the step reads.
            produces: the name of its output node (default ``{step_id}_output``).
            depends_on: step ids it runs after, beyond the data flow.
            hyperparameters: fixed estimator parameters (``ol:hyperParameter``).
            search_space: candidate values per parameter (``ol:searchSpace``).
            thresholds: metric → ``{"min": x}`` / ``{"max": x}``, or a number: at least it
                (at most it for ``rmse`` and ``mae``).
            resources: ``cpus``, ``memory``, ``timeout_seconds``, ``image``, ``placement``.
            **parameters: the step's ``ol:`` parameters in snake_case (a list gives several
                values), e.g. ``source``, ``target_column``, ``test_size``, ``estimator``.
        """
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; use one of {', '.join(PHASES)}")
        if not _ID.fullmatch(step_id):
            raise ValueError(f"step id {step_id!r} must be letters, digits, '_', '-' or '.'")
        if step_id in self.steps:
            raise ValueError(f"experiment {self.identifier!r} has a step {step_id!r} already")
        if produces is not None and not _ID.fullmatch(produces):
            raise ValueError(f"output name {produces!r} must be letters, digits, '_', '-' or '.'")
        self.steps[step_id] = Step(
            id=step_id,
            phase=phase,
            parameters={k: v for k, v in parameters.items() if v is not None},
            consumes=_names(consumes),
            produces=produces or f"{step_id}_output",
            depends_on=_names(depends_on),
            hyperparameters=dict(hyperparameters or {}),
            search_space={k: list(v) for k, v in (search_space or {}).items()},
            thresholds=_thresholds(thresholds or {}),
            resources=dict(resources or {}),
        )
        return self

    # --- one helper per phase ----------------------------------------------------------

    def extract(self, step_id: str = "extract", **options: Any) -> Experiment:
        """An extract step: ``source`` (``sklearn:iris``, ``dataset:NAME``, a file),
        ``target_column``, ``drop_column``."""
        return self.step(step_id, "extract", **options)

    def explore(self, step_id: str = "explore", **options: Any) -> Experiment:
        """An explore step (a profile); consumes the extract step's output by default."""
        options.setdefault("consumes", self._last("extract"))
        return self.step(step_id, "explore", **options)

    def process(self, step_id: str = "process", **options: Any) -> Experiment:
        """A process step (the split): ``test_size``, ``random_seed``, ``stratify``,
        ``scaling``, ``imputation``, ``one_hot_encoding``."""
        options.setdefault("consumes", self._last("extract"))
        return self.step(step_id, "process", **options)

    def build(self, step_id: str = "build", **options: Any) -> Experiment:
        """A build step: ``estimator``, ``model_name``, ``hyperparameters``,
        ``search_space`` with ``search_strategy``/``search_folds``/``search_scoring``."""
        options.setdefault("consumes", self._last("process"))
        return self.step(step_id, "build", **options)

    def validate(self, step_id: str = "validate", **options: Any) -> Experiment:
        """A validate step: ``thresholds``; consumes the last model and the split."""
        options.setdefault("consumes", self._last("build") + self._last("process"))
        return self.step(step_id, "validate", **options)

    def check(
        self,
        step_id: str = "check",
        *,
        columns: Iterable[Mapping[str, Any]] = (),
        **options: Any,
    ) -> Experiment:
        """A data validation step: ``columns`` (each ``{"name", "type", "required", "min",
        "max", "max_missing_rate", "allowed"}``), ``min_rows``, ``max_rows``,
        ``max_missing_rate``, ``reference_model`` with ``reference_version`` or
        ``reference_alias``, ``reference_tolerance``; consumes the last extract."""
        expectations = [dict(column) for column in columns]
        for column in expectations:
            unknown = set(column) - set(COLUMN_KEYS)
            if unknown or "name" not in column:
                raise ValueError(
                    f"column expectation {column!r}: give a name and only {', '.join(COLUMN_KEYS)}"
                )
        options.setdefault("consumes", self._last("extract"))
        self.step(step_id, "check", **options)
        self.steps[step_id].columns = expectations
        return self

    def _last(self, phase: str) -> list[str]:
        found = [s.produces for s in self.steps.values() if s.phase == phase]
        return found[-1:]

    # --- output ------------------------------------------------------------------------

    def to_turtle(self) -> str:
        """The definition as Turtle, in the shape of the files in examples/."""
        if not self.steps:
            raise ValueError(f"experiment {self.identifier!r} has no steps; add some with .step()")
        return _Writer(self).turtle()


def _names(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _thresholds(given: Mapping[str, float | Mapping[str, float]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for metric, bound in given.items():
        if isinstance(bound, Mapping):
            unknown = set(bound) - {"min", "max"}
            if unknown or not bound:
                raise ValueError(f'threshold of {metric!r}: give {{"min": x}} and/or {{"max": x}}')
            out[metric] = dict(bound)
        else:
            out[metric] = {"max" if metric in LOWER_IS_BETTER else "min": bound}
    return out


class _Writer:
    """Turtle text for one experiment: prefixes, the experiment node, steps, output nodes."""

    def __init__(self, experiment: Experiment) -> None:
        self.experiment = experiment
        self.ns = experiment.namespace
        self.outputs = {s.produces: s for s in experiment.steps.values()}
        _check_nodes(experiment)

    def turtle(self) -> str:
        e = self.experiment
        head = [
            f"@prefix ol:      <{OL}> .",
            "@prefix dcterms: <http://purl.org/dc/terms/> .",
            "@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .",
            "@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .",
            "@prefix rdf:     <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .",
            f"@prefix :        <{self.ns}> .",
            "",
            "",
        ]
        facts = [("a", "ol:Experiment"), ("dcterms:identifier", literal(e.identifier))]
        facts += [("rdfs:label", literal(e.label))] if e.label is not None else []
        facts += [("rdfs:comment", literal(e.comment))] if e.comment is not None else []
        facts += [("ol:task", literal(e.task))]
        facts += [("ol:provisioner", literal(e.provisioner))] if e.provisioner else []
        facts += [("ol:hasStep", ", ".join(self.node(s) for s in e.steps))]
        blocks = [self.block("experiment", facts)]
        blocks += [self.block(s.id, self.step_facts(s)) for s in e.steps.values()]
        outputs = [
            f"{self.node(s.produces)} a ol:{PHASES[s.phase][1]} ." for s in self.outputs.values()
        ]
        return "\n".join(head) + "\n\n".join(blocks) + "\n\n" + "\n".join(outputs) + "\n"

    def node(self, name: str) -> str:
        return f":{name}" if _LOCAL.fullmatch(name) else f"<{self.ns}{name}>"

    def block(self, name: str, facts: list[tuple[str, str]]) -> str:
        lines = [f"{self.node(name)} {facts[0][0]} {facts[0][1]}"]
        lines += [f"    {p} {o}" for p, o in facts[1:]]
        return " ;\n".join(lines) + " ."

    def step_facts(self, step: Step) -> list[tuple[str, str]]:
        facts = [("a", f"ol:{PHASES[step.phase][0]}")]
        consumed = [self.node(self.consumed(step, name)) for name in step.consumes]
        facts += [("ol:consumes", ", ".join(consumed))] if consumed else []
        for name in step.depends_on:
            if name not in self.experiment.steps:
                raise ValueError(f"step {step.id!r} depends on {name!r}, which is not a step")
        if step.depends_on:
            facts.append(("ol:dependsOn", ", ".join(self.node(n) for n in step.depends_on)))
        for key, value in step.parameters.items():
            values = value if isinstance(value, list | tuple) else [value]
            facts.append((f"ol:{ol_name(key)}", ", ".join(literal(v) for v in values)))
        facts += self.structured(step)
        facts.append(("ol:produces", self.node(step.produces)))
        return facts

    def consumed(self, step: Step, name: str) -> str:
        if name in self.outputs:
            return name
        if name in self.experiment.steps:
            return self.experiment.steps[name].produces
        raise ValueError(
            f"step {step.id!r} consumes {name!r}, which no step produces; name an output "
            f"({', '.join(self.outputs)}) or a step id"
        )

    def structured(self, step: Step) -> list[tuple[str, str]]:
        facts = []
        settings = [
            f"[ ol:parameterName {literal(k)} ; ol:parameterValue {literal(v, json_value=True)} ]"
            for k, v in step.hyperparameters.items()
        ]
        facts += [("ol:hyperParameter", " ,\n        ".join(settings))] if settings else []
        spaces = [
            f"[ ol:parameterName {literal(k)} ; ol:candidateValue "
            f"{', '.join(literal(v, json_value=True) for v in values)} ]"
            for k, values in step.search_space.items()
        ]
        facts += [("ol:searchSpace", " ,\n        ".join(spaces))] if spaces else []
        bounds = [
            f"[ ol:metricName {literal(metric)} ; "
            + " ; ".join(f"ol:{side}Value {literal(float(v))}" for side, v in bound.items())
            + " ]"
            for metric, bound in step.thresholds.items()
        ]
        facts += [("ol:threshold", " ,\n        ".join(bounds))] if bounds else []
        columns = [
            "[ "
            + " ; ".join(
                f"ol:{COLUMN_KEYS[key]} "
                + ", ".join(literal(v) for v in (value if isinstance(value, list) else [value]))
                for key, value in column.items()
                if value is not None
            )
            + " ]"
            for column in step.columns
        ]
        facts += [("ol:expectColumn", " ,\n        ".join(columns))] if columns else []
        if step.resources:
            inner = " ; ".join(f"ol:{ol_name(k)} {literal(v)}" for k, v in step.resources.items())
            facts.append(("ol:requires", f"[ {inner} ]"))
        return facts


def _check_nodes(experiment: Experiment) -> None:
    """Each node once: one output per step, no output named like a step or the experiment."""
    seen: dict[str, str] = {"experiment": "the experiment node"}
    for step in experiment.steps.values():
        for name, what in (
            (step.id, f"step {step.id!r}"),
            (step.produces, f"the output of {step.id!r}"),
        ):
            if name in seen:
                raise ValueError(
                    f"{what} and {seen[name]} are both named {name!r}; give one another name "
                    "(produces='...' names a step's output)"
                )
            seen[name] = what


def literal(value: Any, *, json_value: bool = False) -> str:
    """``value`` as a Turtle literal: strings quoted, ints ``xsd:integer``, floats
    ``xsd:decimal`` (as ``0.3`` is written in the examples), booleans; with ``json_value``,
    None, lists and dicts as ``rdf:JSON``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _decimal(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid Turtle string
    if json_value and (value is None or isinstance(value, list | tuple | dict)):
        return f"{json.dumps(json.dumps(value))}^^rdf:JSON"
    raise TypeError(
        f"cannot write {value!r} ({type(value).__name__}) into a definition; use a string, "
        "number or boolean (hyperparameters also take None, lists and dicts)"
    )


def _decimal(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number; a definition holds finite numbers")
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"
