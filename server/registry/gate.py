"""The promotion gate: whether a version may hold an alias.

A version passes when it met its validation thresholds and, with ``must_beat_current``, when
its primary metric beats the alias's current version (higher is better unless the ontology
marks the measure otherwise). ``rescored`` gives, by version, a current holder's figure
measured again on the candidate's held-out data (``server.automation.scoring``): that figure is
the one to beat. Pure: it reads the entry it is given and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from server.errors import PromotionRefused
from server.registry.model import ModelEntry, ModelVersion, number, numbers


def check_promotion(
    entry: ModelEntry,
    candidate: ModelVersion,
    alias: str,
    must_beat_current: bool,
    rescored: Mapping[int, float] | None = None,
) -> dict[str, Any]:
    """Raise PromotionRefused unless ``candidate`` may hold ``alias``; return the comparison."""
    target = f"version {candidate.number} of {entry.name!r} cannot become {alias!r}"
    if not candidate.passed:
        passing = [v for v in entry.versions if v.passed]
        raise PromotionRefused(
            f"{target}: it did not pass its validation thresholds ({candidate.note}); promote "
            f"a version that passed ({numbers(passing) if passing else 'none yet'}) or run the "
            "experiment with a validate step (ol:ModelValidation) consuming the model",
            compared={"version": candidate.number, "passed_validation": False},
        )
    holder = entry.aliases.get(alias)
    compared: dict[str, Any] = {"metric": candidate.primary_metric, "candidate": _side(candidate)}
    if not must_beat_current or holder is None or holder.version == candidate.number:
        compared["current"] = _side(entry.version(holder.version)) if holder else None
        return compared
    current = entry.version(holder.version)
    if rescored and holder.version in rescored:  # measured on the candidate's data
        current = replace(current, primary_value=rescored[holder.version])
        compared["rescored"] = True
    compared["current"] = _side(current)
    higher = candidate.higher_is_better is not False
    compared["higher_is_better"] = higher
    if current.primary_value is None:
        return compared  # nothing to beat
    if candidate.primary_metric != current.primary_metric or candidate.primary_value is None:
        raise PromotionRefused(
            f"{target}: its primary metric ({candidate.primary_metric} "
            f"{number(candidate.primary_value)}) cannot be compared with the current {alias} "
            f"version {current.number} ({current.primary_metric} "
            f"{number(current.primary_value)}); promote without must_beat_current",
            compared=compared,
        )
    beats = (
        candidate.primary_value > current.primary_value
        if higher
        else candidate.primary_value < current.primary_value
    )
    if not beats:
        raise PromotionRefused(
            f"{target}: its {candidate.primary_metric} {number(candidate.primary_value)} does "
            f"not beat {number(current.primary_value)} of the current {alias} (version "
            f"{current.number}; {'higher' if higher else 'lower'} is better); promote a better "
            "version, or promote without must_beat_current to replace it anyway",
            compared=compared,
        )
    return compared


def _side(version: ModelVersion) -> dict[str, Any]:
    return {"version": version.number, "value": version.primary_value}
