"""explore: profile every column and the correlations between numeric columns."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd

from executor.standalone.profile import column_profile, to_json_value

# --- code ---


def profile(frame: pd.DataFrame, target: str | None) -> dict[str, Any]:
    """Every column's profile and the Pearson correlation of the numeric ones."""
    columns = [column_profile(str(name), frame[name]) for name in frame.columns]
    numeric = [c["name"] for c in columns if c["kind"] == "numeric"]
    matrix = frame[numeric].astype(float).corr(method="pearson") if numeric else pd.DataFrame()
    correlation = {"columns": numeric, "matrix": to_json_value(matrix.to_numpy().tolist())}
    return {"rows": len(frame), "target_column": target, "columns": columns} | {
        "correlation": correlation
    }


def profile_sha256(found: dict[str, Any]) -> str:
    """The sha256 of the profile written as the platform writes its JSON artifacts."""
    text = json.dumps(to_json_value(found), allow_nan=False, indent=1, sort_keys=True) + "\n"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
