"""Export generator for a custom code step (``ol:CodeStep``).

A custom code step (``ol:CodeStep``) becomes a call of its function from the run's code
bundle, whose files are copied into ``code/`` from the artifact store by the sha256 the run
recorded; the call passes the step's inputs and ``params`` as ``executor/phases/code.py`` does
and turns what it returns into the step's output as ``executor/phases/code_outputs.py`` does
(``templates/code.py``). Registered in ``generators.GENERATORS`` (a container step's generator
is ``container_steps``).
"""

from __future__ import annotations

import hashlib
import zipfile
from typing import Any

from executor.contract import (
    CODE_OUTPUT_KINDS,
    CODE_PHASE,
    BundleError,
    check_bundle,
    parse_entry,
)
from server.errors import ExportError
from server.interop.generators import (
    GENERATORS,
    ExportContext,
    StepCode,
    _scalar,
    _signature,
)
from server.interop.run_facts import StepFacts

#: Module names pipeline.py and verify.py hold: code/ cannot shadow them in the export.
TAKEN_MODULES = ("pipeline", "verify")
_RETURNS = {"dataset": "pd.DataFrame", "report": "dict[str, Any]", "files": "Path"}


def code_step_code(context: ExportContext, step: StepFacts) -> StepCode:
    """A code step: its function called from ``code/`` with the step's inputs and params."""
    kind = str(_scalar(step.parameters, "output_kind", ""))
    if kind not in CODE_OUTPUT_KINDS:
        raise ExportError(
            f"code step {step.id!r} of run {context.run.run_id} names output kind {kind!r}, "
            f"not one of {', '.join(CODE_OUTPUT_KINDS)}; rerun the experiment and export the "
            "new run"
        )
    bundle = _bundle(context, step)
    parameters: dict[str, Any] = {
        **_entry(step),
        "output_kind": kind,
        "hyperparameters": step.parameters.get("hyperparameters") or {},
        "code_bundle": bundle,
        "requirement": list(step.requirements),
    }
    code = StepCode(parameters, "", templates=("code",), requirements=step.requirements)
    _copy_bundle(context, step, bundle, code)
    inputs = {kind_: kind_ for kind_ in sorted(step.inputs)}
    if "report" in step.inputs:
        inputs["report"] = _stored_report(context, context.step(step.inputs["report"]), code)
    if kind == "dataset":
        parameters["target_column"] = _scalar(
            step.parameters, "target_column"
        ) or context.input_target(step)
        _expect_table(context, step, code)
    if kind == "report":
        code.expected = {"metrics": dict(sorted(step.metrics.items()))}
    given = "{" + ", ".join(f"{k!r}: {v}" for k, v in inputs.items()) + "}"
    call = f"call_code({step.id!r}, params, {given})"
    name = parameters.get("function") or f"{parameters['script']}:main"
    code.function = "\n".join(
        [
            _signature(context, step, _RETURNS.get(kind, "Any")),
            f'    """{step.id}: {name} from code/, called as the run called it."""',
            f"    return {'as_stored(' + call + ')' if kind == 'dataset' else call}",
        ]
    )
    return code


def _entry(step: StepFacts) -> dict[str, Any]:
    """The step's ``function`` (``module:function``) or ``script``, checked importable in the
    export; ExportError naming the step and the fix otherwise."""
    function = str(_scalar(step.parameters, "function", "") or "")
    script = str(_scalar(step.parameters, "script", "") or "")
    if script:
        if not script.endswith(".py") or ".." in script.split("/") or script.startswith("/"):
            raise ExportError(
                f"code step {step.id!r} names script {script!r}, not a .py file inside its "
                "code folder; fix ol:script, rerun and export the new run"
            )
        return {"function": function or None, "script": script}
    try:
        module, _ = parse_entry(function)
    except ValueError as exc:
        raise ExportError(
            f"code step {step.id!r} names ol:function {exc}; fix it, rerun and export the new run"
        ) from exc
    if module.split(".")[0] in TAKEN_MODULES:
        raise ExportError(
            f"code step {step.id!r} calls {function!r}, but the export's own "
            f"{module.split('.')[0]}.py would shadow that module; rename it in the code folder "
            "(e.g. my_pipeline.py) and ol:function with it, rerun and export the new run"
        )
    return {"function": function, "script": None}


def _bundle(context: ExportContext, step: StepFacts) -> str:
    if step.code_bundle is None:
        raise ExportError(
            f"run {context.run.run_id} recorded no code bundle for code step {step.id!r}, so "
            "its code cannot be copied; rerun the experiment with its code folder and export "
            "the new run"
        )
    return str(step.code_bundle["sha256"])


def _copy_bundle(context: ExportContext, step: StepFacts, sha256: str, code: StepCode) -> None:
    """The bundle's files into ``code/``, each in the data manifest (once per run)."""
    path = context.artifacts.path(sha256)  # checksum checked
    try:
        names = check_bundle(path)
    except BundleError as exc:
        raise ExportError(
            f"the code bundle {sha256} of step {step.id!r} cannot be unpacked ({exc})"
        ) from exc
    first = next(s for s in context.run.steps if s.code_bundle == step.code_bundle)
    with zipfile.ZipFile(path) as archive:
        for name in (n for n in names if not n.endswith("/")):
            data = archive.read(name)
            code.files[f"code/{name}"] = data
            if first.id != step.id:
                continue
            code.manifest.append(
                {
                    "step": step.id,
                    "source": f"code bundle {sha256}",
                    "kind": "code",
                    "path": f"code/{name}",
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "media_type": "text/x-python" if name.endswith(".py") else "",
                    "role": "a file of the code bundle the run's code steps ran",
                }
            )


def _stored_report(context: ExportContext, producer: StepFacts, code: StepCode) -> str:
    """A report input is the report the run stored (copied in): the exported validate step
    computes the metrics, not the whole report document a code step was given."""
    path = f"data/{producer.id}-report.json"
    context.copy_artifact(
        code,
        producer,
        "report",
        path,
        listed="report",
        role="the report the run stored, as a code step consuming it read it",
    )
    return f"json.loads((HERE / {path!r}).read_text(encoding='utf-8'))"


def _expect_table(context: ExportContext, step: StepFacts, code: StepCode) -> None:
    """verify.py checks the table the function returns equals the one the run stored."""
    path = f"data/{step.id}.parquet"
    context.copy_artifact(
        code,
        step,
        "dataset",
        path,
        listed="expected",
        origin="code",
        role="the table the code step returned, as the run stored it; verify.py checks "
        "the exported call returns it",
    )
    code.expected = {"table": path}


GENERATORS[CODE_PHASE] = code_step_code
