"""``ontolab.start_run`` with no platform listening: everything waits in the spool, in order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ontolab
from ontolab import _spool
from tests.processes import free_port


def test_an_offline_run_spools_everything_in_order(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    spool = tmp_path / "spool"
    report = tmp_path / "report.txt"
    report.write_text("kept")
    run = ontolab.start_run("offline", url=url, spool_dir=spool, flush_timeout=0.3)
    run.log_params({"lr": 0.1})
    for step in range(3):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
    run.log_metric("nan_is_fine", float("nan"))
    run.log_artifact(report, artifact_path="docs")
    run.set_tag("k", "v")
    run.end("failed")
    report.unlink()  # the spool holds its own copy

    header, ops = _spool.load(spool / run.run_id)
    assert header == {"url": url, "run_id": run.run_id}
    assert [op["op"] for op in ops] == ["start", "batch", "artifact", "batch", "end"]
    assert ops[0]["body"]["run_id"] == run.run_id
    assert [m["step"] for m in ops[1]["metrics"]] == [0, 1, 2, 0]
    assert ops[1]["params"] == {"lr": "0.1"} and ops[3]["tags"] == {"k": "v"}
    assert ops[2]["path"] == "docs/report.txt"
    assert Path(ops[2]["blob"]).read_text() == "kept"
    assert ops[4]["status"] == "failed"
    assert all(json.dumps(op) for op in ops)
    assert ontolab.flush_spool(url, spool_dir=spool) == 0  # still offline: all stays


def test_bad_input_raises_at_the_call_even_offline(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = ontolab.start_run("offline", url=url, spool_dir=tmp_path, flush_timeout=0.1)
    with pytest.raises(ValueError, match="metric 'acc' has value None"):
        run.log_metric("acc", None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="metric 'acc' has value True"):
        run.log_metric("acc", True)
    with pytest.raises(ValueError, match="metric 'acc' has step 1.5"):
        run.log_metric("acc", 1.0, step=1.5)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        run.log_artifact(tmp_path / "missing.csv")
    run.end()
    with pytest.raises(ontolab.RunEnded, match="start a new run"):
        run.log_param("a", 1)
