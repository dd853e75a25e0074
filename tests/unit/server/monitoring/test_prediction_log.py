"""The prediction log's rotation, its writer thread, the window reader and feedback checks.

Before: a deployment kept nothing of what it was asked; there was no log to rotate or read.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.errors import BadRequest, ConfigError, FeedbackError, UnknownRequestId
from server.monitoring import feedback
from server.monitoring.prediction_log import (
    FEEDBACK,
    PREDICTIONS,
    LogConfig,
    PredictionLogWriter,
    RotatingFile,
    log_files,
    write_meta,
)
from server.monitoring.prediction_window import entries, read_entries, read_window
from server.settings import Settings

LINE = b"x" * 99 + b"\n"  # 100 bytes


def config(**fields: Any) -> LogConfig:
    values = {"enabled": True, "max_mb": 1.0, "files": 3, "queue": 1000, **fields}
    return LogConfig(**values)


def write_entries(directory: Path, count: int, start: int = 0, rows: int = 1) -> None:
    writer = PredictionLogWriter(directory, config())
    for n in range(start, start + count):
        records = [{"a": float(n + r), "b": "x"} for r in range(rows)]
        writer.log(f"r{n}", {"dataframe_records": records}, [n % 2] * rows)
    writer.close()


# --- rotation ---------------------------------------------------------------------------


def test_rotation_keeps_at_most_files_times_max_bytes(tmp_path: Path) -> None:
    log = RotatingFile(tmp_path / "p.jsonl", max_bytes=1000, files=3)
    for _ in range(100):
        log.write(LINE)
    log.close()
    files = log_files(tmp_path, "p.jsonl")
    assert [p.name for p in files] == ["p.jsonl.2", "p.jsonl.1", "p.jsonl"]
    assert all(p.stat().st_size <= 1000 for p in files)
    assert sum(p.stat().st_size for p in files) <= 3000
    # The newest lines survive: 100 written, the last file holds the last ones.
    assert (tmp_path / "p.jsonl").stat().st_size == 1000


def test_one_file_rotation_truncates_and_a_reopened_log_appends(tmp_path: Path) -> None:
    log = RotatingFile(tmp_path / "p.jsonl", max_bytes=250, files=1)
    for _ in range(7):
        log.write(LINE)
    log.close()
    assert [p.name for p in log_files(tmp_path, "p.jsonl")] == ["p.jsonl"]
    assert (tmp_path / "p.jsonl").stat().st_size == 100  # 7 = 2 + 2 + 2 + 1
    again = RotatingFile(tmp_path / "p.jsonl", max_bytes=250, files=1)
    again.write(LINE)
    again.close()
    assert (tmp_path / "p.jsonl").stat().st_size == 200


def test_an_entry_larger_than_the_bound_is_still_written_alone(tmp_path: Path) -> None:
    log = RotatingFile(tmp_path / "p.jsonl", max_bytes=50, files=2)
    log.write(LINE)
    log.write(LINE)
    log.close()
    assert [p.stat().st_size for p in log_files(tmp_path, "p.jsonl")] == [100, 100]


# --- the writer -------------------------------------------------------------------------


def test_the_writer_appends_json_lines_with_request_ids(tmp_path: Path) -> None:
    written: list[int] = []
    writer = PredictionLogWriter(tmp_path, config(), on_written=written.append)
    assert writer.log("a1", {"inputs": {"a": 1.0}}, [0])
    writer.close()
    (entry,) = [json.loads(line) for line in (tmp_path / PREDICTIONS).read_text().splitlines()]
    assert entry["request_id"] == "a1" and entry["rows"] == 1
    assert entry["inputs"] == {"inputs": {"a": 1.0}} and entry["predictions"] == [0]
    assert datetime.fromisoformat(entry["time"]).tzinfo is not None
    assert sum(written) == 1


def test_a_full_queue_drops_and_counts_instead_of_blocking(tmp_path: Path) -> None:
    dropped: list[int] = []
    writer = PredictionLogWriter(tmp_path, config(queue=2), on_drop=lambda: dropped.append(1))
    blocker = threading.Event()
    writer._on_written = lambda count: blocker.wait(10)  # hold the thread after its first write
    results = [writer.log(f"r{n}", {"inputs": {}}, [n]) for n in range(50)]
    assert not all(results) and len(dropped) == results.count(False)
    blocker.set()
    writer.close()
    assert len(read_entries(tmp_path)) == results.count(True)


def test_the_writer_stays_within_the_bound(tmp_path: Path) -> None:
    writer = PredictionLogWriter(tmp_path, config(max_mb=0.002, files=2))
    for n in range(200):
        writer.log(f"r{n}", {"inputs": {"a": float(n)}}, [n])
    writer.close()
    files = log_files(tmp_path)
    assert len(files) == 2
    assert sum(p.stat().st_size for p in files) <= 2 * config(max_mb=0.002).max_bytes
    kept = [e["request_id"] for e in read_entries(tmp_path)]
    assert kept[-1] == "r199" and "r0" not in kept


# --- config -----------------------------------------------------------------------------


def test_deploy_request_config_and_its_refusals() -> None:
    settings = Settings.load(environ={})
    assert LogConfig.from_request(None, settings) == LogConfig.default(settings)
    assert LogConfig.from_request(False, settings).enabled is False
    chosen = LogConfig.from_request({"max_mb": 0.5, "files": 2}, settings)
    assert (chosen.enabled, chosen.max_mb, chosen.files) == (True, 0.5, 2)
    with pytest.raises(BadRequest, match="max_mb.*positive number"):
        LogConfig.from_request({"max_mb": 0}, settings)
    with pytest.raises(BadRequest, match="files.*from 1 to 1000"):
        LogConfig.from_request({"files": "3"}, settings)
    with pytest.raises(BadRequest, match="must be true, false or"):
        LogConfig.from_request({"size": 3}, settings)


def test_settings_refuse_a_bad_bound() -> None:
    with pytest.raises(ConfigError, match="ONTOLAB_PREDICTION_LOG_FILES"):
        Settings.load({"prediction_log_files": 0}, environ={})
    with pytest.raises(ConfigError, match="ONTOLAB_PREDICTION_LOG_MB"):
        Settings.load(environ={"ONTOLAB_PREDICTION_LOG_MB": "-1"})


# --- the window reader and feedback -----------------------------------------------------


def test_window_by_count_and_by_time_joined_with_feedback(tmp_path: Path) -> None:
    write_meta(tmp_path, {"task": "classification", "classes": [0, 1], "features": ["a", "b"]})
    before = datetime.now(UTC)
    write_entries(tmp_path, 5, rows=2)
    items = feedback.parse({"feedback": [{"request_id": "r3", "label": [1, 0]}]})
    assert feedback.record(tmp_path, items, config())["accepted"] == 1

    window = read_window(tmp_path, last=4)
    assert list(window.columns) == [
        "a",
        "b",
        "request_id",
        "row",
        "logged_at",
        "prediction",
        "label",
    ]
    assert window["request_id"].tolist() == ["r3", "r3", "r4", "r4"]
    assert window["row"].tolist() == [0, 1, 0, 1]
    assert (
        window["label"].tolist()[:2] == [1, 0] and window["label"].isna().tolist()[2:] == [True] * 2
    )
    assert window["a"].tolist() == [3.0, 4.0, 4.0, 5.0]

    assert len(read_window(tmp_path, since=before)) == 10
    assert len(read_window(tmp_path, since=datetime.now(UTC) + timedelta(seconds=5))) == 0
    assert entries(tmp_path, 1)[0]["request_id"] == "r4"
    assert entries(tmp_path, 2)[1]["labels"] == [1, 0]


def test_a_feature_named_like_a_meta_column_keeps_its_name(tmp_path: Path) -> None:
    write_meta(tmp_path, {"task": "regression", "features": ["label"]})
    writer = PredictionLogWriter(tmp_path, config())
    writer.log("q", {"dataframe_split": {"columns": ["label"], "data": [[7.0]]}}, [1.5])
    writer.close()
    window = read_window(tmp_path, last=10)
    assert window["label"].tolist() == [7.0]
    assert window.attrs["columns"]["label"] == "_label" and window["_label"].isna().all()


def test_feedback_waits_a_moment_for_a_prediction_still_being_written(tmp_path: Path) -> None:
    write_meta(tmp_path, {"task": "classification", "classes": [0, 1], "features": ["a", "b"]})
    late = threading.Timer(feedback.GRACE_SECONDS / 4, write_entries, (tmp_path, 1))
    late.start()
    try:
        items = feedback.parse({"request_id": "r0", "label": 1})
        assert feedback.record(tmp_path, items, config())["accepted"] == 1
    finally:
        late.join()


def test_feedback_refuses_unknown_ids_and_wrong_labels_and_records_nothing(tmp_path: Path) -> None:
    write_meta(tmp_path, {"task": "classification", "classes": [0, 1], "features": ["a", "b"]})
    write_entries(tmp_path, 2)
    batch = {"feedback": [{"request_id": "r0", "label": 1}, {"request_id": "nope", "label": 0}]}
    with pytest.raises(UnknownRequestId, match="'nope'.*nothing was recorded"):
        feedback.record(tmp_path, feedback.parse(batch), config())
    with pytest.raises(FeedbackError, match="not one of the model's classes"):
        feedback.record(tmp_path, feedback.parse({"request_id": "r0", "label": "yes"}), config())
    with pytest.raises(FeedbackError, match="1 row.*2 label"):
        feedback.record(tmp_path, feedback.parse({"request_id": "r0", "label": [0, 1]}), config())
    with pytest.raises(FeedbackError, match='exactly "request_id" and "label"'):
        feedback.parse({"request_id": "r0"})
    assert not (tmp_path / FEEDBACK).exists()

    write_meta(tmp_path, {"task": "regression", "features": ["a", "b"]})
    with pytest.raises(FeedbackError, match="regressor.*must be a number"):
        feedback.record(tmp_path, feedback.parse({"request_id": "r1", "label": "high"}), config())
    feedback.record(tmp_path, feedback.parse({"request_id": "r1", "label": 2.5}), config())
    assert read_window(tmp_path, last=1)["label"].tolist() == [2.5]


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    write_entries(tmp_path, 2)
    with (tmp_path / PREDICTIONS).open("ab") as handle:
        handle.write(b'{"request_id": "half')
    assert [e["request_id"] for e in read_entries(tmp_path)] == ["r0", "r1"]


def test_a_raw_pretty_printed_body_is_logged_on_one_line(tmp_path: Path) -> None:
    writer = PredictionLogWriter(tmp_path, config())
    body = json.dumps({"inputs": {"a": 1.0, "b": "x\ny"}}, indent=2).encode()
    writer.log("raw", body, [0])
    writer.close()
    (line,) = (tmp_path / PREDICTIONS).read_bytes().splitlines()
    assert json.loads(line)["inputs"] == {"inputs": {"a": 1.0, "b": "x\ny"}}
