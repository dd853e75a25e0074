"""The scheduler: a crash of the thread that runs a run is logged and ends the run failed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from executor.contract import StepSpec
from server import definitions
from server.platform import Platform
from server.tracking import catalog

DEFINITION = """
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://example.org/crash#> .
:experiment a ol:Experiment ; dcterms:identifier "crash" ; ol:task "classification" ;
    ol:hasStep :extract .
:extract a ol:DataExtraction ; ol:source "sklearn:iris" ; ol:targetColumn "target" ;
    ol:produces :raw .
"""


def test_a_crashed_scheduler_logs_its_traceback_and_the_run_ends_failed(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(spec: StepSpec, workdir: Path, timeout: float) -> None:
        raise RuntimeError("the provisioner broke")

    monkeypatch.setattr(platform.provisioner, "run_step", broken)
    version = definitions.submit(platform.store, definitions.parse(DEFINITION)).version
    with caplog.at_level(logging.ERROR):
        record = platform.runs.run(version)

    assert record.status == "failed"
    assert record.error == "the run stopped unexpectedly: RuntimeError: the provisioner broke"
    assert catalog.run_details(platform.store, record.run_id)["status"] == "failed"
    crashes = [r for r in caplog.records if r.exc_info and record.run_id in r.getMessage()]
    assert crashes, "the crash is logged with the run id and its traceback"
    assert crashes[0].name == "server.runs.scheduler"
    assert "the provisioner broke" in caplog.text
    assert "Traceback" in caplog.text
