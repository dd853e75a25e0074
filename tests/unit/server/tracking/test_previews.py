"""Previews stay bounded whatever the file's size: bytes, rows and columns."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from server.tracking import previews


def test_a_json_file_over_the_byte_limit_is_shown_as_its_truncated_head(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"values": list(range(200_000))}))
    assert path.stat().st_size > previews.MAX_BYTES
    shown = previews._look(path, "application/json", 20)
    assert shown["preview"] == "text" and shown["truncated"] is True
    assert len(shown["text"].encode()) <= previews.MAX_BYTES


def test_a_small_json_file_is_pretty_printed(tmp_path: Path) -> None:
    path = tmp_path / "small.json"
    path.write_text('{"a":[1,2]}')
    shown = previews._look(path, "application/json", 20)
    assert shown["value"] == {"a": [1, 2]} and shown["text"] == json.dumps({"a": [1, 2]}, indent=2)


def test_a_csv_shows_its_header_and_the_rows_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i * 2}\n" for i in range(1000)))
    shown = previews._look(path, "text/csv", 7)
    assert shown["columns"] == ["x", "y"] and shown["rows"][-1] == ["6", "12"]
    assert len(shown["rows"]) == 7 and shown["truncated"] is True


def test_a_csv_longer_than_the_byte_limit_is_read_only_to_it(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    line = "a" * 1000 + "\n"
    path.write_text("col\n" + line * 600)  # ~600 kB, each row longer than the row limit allows
    shown = previews._look(path, "text/csv", previews.MAX_ROWS)
    assert shown["truncated"] is True
    assert len(shown["rows"]) < previews.MAX_BYTES // 1000 + 1


def test_a_wide_parquet_table_is_cut_to_the_column_and_row_limits(tmp_path: Path) -> None:
    path = tmp_path / "wide.parquet"
    frame = pd.DataFrame({f"c{i}": [float(i), float("nan"), 1.0] * 100 for i in range(150)})
    frame.to_parquet(path)
    shown = previews._look(path, "application/vnd.apache.parquet", 10)
    assert len(shown["columns"]) == previews.MAX_COLUMNS and len(shown["rows"]) == 10
    assert shown["rows"][1][0] is None  # NaN, which JSON cannot carry
    assert shown["total_rows"] == 300 and shown["truncated"] is True


def test_a_binary_file_has_no_preview(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    path.write_bytes(b"\x00\x01")
    shown = previews._look(path, "application/x-joblib", 20)
    assert shown["preview"] == "none" and "download" in shown["reason"]


def test_an_empty_parquet_table_shows_its_columns_and_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=str)}).to_parquet(path)
    shown = previews._look(path, "application/vnd.apache.parquet", 5)
    assert shown["columns"] == ["a", "b"] and shown["rows"] == []
    assert shown["total_rows"] == 0 and shown["truncated"] is False
