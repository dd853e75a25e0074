"""check: the data validation step's expectations, and the reference profile it compared with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from executor.standalone.data_checks import check_table

# --- code ---


def check_data(table: Any, params: dict[str, Any], reference: Path | None) -> dict[str, Any]:
    """Every expectation on the table (the train and test rows together for splits) and, when
    the step had one, on the reference profile stored at ``reference``."""
    if isinstance(table, dict):
        table = pd.concat([table["train"], table["test"]], ignore_index=True)
    profile = None if reference is None else json.loads(reference.read_text(encoding="utf-8"))
    return check_table(table, params["expectations"], profile, params["reference_tolerance"])
