"""Export of a data validation step (``check``): its expectations in params.json, the
reference profile it compared with copied in as a data file, and the report it recorded as
what verify.py must find again (every expectation, its observed value and whether it passed).

Registered in ``generators.GENERATORS``; the checks themselves are
``executor.standalone.data_checks``, pasted into pipeline.py by the ``check`` template.
"""

from __future__ import annotations

from typing import Any

from executor.contract import MEDIA_TYPES, REFERENCE_INPUT
from executor.standalone.data_checks import DEFAULT_TOLERANCE
from server.interop.generators import GENERATORS, ExportContext, StepCode, _signature
from server.interop.run_facts import StepFacts

TABLE_KEYS = ("min_rows", "max_rows", "max_missing_rate")


def check_code(context: ExportContext, step: StepFacts) -> StepCode:
    report = context.stored_json(step, "data_report")
    given = step.parameters
    expectations: dict[str, Any] = {k: given[k] for k in TABLE_KEYS if given.get(k) is not None}
    expectations["columns"] = [
        {k: v for k, v in column.items() if v is not None} for column in given.get("columns", [])
    ]
    reference = report.get("reference") or {}
    tolerance = reference.get("tolerance", given.get("reference_tolerance", DEFAULT_TOLERANCE))
    parameters: dict[str, Any] = {
        "expectations": expectations,
        "reference_tolerance": tolerance,
        "reference": None,
    }
    code = StepCode(parameters, "", templates=("check",), expected={"checks": report["checks"]})
    if reference:
        path = f"data/{step.id}.{REFERENCE_INPUT}.json"  # step ids are letters, digits, _-.
        parameters["reference"] = path
        stored = context.artifacts.path(str(reference["sha256"]))
        code.files[path] = stored
        code.manifest.append(
            {
                "step": step.id,
                "source": f"model {reference['model']} version {reference['version']}",
                "kind": REFERENCE_INPUT,
                "path": path,
                "sha256": reference["sha256"],
                "size": stored.stat().st_size,
                "media_type": MEDIA_TYPES[REFERENCE_INPUT],
                "role": "the reference profile the step compared the data with",
            }
        )
    code.function = "\n".join(
        [
            _signature(context, step, "dict[str, Any]"),
            f'    """{step.id}: every expectation on the data, as the run checked it."""',
            '    reference = HERE / params["reference"] if params["reference"] else None',
            f"    return check_data({next(iter(sorted(step.inputs)))}, params, reference)",
        ]
    )
    return code


GENERATORS["check"] = check_code
