"""A data validation step's report as triples: passed or not, the dataset it checked, the
reference it compared with, and one node per expectation with what was expected and observed.

Pure, like ``server.tracking.results`` (which calls ``check_facts`` for every check step run,
failed ones too: a failed check still stored its report). The report node is the step's output
(``…/output/STEP``, an ``ol:DataValidationReport``); its expectations are ``…/check/N``.
"""

from __future__ import annotations

import json
from typing import Any

from executor.contract import REFERENCE_INPUT, StepResult
from server.graph.namespaces import output_iri, step_run_iri, sub_iri
from server.graph.write_terms import OL, RDF, double, iri, plain, string
from server.store.base import WriteTriple
from server.tracking.records import RunRecord, StepRecord
from server.tracking.shared import optional


def check_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[WriteTriple]:
    summary = result.summary
    if "data_report" not in result.outputs or "checks" not in summary:
        return []
    output = output_iri(record.run_id, step.id)
    report = iri(output)
    checks = summary["checks"]
    out: list[WriteTriple] = [
        (iri(step_run_iri(record.run_id, step.id)), OL.hasDataValidationReport, report),
        (report, OL.passed, plain(bool(summary.get("passed")))),
        (report, OL.violationCount, plain(sum(1 for c in checks if not c["passed"]))),
    ]
    out += [
        (report, OL.checkedDataset, iri(output_iri(record.run_id, producer)))
        for producer in step.inputs.values()
    ]
    out += optional(report, [(OL.rowCount, summary.get("rows"), plain)])
    reference = step.parameters.get(REFERENCE_INPUT)
    if isinstance(reference, dict):
        out += [
            (report, OL.referenceModelVersion, iri(str(reference["model_version"]))),
            (report, OL.checkedAgainst, iri(str(reference["profile"]))),
        ]
    for number, check in enumerate(checks, start=1):
        out += _expectation(report, iri(sub_iri(output, "check", str(number))), check)
    return out


def _expectation(report: Any, node: Any, check: dict[str, Any]) -> list[WriteTriple]:
    return [
        (report, OL.hasExpectationCheck, node),
        (node, RDF.type, OL.ExpectationCheck),
        (node, OL.expectation, string(check["expectation"])),
        (node, OL.passed, plain(bool(check["passed"]))),
        *optional(
            node,
            [
                (OL.columnName, check.get("column"), string),
                (OL.expectedValue, check.get("expected"), _literal),
                (OL.observedValue, check.get("observed"), _literal),
            ],
        ),
    ]


def _literal(raw: Any) -> Any:
    """A number as xsd:double; anything else as text (a list or a range as JSON)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return double(raw)
    return string(raw if isinstance(raw, str) else json.dumps(raw))
