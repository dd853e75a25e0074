"""The frames both sides of the drift benchmark build from the .npy files: numbers x0…, and
categories c0… as text. Numpy and pandas only, so Evidently's venv imports it too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

LABELS = np.array(list("abcdefgh"), dtype=object)


def load_frame(folder: Path, name: str, columns: int | None = None) -> pd.DataFrame:
    """Window ``name`` of ``folder``: its first ``columns`` columns, or all with None or 0."""
    values = np.load(folder / f"{name}_numbers.npy", mmap_mode="r")
    codes = np.load(folder / f"{name}_codes.npy")
    data: dict[str, Any] = {f"x{i}": np.asarray(values[:, i]) for i in range(values.shape[1])}
    data |= {f"c{i}": LABELS[codes[:, i]] for i in range(codes.shape[1])}
    frame = pd.DataFrame(data)
    return frame.iloc[:, :columns] if columns else frame
