"""Feature engineering for the wine example: called by the :features code step."""

import numpy as np
import pandas as pd


def add_ratios(dataset: pd.DataFrame, params: dict) -> pd.DataFrame:
    """The table with two ratio columns (and log proline if asked); the target stays."""
    frame = dataset.copy()
    frame["flavanoid_ratio"] = frame["flavanoids"] / frame["total_phenols"]
    frame["colour_per_hue"] = frame["color_intensity"] / frame["hue"]
    if params.get("log_proline", False):
        frame["proline"] = np.log(frame["proline"])
    return frame
