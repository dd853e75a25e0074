"""Drift statistics on synthetic data: false alarms on no-drift windows, detection of a small
mean shift, categorical and missing-rate changes, constant columns, bad input.

Every window is drawn from a seeded generator, so the counts asserted below are deterministic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from executor.standalone.reference import bin_numeric, numeric_edges, reference_profile
from server.errors import DriftInputError
from server.monitoring.drift import DriftThresholds, Reference, adjust, bin_window, compute_drift

NUMBERS = 20
CATEGORIES = ["a", "b", "c", "d", "e", "f", "g", "h"]
WEIGHTS = [0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05]


def frame(rows: int, seed: int, shift: float = 0.0, shifted: int = NUMBERS) -> pd.DataFrame:
    """20 standard-normal numbers (the first ``shifted`` moved by ``shift`` σ), 5 categories."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for i in range(NUMBERS):
        data[f"x{i}"] = rng.normal(shift if i < shifted else 0.0, 1.0, rows)
    for i in range(5):
        data[f"c{i}"] = rng.choice(CATEGORIES, rows, p=WEIGHTS)
    return pd.DataFrame(data)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference(reference_profile(frame(50_000, seed=1)))


def test_no_drift_windows_rarely_alarm(reference: Reference) -> None:
    windows = [compute_drift(reference, frame(10_000, seed=1000 + i)) for i in range(200)]
    verdicts = sum(w.verdict == "drift" for w in windows)
    any_feature = sum(bool(w.drifted) for w in windows)
    assert verdicts <= 10  # ≤ 5% of 200
    assert any_feature <= 10  # the correction keeps even one flagged feature rare


def test_small_windows_do_not_alarm_either(reference: Reference) -> None:
    windows = [compute_drift(reference, frame(200, seed=3000 + i)) for i in range(200)]
    assert sum(bool(w.drifted) for w in windows) <= 10


def test_a_fifth_of_a_sigma_mean_shift_is_detected(reference: Reference) -> None:
    windows = [compute_drift(reference, frame(10_000, seed=5000 + i, shift=0.2)) for i in range(50)]
    assert sum(w.verdict == "drift" for w in windows) >= 48  # ≥ 95%
    assert all(w.drift_share >= 0.75 for w in windows)  # the 20 numbers, not the 5 categories


def test_a_shift_of_one_feature_flags_that_feature(reference: Reference) -> None:
    windows = [
        compute_drift(reference, frame(10_000, seed=7000 + i, shift=0.2, shifted=1))
        for i in range(50)
    ]
    assert sum("x0" in w.drifted for w in windows) >= 48
    assert all(w.verdict == "no_drift" for w in windows)  # 1 of 25 is below the 0.5 share
    shifted = windows[0].features[0]
    assert shifted.test == "ks"
    assert 0.01 < shifted.psi < 0.2
    assert 0 < shifted.js_distance < 1


def test_a_categorical_shift_is_detected(reference: Reference) -> None:
    window = frame(5_000, seed=11)
    rng = np.random.default_rng(12)
    window["c0"] = rng.choice(CATEGORIES, 5_000, p=[0.2, 0.2, 0.15, 0.1, 0.1, 0.1, 0.1, 0.05])
    window["c1"] = rng.choice(["a", "new", "unseen"], 5_000)  # never seen: all "other"
    report = compute_drift(reference, window)
    assert report.drifted == ["c0", "c1"]
    c1 = next(f for f in report.features if f.name == "c1")
    assert c1.test == "chi_square"
    assert c1.psi > 1


def test_a_missing_rate_change_is_detected(reference: Reference) -> None:
    window = frame(5_000, seed=21)
    window.loc[window.index[:500], "x3"] = np.nan  # 10% missing, none in training
    window.loc[window.index[:500], "c2"] = None
    report = compute_drift(reference, window)
    assert report.drifted == ["x3", "c2"]
    x3 = next(f for f in report.features if f.name == "x3")
    assert x3.reference_missing_rate == 0
    assert x3.window_missing_rate == pytest.approx(0.1)


def test_constant_columns_compare_without_errors() -> None:
    train = pd.DataFrame({"one": np.full(1000, 3.0), "label": ["k"] * 1000})
    reference = Reference(reference_profile(train))
    same = compute_drift(reference, pd.DataFrame({"one": np.full(500, 3.0), "label": ["k"] * 500}))
    assert same.drifted == []
    assert all(np.isfinite(f.psi) and f.p_value == 1 for f in same.features)
    moved = compute_drift(reference, pd.DataFrame({"one": np.full(500, 3.5), "label": ["z"] * 500}))
    assert moved.drifted == ["one", "label"]


def test_an_empty_window_is_a_clear_error(reference: Reference) -> None:
    with pytest.raises(DriftInputError, match="the window has no rows; send at least one row"):
        compute_drift(reference, frame(0, seed=1))


def test_a_window_without_a_feature_names_it(reference: Reference) -> None:
    with pytest.raises(DriftInputError, match=r"lacks the feature column\(s\) 'x4'; send rows"):
        compute_drift(reference, frame(10, seed=1).drop(columns=["x4"]))


def test_thresholds_out_of_range_are_refused() -> None:
    with pytest.raises(DriftInputError, match="alpha 1.5 is not in"):
        DriftThresholds(alpha=1.5)
    with pytest.raises(DriftInputError, match="correction 'bonferroni' is unknown; use one of"):
        DriftThresholds(correction="bonferroni")
    with pytest.raises(DriftInputError, match="drift_share 0 is not in"):
        DriftThresholds(drift_share=0)


def test_a_profile_of_another_format_is_refused() -> None:
    with pytest.raises(DriftInputError, match="not a profile in the format"):
        Reference({"features": {}})


def test_window_binning_matches_the_reference_binning() -> None:
    """The block comparison in drift and ``bin_numeric`` in the build put every value (edge
    values, infinities and missing ones included) in the same bin."""
    rng = np.random.default_rng(3)
    values = rng.normal(size=2000)
    edges = numeric_edges(values)
    window = np.concatenate([values[:500], edges, [np.inf, -np.inf, np.nan]])
    profile = reference_profile(pd.DataFrame({"v": values}))
    binned, missing = bin_window(Reference(profile), pd.DataFrame({"v": window}))
    expected, expected_missing = bin_numeric(window, edges)
    assert binned[0, : expected.size].tolist() == expected.tolist()
    assert missing[0] == expected_missing == 1


def test_corrections_match_their_definitions() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5])
    assert adjust(p, "holm").tolist() == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert adjust(p, "bh").tolist() == pytest.approx([0.04, 0.0533333, 0.0533333, 0.5])


def test_the_report_is_json_ready(reference: Reference) -> None:
    report = compute_drift(reference, frame(1000, seed=2), DriftThresholds(correction="holm"))
    data = report.to_json()
    assert data["rows"] == 1000 and data["reference_rows"] == 50_000
    assert data["thresholds"]["correction"] == "holm"
    assert len(data["features"]) == 25
