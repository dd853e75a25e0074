"""What the HTTP tests send deployments: a new deployment of a registered model, and the rows
of a table as the JSON records ``/predict`` takes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import requests

TIMEOUT = 30


def deploy(api: str, **body: Any) -> dict[str, Any]:
    """``POST /api/deployments`` with ``body`` on the platform at ``api``; it must answer 201.
    The deployment it describes (``url``, ``id``…)."""
    answer = requests.post(f"{api}/api/deployments", json=body, timeout=TIMEOUT)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def records(frame: pd.DataFrame, count: int) -> list[dict[str, float]]:
    """The first ``count`` rows of ``frame``, each a ``{column: value}`` record."""
    return [{str(k): float(v) for k, v in row.items()} for _, row in frame.iloc[:count].iterrows()]
