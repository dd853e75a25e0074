"""The scheduler: a crash of the thread that runs a run is logged and ends the run failed; a
failing event sink (a closed terminal) never touches a run."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest

from executor.contract import StepSpec
from server import definitions
from server.platform import Platform
from server.runs.service import RunEvent
from server.terminal import ProgressPrinter
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


def test_an_event_sink_that_fails_never_affects_the_run(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    # What a terminal whose reader went away does (`ontolab run … | head -1`), every event.
    def closed_output(event: RunEvent) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    platform.runs.add_listener(closed_output)
    version = definitions.submit(platform.store, definitions.parse(DEFINITION)).version
    with caplog.at_level(logging.WARNING):
        record = platform.runs.run(version, on_event=closed_output)

    assert record.status == "succeeded", record.error
    details = catalog.run_details(platform.store, record.run_id)
    assert details["status"] == "succeeded"
    assert [s["status"] for s in details["steps"]] == ["succeeded"]
    assert "an event sink failed" in caplog.text


def test_the_progress_printer_stops_quietly_when_its_output_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    printer = ProgressPrinter("iris", 1)
    printer(RunEvent("0" * 16, None, "running", "5 steps"))  # no exception
    assert printer.closed
    printer(RunEvent("0" * 16, "extract", "succeeded"))  # and no further try
