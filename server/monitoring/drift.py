"""Data drift of a window of rows against a model version's reference profile.

The reference (``executor.standalone.reference``) holds, per feature, the training rows'
counts in fixed bins: quantile bins for numbers, the top categories plus "other" for the rest,
and the missing count. A window (the rows of a DataFrame, e.g. a slice of the prediction log)
is binned with the same edges; every statistic is then computed for all features at once on
two ``features × bins`` count matrices (bins padded with zeros), so the cost is one binning
pass over the window plus a few vectorised numpy/scipy operations, whatever the width.

Per feature:

* **PSI** (population stability index) and the **Jensen–Shannon distance** (base 2, in
  [0, 1]) between the reference and window proportions, the missing values counted as one more
  bin (so a change in the missing rate moves them too). PSI floors empty bins at ``1e-4``.
* A **test** of "the window comes from the reference distribution":

  - numbers: a Kolmogorov–Smirnov statistic evaluated at the reference's bin edges,
    ``D = max_e |F_ref(e) − F_win(e)|``, with the two-sample Kolmogorov p-value (effective size
    ``n·m/(n+m)``, Stephens' small-sample correction). The reference keeps only bin counts, so
    the exact two-sample D cannot be computed; D at the edges is never larger than it, so this
    p-value is conservative (a no-drift window is flagged at most at the nominal rate), while a
    location or scale shift still moves the CDF at the quantile edges, where the test keeps most
    of its power. This is sounder than a chi-square on numeric bins, which ignores the order of
    the bins and loses power on shifts.
  - categories: Pearson's chi-square test of homogeneity on the 2 × k table of reference and
    window counts (top categories + "other"; a category never seen in training counts as
    "other"), degrees of freedom from the categories present in either.
  - the missing rate, for every feature: a two-proportion z-test; the feature's p-value is the
    smaller of its distribution test's and this one's, Bonferroni-doubled.

Across features the p-values are corrected for multiple testing — Benjamini–Hochberg by
default (when nothing drifted, it keeps the chance of flagging any feature at ``alpha``; when
some did, it finds more of them than Holm), or Holm (family-wise error control) — so a window
of 25 features is not 25 chances of a false alarm. A feature has drifted when its adjusted
p-value is below ``alpha`` and its PSI reaches ``min_psi`` (0 by default; raise it so very
large windows do not flag negligible shifts). The dataset's drift share is the fraction of
features drifted; the verdict is ``drift`` when it reaches ``drift_share``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api import types
from scipy import special, stats

from executor.standalone.reference import REFERENCE_FORMAT, bin_numeric, numeric_values
from server.errors import DriftInputError

PSI_FLOOR = 1e-4
# Number columns binned together, and rows compared at once: bounds the block copied out of
# the window (rows × 64) and the temporary comparison (64 × edges × 8192 bytes, ~10 MB).
COLUMN_GROUP = 64
ROW_CHUNK = 8192
CORRECTIONS = ("bh", "holm")


@dataclass(frozen=True)
class DriftThresholds:
    """When a feature and a window count as drifted.

    Attributes:
        alpha: the significance level of the corrected per-feature tests.
        correction: ``bh`` (Benjamini–Hochberg) or ``holm``.
        drift_share: the fraction of drifted features from which the verdict is ``drift``.
        min_psi: the least PSI a feature needs besides a significant test to count as drifted.
    """

    alpha: float = 0.05
    correction: str = "bh"
    drift_share: float = 0.5
    min_psi: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise DriftInputError(f"alpha {self.alpha} is not in (0, 1); use e.g. 0.05")
        if self.correction not in CORRECTIONS:
            raise DriftInputError(
                f"correction {self.correction!r} is unknown; use one of {', '.join(CORRECTIONS)}"
            )
        if not 0 < self.drift_share <= 1:
            raise DriftInputError(
                f"drift_share {self.drift_share} is not in (0, 1]; use e.g. 0.5 (half the features)"
            )
        if not self.min_psi >= 0:
            raise DriftInputError(f"min_psi {self.min_psi} is negative; use 0 or e.g. 0.1")


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's statistics in one window."""

    name: str
    kind: str
    test: str  # "ks" (numbers) or "chi_square" (categories)
    statistic: float
    p_value: float  # of the distribution test and the missing-rate test together
    adjusted_p_value: float
    psi: float
    js_distance: float
    reference_missing_rate: float
    window_missing_rate: float
    drifted: bool


@dataclass(frozen=True)
class DriftReport:
    """A window's drift: per feature, and the dataset's share and verdict."""

    rows: int
    reference_rows: int
    features: list[FeatureDrift]
    drift_share: float
    verdict: str  # "drift" or "no_drift"
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)

    @property
    def drifted(self) -> list[str]:
        return [f.name for f in self.features if f.drifted]

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "reference_rows": self.reference_rows,
            "drift_share": self.drift_share,
            "verdict": self.verdict,
            "drifted_features": self.drifted,
            "thresholds": asdict(self.thresholds),
            "features": [asdict(f) for f in self.features],
        }


class Reference:
    """A reference profile prepared for comparison: its counts as padded matrices. Build it
    once per model version (``from_profile``) and compare any number of windows with it."""

    def __init__(self, profile: dict[str, Any]) -> None:
        if not isinstance(profile, dict) or profile.get("format") != REFERENCE_FORMAT:
            raise DriftInputError(
                f"the reference is not a profile in the format {REFERENCE_FORMAT!r}; "
                "load it with server.monitoring.reference.load_reference_profile"
            )
        features = profile["features"]
        if not features:
            raise DriftInputError("the reference profile has no features; re-run the build")
        self.rows = int(profile["rows"])
        self.names = list(features)
        self.kinds = [features[n]["kind"] for n in self.names]
        self.numeric = np.array([k == "numeric" for k in self.kinds])
        self.edges = [np.asarray(features[n].get("edges", []), dtype=float) for n in self.names]
        self.categories = [pd.Index(features[n].get("categories", [])) for n in self.names]
        widths = [len(features[n]["counts"]) for n in self.names]
        self.width = max(widths)
        self.counts = np.zeros((len(self.names), self.width))
        for row, name in enumerate(self.names):
            self.counts[row, : widths[row]] = features[name]["counts"]
        self.missing = np.array([features[n]["missing"] for n in self.names], dtype=float)

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> Reference:
        return cls(profile)


def compute_drift(
    reference: Reference | dict[str, Any],
    window: pd.DataFrame,
    thresholds: DriftThresholds | None = None,
) -> DriftReport:
    """The drift of ``window``'s rows against ``reference``.

    Raises:
        DriftInputError: the window has no rows or lacks some of the reference's features.
    """
    ref = reference if isinstance(reference, Reference) else Reference(reference)
    limits = thresholds or DriftThresholds()
    counts, missing = bin_window(ref, window)
    rows = len(window)
    psi, js = _distances(ref, counts, missing, rows)
    statistic, p_dist = _tests(ref, counts)
    p_value = _with_missing_test(p_dist, ref.missing, ref.rows, missing, rows)
    adjusted = adjust(p_value, limits.correction)
    drifted = (adjusted < limits.alpha) & (psi >= limits.min_psi)
    share = float(drifted.mean())
    features = [
        FeatureDrift(
            name=name,
            kind=ref.kinds[i],
            test="ks" if ref.numeric[i] else "chi_square",
            statistic=float(statistic[i]),
            p_value=float(p_value[i]),
            adjusted_p_value=float(adjusted[i]),
            psi=float(psi[i]),
            js_distance=float(js[i]),
            reference_missing_rate=float(ref.missing[i] / ref.rows) if ref.rows else 0.0,
            window_missing_rate=float(missing[i] / rows),
            drifted=bool(drifted[i]),
        )
        for i, name in enumerate(ref.names)
    ]
    verdict = "drift" if share >= limits.drift_share else "no_drift"
    return DriftReport(rows, ref.rows, features, share, verdict, limits)


def bin_window(ref: Reference, window: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The window's counts in the reference's bins (features × bins) and missing counts."""
    if len(window) == 0:
        raise DriftInputError(
            "the window has no rows; send at least one row (drift needs a window of inputs)"
        )
    absent = [name for name in ref.names if name not in window.columns]
    if absent:
        raise DriftInputError(
            f"the window lacks the feature column(s) {', '.join(map(repr, absent))}; "
            "send rows with every feature the model was trained on"
        )
    counts = np.zeros((len(ref.names), ref.width))
    missing = np.zeros(len(ref.names))
    plain = [i for i in np.flatnonzero(ref.numeric) if _plain_number(window[ref.names[i]])]
    for start in range(0, len(plain), COLUMN_GROUP):
        group = plain[start : start + COLUMN_GROUP]
        block = window[[ref.names[i] for i in group]].to_numpy(dtype=float, na_value=np.nan)
        binned, missing[group] = _bin_block(block, [ref.edges[i] for i in group])
        counts[group, : binned.shape[1]] = binned
    done = set(plain)
    for row, name in enumerate(ref.names):
        if row in done:
            continue
        series = window[name]
        if ref.numeric[row]:
            binned, missing[row] = bin_numeric(_as_numbers(series), ref.edges[row])
        else:
            binned, missing[row] = _bin_categories(series, ref.categories[row])
        counts[row, : binned.size] = binned
    return counts, missing


def _plain_number(series: pd.Series) -> bool:
    return types.is_numeric_dtype(series) and not types.is_bool_dtype(series)


def _bin_block(block: np.ndarray, edges: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Counts per bin for a block of number columns at once (the same left-closed bins as
    ``bin_numeric``: a bin holds the values at or above its lower edge and below the next).
    Counting the values below every edge is one vectorised comparison of the columns (each
    contiguous) against their edges, cheaper than a binary search per value; the bins are the
    differences of those counts."""
    sizes = np.array([e.size for e in edges])
    padded = np.full((len(edges), max(int(sizes.max()), 1)), np.inf)
    for column, column_edges in enumerate(edges):
        padded[column, : column_edges.size] = column_edges
    columns = np.ascontiguousarray(block.T)  # a DataFrame's numbers are column-major already
    present = np.count_nonzero(~np.isnan(columns), axis=1)
    below = np.zeros(padded.shape)
    for start in range(0, columns.shape[1], ROW_CHUNK):  # NaN compares False: never below
        chunk = columns[:, None, start : start + ROW_CHUNK] < padded[:, :, None]
        below += np.count_nonzero(chunk, axis=2)
    # past a column's last edge the count is all its values, so its padded bins come out empty
    below = np.where(np.arange(padded.shape[1]) < sizes[:, None], below, present[:, None])
    bounds = np.concatenate([np.zeros((len(edges), 1)), below, present[:, None]], axis=1)
    return np.diff(bounds, axis=1), block.shape[0] - present


def _as_numbers(series: pd.Series) -> np.ndarray:
    if types.is_numeric_dtype(series) or types.is_datetime64_any_dtype(series):
        if not types.is_bool_dtype(series):
            return numeric_values(series)
    # text where numbers were expected: what does not parse counts as missing, which the
    # missing-rate test then reports
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _bin_categories(series: pd.Series, categories: pd.Index) -> tuple[np.ndarray, int]:
    """Counts per reference category, the last one "other", and the number missing. The
    window's distinct values are counted first, then looked up, not each row."""
    values, per_value = _value_counts(series)
    absent = pd.isna(values)
    found = categories.get_indexer(values)
    unmatched = (found < 0) & ~absent
    if unmatched.any():  # e.g. numbers or booleans: categories are kept as their text
        found[unmatched] = categories.get_indexer(pd.Index(values[unmatched]).map(str))
    found = np.where(found < 0, len(categories), found)[~absent]
    counts = np.bincount(found, weights=per_value[~absent], minlength=len(categories) + 1)
    return counts, int(per_value[absent].sum())


def _value_counts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The column's distinct values (missing as one of them) and how often each occurs."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        counted = pc.value_counts(pa.array(series.array))  # Arrow's hash count: no copy
        values = np.asarray(counted.field("values").to_pylist(), dtype=object)
        return values, counted.field("counts").to_numpy()
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return np.asarray(uniques, dtype=object), np.bincount(codes, minlength=len(uniques))


def _proportions(counts: np.ndarray, missing: np.ndarray, rows: float) -> np.ndarray:
    """Per feature, the share of rows in each bin, missing values as a last bin."""
    with_missing = np.concatenate([counts, missing[:, None]], axis=1)
    return with_missing / max(rows, 1)


def _distances(
    ref: Reference, counts: np.ndarray, missing: np.ndarray, rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """PSI and Jensen–Shannon distance per feature (padded bins are empty on both sides and
    add nothing)."""
    expected = _proportions(ref.counts, ref.missing, ref.rows)
    actual = _proportions(counts, missing, rows)
    floor_e, floor_a = np.maximum(expected, PSI_FLOOR), np.maximum(actual, PSI_FLOOR)
    used = (expected > 0) | (actual > 0)
    psi = np.where(used, (floor_a - floor_e) * np.log(floor_a / floor_e), 0.0).sum(axis=1)
    middle = (expected + actual) / 2
    divergence = (special.rel_entr(expected, middle) + special.rel_entr(actual, middle)).sum(
        axis=1
    ) / (2 * math.log(2))
    return psi, np.sqrt(np.clip(divergence, 0.0, 1.0))


def _tests(ref: Reference, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distribution test's statistic and p-value per feature (KS or chi-square)."""
    statistic = np.zeros(len(ref.names))
    p_value = np.ones(len(ref.names))
    numeric, categorical = ref.numeric, ~ref.numeric
    if numeric.any():
        statistic[numeric], p_value[numeric] = _binned_ks(ref.counts[numeric], counts[numeric])
    if categorical.any():
        found = _chi_square(ref.counts[categorical], counts[categorical])
        statistic[categorical], p_value[categorical] = found
    return statistic, p_value


def _binned_ks(reference: np.ndarray, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The KS distance at the bin edges and its (conservative) two-sample p-value."""
    n, m = reference.sum(axis=1), window.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cdf_ref = np.cumsum(reference, axis=1) / n[:, None]
        cdf_win = np.cumsum(window, axis=1) / m[:, None]
        distance = np.nan_to_num(np.abs(cdf_ref - cdf_win)).max(axis=1)
        effective = np.sqrt(n * m / (n + m))
    effective = np.nan_to_num(effective)
    scaled = (effective + 0.12 + 0.11 / np.maximum(effective, 1e-12)) * distance
    p_value = np.where(effective > 0, stats.kstwobign.sf(scaled), 1.0)
    return distance, np.clip(p_value, 0.0, 1.0)


def _chi_square(reference: np.ndarray, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson's chi-square test of homogeneity, one 2 × k table per feature."""
    totals = reference + window
    n, m = reference.sum(axis=1), window.sum(axis=1)
    grand = n + m
    with np.errstate(invalid="ignore", divide="ignore"):
        expect_ref = totals * (n / grand)[:, None]
        expect_win = totals * (m / grand)[:, None]
        cells = (reference - expect_ref) ** 2 / expect_ref + (window - expect_win) ** 2 / expect_win
    statistic = np.where(totals > 0, cells, 0.0).sum(axis=1)
    dof = (totals > 0).sum(axis=1) - 1
    informative = (dof > 0) & (n > 0) & (m > 0)
    p_value = np.where(informative, stats.chi2.sf(statistic, np.maximum(dof, 1)), 1.0)
    return np.where(informative, statistic, 0.0), p_value


def _with_missing_test(
    p_dist: np.ndarray, ref_missing: np.ndarray, ref_rows: int, missing: np.ndarray, rows: int
) -> np.ndarray:
    """Each feature's p-value with its missing-rate test folded in (Bonferroni within the
    feature), where either side has missing values."""
    pooled = (ref_missing + missing) / (ref_rows + rows)
    informative = (pooled > 0) & (pooled < 1) & (ref_rows > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.sqrt(pooled * (1 - pooled) * (1 / max(ref_rows, 1) + 1 / rows))
        z = (missing / rows - ref_missing / max(ref_rows, 1)) / spread
    p_missing = np.where(informative, 2 * stats.norm.sf(np.abs(np.nan_to_num(z))), 1.0)
    both = np.minimum(1.0, 2 * np.minimum(p_dist, p_missing))
    return np.where(informative, both, p_dist)


def adjust(p_values: np.ndarray, correction: str = "bh") -> np.ndarray:
    """p-values adjusted for testing them all: Benjamini–Hochberg (``bh``) or Holm."""
    count = p_values.size
    order = np.argsort(p_values, kind="stable")
    ranked = p_values[order]
    ranks = np.arange(1, count + 1)
    if correction == "holm":
        stepped = np.maximum.accumulate(np.minimum(1.0, (count - ranks + 1) * ranked))
    else:
        stepped = np.minimum.accumulate((count / ranks * ranked)[::-1])[::-1]
    adjusted = np.empty(count)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted
