"""A run's state as triples in its own named graph (PROV-O + ML-Schema).

Pure: builds triples from a ``RunRecord`` and does no I/O. ``run_triples`` gives everything the
record states at a moment; the writer (``server.tracking.writer``) adds to the run's graph what
is new since its last save, in one request, so a reader never sees half a state change. Terms
are pyoxigraph terms (``server.graph.write_terms``): this runs for every write of every run.

A run graph only grows while the run goes on: a status is stated once it is final (no
``ol:status`` means running; for a step run, running once it has a start time, else pending),
and nothing else a run states changes later. So each save of a run (at its start, as each step
starts and ends, with its results) is one addition to its graph, never a delete and rewrite.
A run left in flight by a crash is ended the same way, by addition: the next start of the
platform adds status ``interrupted`` with the time and reason (``interrupted_triples``), and a
resume is a new run pointing back with ``ol:resumes``.

Each phase adds its own facts (``PHASE_FACTS``: the data source and shape of an extract, and
the uploaded dataset version it read as a node; the profile of an explore, the model and its
hyperparameter settings of a build, the evaluations and threshold checks of a validate, the
expectations a data validation step checked: ``server.tracking.data_checks``).
Facts that are the same for every run that meets them live in shared graphs of their own
(``server.tracking.shared``), which the run graph points to.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from executor.contract import EXTRA_OUTPUTS, StepResult
from server.graph.namespaces import (
    agent_user,
    code_bundle_iri,
    evaluation_iri,
    implementation_iri,
    measure_iri,
    metric_property,
    output_iri,
    param_property,
    profile_iri,
    run_iri,
    signature_iri,
    source_iri,
    step_run_iri,
    sub_iri,
)
from server.graph.write_terms import (
    DCAT,
    MLS,
    OL,
    PROV,
    RDF,
    date_time,
    distribution_triples,
    double,
    iri,
    plain,
    string,
    value,
)
from server.store.base import WriteTriple
from server.tracking.data_checks import check_facts
from server.tracking.records import FINAL_RUN_STATES, FINAL_STEP_STATES, RunRecord, StepRecord
from server.tracking.shared import (
    estimator_class,
    hyperparameter_settings,
    optional,
    signature_digest,
)
from server.tracking.trials import trial_triples

#: Each node is typed here with its Ontolab class only; the store the platform writes through
#: adds, in the same graph, the PROV, ML-Schema and DCAT classes the ontology places that class
#: under (``server.graph.standard_types``), so a model is also ``mls:Model`` and ``prov:Entity``.
KIND_CLASSES = {
    "dataset": OL.Dataset,
    "profile": OL.DataProfile,
    "splits": OL.Dataset,
    "model": OL.Model,
    "report": OL.EvaluationReport,
    "files": OL.FileSet,  # what a code step may return besides the kinds above
    "reference_profile": OL.ReferenceProfile,  # stored by a build beside its model
    "data_report": OL.DataValidationReport,  # what a data validation (check) step found
}
#: Outputs a step stores beside its own (``executor.contract.EXTRA_OUTPUTS``), each a node of
#: its own under the step's output: ``…/output/STEP/reference_profile``.
EXTRA_KINDS = frozenset(kind for kinds in EXTRA_OUTPUTS.values() for kind in kinds)


def run_triples(record: RunRecord) -> list[WriteTriple]:
    """Every triple describing ``record``, for its run graph."""
    run = _run(record)
    pipeline = record.pipeline
    out: list[WriteTriple] = [
        (run, RDF.type, OL.Run),
        (run, OL.runId, string(record.run_id)),
        (run, OL.ofExperiment, iri(pipeline.experiment)),
        (run, OL.ofExperimentVersion, iri(pipeline.version.iri)),
        (run, OL.provisioner, string(record.provisioner)),
        (run, PROV.startedAtTime, date_time(record.started_at)),
    ]
    if record.status in FINAL_RUN_STATES:
        out.append((run, OL.status, string(record.status)))
    if record.ended_at:
        out.append((run, PROV.endedAtTime, date_time(record.ended_at)))
    if record.error:
        out.append((run, OL.errorMessage, string(record.error)))
    if record.resumes:
        out.append((run, OL.resumes, iri(run_iri(record.resumes))))
    out += [(run, OL.warning, string(warning)) for warning in record.warnings]
    out += starter_triples(record)
    if record.compose_file:
        compose = iri(sub_iri(run_iri(record.run_id), "file", "compose.yaml"))
        out += [
            (run, OL.composeFile, compose),
            (compose, RDF.type, PROV.Entity),
            (compose, OL.sha256, string(record.compose_file.sha256)),
            (compose, OL.byteSize, plain(record.compose_file.size)),
            (compose, DCAT.mediaType, string(record.compose_file.media_type)),
            (compose, PROV.wasGeneratedBy, run),
        ]
    for step in record.steps.values():
        out += _step_triples(record, step)
    return out


def starter_triples(record: RunRecord) -> list[WriteTriple]:
    """Who started ``record``: ``prov:wasAssociatedWith`` its agent (a user, ``ol:User``, or the
    platform, ``ol:PlatformAgent``) and ``prov:wasStartedBy`` the trigger that fired it, each
    node typed in the run's graph."""
    run = _run(record)
    out: list[WriteTriple] = []
    if record.started_by:
        agent = iri(record.started_by)
        kind = OL.User if agent_user(record.started_by) else OL.PlatformAgent
        out += [
            (run, PROV.wasAssociatedWith, agent),
            (agent, RDF.type, PROV.Agent),
            (agent, RDF.type, kind),
        ]
        if kind == OL.PlatformAgent:
            out.append((agent, RDF.type, PROV.SoftwareAgent))
    if record.trigger:
        trigger = iri(record.trigger)
        out += [
            (run, PROV.wasStartedBy, trigger),
            (trigger, RDF.type, PROV.Entity),  # its own graph says it is an ol:Trigger
        ]
    return out


def interrupted_triples(
    run_id: str, unfinished: dict[str, bool], noticed_at: str, reason: str
) -> list[WriteTriple]:
    """What marks a run left in flight by a crash as ended: status ``interrupted``, the time it
    was noticed and why, on the run and on each step run with no final status yet
    (``unfinished``: step run IRI → whether it had started). Only additions: nothing the run
    graph already states is taken back."""
    run = iri(run_iri(run_id))
    ended = date_time(noticed_at)
    out: list[WriteTriple] = [
        (run, OL.status, string("interrupted")),
        (run, PROV.endedAtTime, ended),
        (run, OL.errorMessage, string(reason)),
    ]
    for step_run, started in sorted(unfinished.items()):
        node = iri(step_run)
        out.append((node, OL.status, string("interrupted")))
        if started:
            out.append((node, PROV.endedAtTime, ended))
        why = "while this step ran" if started else "before this step started"
        out.append((node, OL.errorMessage, string(f"the platform stopped {why}")))
    return out


def _step_triples(record: RunRecord, step: StepRecord) -> list[WriteTriple]:
    node = _step_run(record, step.id)
    out: list[WriteTriple] = [
        (_run(record), OL.hasStepRun, node),
        (node, RDF.type, OL.StepRun),
        (node, OL.stepId, string(step.id)),
        (node, OL.executesStep, iri(step.definition)),
    ]
    if step.status in FINAL_STEP_STATES:
        out.append((node, OL.status, string(step.status)))
    if step.cache_hit:
        out.append((node, OL.cacheHit, plain(True)))
    out += optional(
        node,
        [
            (PROV.startedAtTime, step.started_at, date_time),
            (PROV.endedAtTime, step.ended_at, date_time),
            (OL.workerId, step.worker, string),
            (OL.reusedFrom, step.reused_from, iri),
            (OL.errorMessage, step.skipped_because, string),
        ],
    )
    if step.result is not None:
        out += _result_triples(record, step, step.result)
    return out


def _result_triples(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    node = _step_run(record, step.id)
    inputs = [_output(record, producer) for producer in step.inputs.values()]
    out: list[WriteTriple] = [(node, PROV.used, entity) for entity in inputs]
    if result.error is not None:
        out.append((node, OL.errorType, string(result.error.type)))
        out.append((node, OL.errorMessage, string(result.error.message)))
    for kind, ref in result.outputs.items():
        entity = _output(record, step.id, kind)
        out += [
            (entity, RDF.type, OL.Artifact),
            (entity, RDF.type, KIND_CLASSES[kind]),
            (entity, OL.artifactKind, string(kind)),
            (entity, OL.sha256, string(ref.sha256)),
            (entity, OL.byteSize, plain(ref.size)),
            (entity, DCAT.mediaType, string(ref.media_type)),
            (entity, PROV.wasGeneratedBy, node),
        ]
        out += [(entity, PROV.wasDerivedFrom, source) for source in inputs]
        if KIND_CLASSES[kind] is OL.Dataset:
            out += distribution_triples(entity, ref.sha256, ref.size, ref.media_type)
        if step.output and kind not in EXTRA_KINDS:
            out.append((entity, PROV.specializationOf, iri(step.output)))
    out += PHASE_FACTS.get(step.phase, _no_facts)(record, step, result)
    # An AutoML step's trials, written whether or not the step succeeded (server.tracking.trials)
    out += trial_triples(record.run_id, step.id, result)
    return out


def _extract_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    summary = result.summary
    if not result.outputs or "source" not in summary:
        return []
    entity = _output(record, step.id)
    # An uploaded dataset is linked by its version node (in the version's own graph), besides
    # the data source named by the reference as written (``dataset:NAME[@N]``).
    uploaded: list[WriteTriple] = []
    if step.dataset_version:
        version = iri(step.dataset_version)
        uploaded = [
            (_step_run(record, step.id), PROV.used, version),
            (entity, PROV.wasDerivedFrom, version),
        ]
    return [
        *uploaded,
        (entity, PROV.wasDerivedFrom, iri(source_iri(str(summary["source"])))),
        *optional(
            entity,
            [
                (OL.rowCount, summary.get("rows"), plain),
                (OL.columnCount, summary.get("columns"), plain),
                (OL.targetColumn, summary.get("target_column"), string),
            ],
        ),
    ]


def _explore_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    dataset_step = step.inputs.get("dataset")
    profile = result.outputs.get("profile")
    if dataset_step is None or profile is None or not result.summary.get("columns"):
        return []
    return [(_output(record, dataset_step), OL.hasDataProfile, iri(profile_iri(profile.sha256)))]


def _build_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    summary = result.summary
    if not result.outputs:
        return []
    run = _run(record)
    node = _step_run(record, step.id)
    model = _output(record, step.id)
    out: list[WriteTriple] = [
        (run, MLS.hasOutput, model),
        (run, MLS.executes, iri(implementation_iri(estimator_class(summary)))),
        (model, OL.hasSignature, iri(signature_iri(signature_digest(summary)))),
    ]
    if summary.get("model_name") is not None:
        out.append((model, OL.modelName, string(summary["model_name"])))
    if "reference_profile" in result.outputs:
        out.append((model, OL.hasReferenceProfile, _output(record, step.id, "reference_profile")))
    for setting, (name, _, raw) in hyperparameter_settings(summary).items():
        out += [
            (node, OL.hasHyperParameterSetting, iri(setting)),
            (run, iri(param_property(name)), value(raw)),
        ]
    return out


def _validate_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    run = _run(record)
    node = _step_run(record, step.id)
    model_step = step.inputs.get("model")
    model = _output(record, model_step) if model_step else None
    out: list[WriteTriple] = []
    for metric, measured in sorted(result.metrics.items()):
        evaluation = iri(evaluation_iri(record.run_id, step.id, metric))
        literal = double(measured)
        out += [
            (run, iri(metric_property(metric)), literal),
            (run, MLS.hasOutput, evaluation),
            (evaluation, RDF.type, MLS.ModelEvaluation),
            (evaluation, MLS.specifiedBy, iri(measure_iri(metric))),
            (evaluation, MLS.hasValue, literal),
            (evaluation, PROV.wasGeneratedBy, node),
        ]
        if model is not None:
            out.append((evaluation, OL.evaluates, model))
    for check in result.summary.get("thresholds", []):
        check_node = iri(
            sub_iri(step_run_iri(record.run_id, step.id), "threshold", str(check["metric"]))
        )
        out += [
            (node, OL.hasThresholdCheck, check_node),
            (check_node, RDF.type, OL.ThresholdCheck),
            (check_node, OL.metricName, string(check["metric"])),
        ]
        out += optional(
            check_node,
            [
                (OL.minValue, check.get("min"), double),
                (OL.maxValue, check.get("max"), double),
                (OL.observedValue, check.get("value"), double),
                (OL.passed, check.get("passed"), plain),
            ],
        )
    return out


def _code_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    """A code step run used its bundle (sha256 in the graph) and records its requirements;
    a model or a report it returned is described as a build's or a validate's would be."""
    node = _step_run(record, step.id)
    out: list[WriteTriple] = []
    bundle = record.pipeline.code_bundle
    if bundle is not None:
        code = iri(code_bundle_iri(bundle.sha256))
        out += [
            (node, OL.codeBundle, code),
            (node, PROV.used, code),
            (code, RDF.type, OL.CodeBundle),
            (code, OL.sha256, string(bundle.sha256)),
            (code, OL.byteSize, plain(bundle.size)),
            (code, DCAT.mediaType, string(bundle.media_type)),
        ]
    out += [(node, OL.requirement, string(r)) for r in step.parameters.get("requirement", [])]
    if result.summary.get("code_function"):
        out.append((node, OL.codeFunction, string(str(result.summary["code_function"]))))
    if "model" in result.outputs:
        out += _build_facts(record, step, result)
    if "report" in result.outputs:
        out += _validate_facts(record, step, result)
    return out


def _container_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    """The image a container step's command ran, by its ID and any registry digests: what
    an export runs again (``docker run IMAGE@sha256:…``), whatever the tag points at later."""
    image = result.summary.get("image") or {}
    if not image.get("id"):
        return []
    node = _step_run(record, step.id)
    out: list[WriteTriple] = [(node, OL.imageDigest, string(str(image["id"])))]
    out += [(node, OL.imageRepoDigest, string(str(d))) for d in image.get("repo_digests", [])]
    return out


def _no_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    return []


PHASE_FACTS: dict[str, Callable[[RunRecord, StepRecord, StepResult], list[WriteTriple]]] = {
    "extract": _extract_facts,
    "explore": _explore_facts,
    "build": _build_facts,
    "validate": _validate_facts,
    "code": _code_facts,
    "container": _container_facts,
    "check": check_facts,
}


def _run(record: RunRecord) -> ox.NamedNode:
    return iri(run_iri(record.run_id))


def _step_run(record: RunRecord, step_id: str) -> ox.NamedNode:
    return iri(step_run_iri(record.run_id, step_id))


def _output(record: RunRecord, step_id: str, kind: str | None = None) -> ox.NamedNode:
    """The step's output node; an extra output (``EXTRA_KINDS``) gets a node of its own."""
    main = output_iri(record.run_id, step_id)
    return iri(f"{main}/{kind}" if kind in EXTRA_KINDS else main)
