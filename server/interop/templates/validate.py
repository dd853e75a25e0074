"""validate: score the model on the held-out rows."""

from __future__ import annotations

import math
from typing import Any

from executor.standalone.scoring import EVALUATORS, predictions_sha256

# --- code ---


def evaluate(model: Any, splits: dict[str, Any], task: str) -> dict[str, Any]:
    """The metrics on the test rows (undefined ones left out) and the predictions' checksum."""
    test = splits["test"]
    x, y = test[splits["feature_columns"]], test[splits["target"]]
    found = EVALUATORS[task](model, x, y)
    values = {k: float(v) for k, v in found["metrics"].items() if math.isfinite(v)}
    return {
        "metrics": values,
        "predictions_sha256": predictions_sha256(found["predicted"]),
        "test_rows": len(x),
    }
