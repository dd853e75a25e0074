"""The promotion policy: a new model version challenges the champion.

``challenge`` makes the version the ``challenger`` (the alias moves to it), then judges it:

1. it must have passed its validation thresholds (the registry's promotion gate);
2. it is compared with the champion on the same held-out data: the challenger's test split
   (the checksums of what the validate steps that evaluated each used besides the model). When
   the champion was validated on other data (a retrain on a new dataset version), the champion
   is scored on the challenger's split first (``scoring.ChampionScorer``: the validate phase
   in a step process, same metrics) and that figure is the one to beat; the scoring is
   recorded and linked from the decision. Without a scorer such a challenger is refused with
   both checksums;
3. it must beat the champion on the experiment's primary metric (accuracy for classification,
   r2 for regression; higher is better unless the ontology marks the measure otherwise).

Passing all three moves ``champion`` to it (through the gate again, under the registry's lock,
so a champion that changed meanwhile is compared too) and every deployment following the
champion switches (``server.serving.switching``, told by the registry). Otherwise it stays
challenger. Either way the decision is an ``ol:PromotionDecision`` in the model's history with
the figures compared, informed by the trigger firing when one is given; the alias changes it
made are informed by the decision. A version that is champion already is refused as a request
(RegistryError) and nothing is recorded.

``challenge_run`` is the trigger service's ``on_run_finished`` callback (the platform wires
it): every model version a run started by a firing registered challenges the champion,
informed by that firing.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from server.automation import scoring
from server.automation.firings import Firing, firing_iri
from server.automation.scoring import ChampionScorer
from server.automation.triggers import trigger_iri
from server.errors import OntolabError, PromotionRefused, RegistryError
from server.graph.clock import utc_now
from server.graph.namespaces import PLATFORM_AGENT
from server.registry.candidates import candidates
from server.registry.history import Cause, Decision, activity_iri
from server.registry.model import AliasChange, ModelEntry, ModelVersion, number
from server.registry.service import Registry
from server.tracking.records import RunRecord

log = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"


def challenge(
    registry: Registry,
    name: str,
    version: int,
    *,
    informed_by: str | None = None,
    agent: str | None = None,
    scorer: ChampionScorer | None = None,
) -> dict[str, Any]:
    """Make ``version`` of ``name`` the challenger and promote it if it beats the champion.

    ``informed_by``: the IRI of what asked (a trigger firing), recorded as the decision's
    ``prov:wasInformedBy``; ``agent``: who asked (the platform when not known); ``scorer``
    scores the champion on the challenger's held-out data when theirs differ. Returns the
    decision (``outcome`` promoted or refused, ``reason``, figures) with the alias changes
    and the deployments switched.
    """
    entry = registry.model(name)
    candidate = entry.version(version)
    holder = entry.aliases.get(CHAMPION)
    if holder is not None and holder.version == candidate.number:
        raise RegistryError(
            f"version {version} of {name!r} is the champion already; challenge it with a newer "
            "version"
        )
    node = str(activity_iri(name, "decision"))
    who = agent or str(PLATFORM_AGENT)
    cause = Cause("gate", node, who)
    challenger = registry.set_alias(name, CHALLENGER, candidate.number, cause=cause)
    champion = entry.version(holder.version) if holder is not None else None
    held = registry.held_out(name, candidate.number)
    base = Decision(
        model=name,
        version=candidate.number,
        outcome="refused",
        reason="",
        metric=candidate.primary_metric,
        challenger_value=candidate.primary_value,
        champion=champion.number if champion else None,
        champion_value=champion.primary_value if champion else None,
        held_out=held,
        informed_by=informed_by,
        agent=who,
        time=utc_now(),
        iri=node,
    )
    rescored: dict[int, float] = {}
    try:
        base = _rescore(registry, scorer, base, entry, candidate, champion, rescored)
        change = registry.set_alias(
            name, CHAMPION, candidate.number, must_beat_current=True, cause=cause, rescored=rescored
        )
    except PromotionRefused as exc:
        decision, promoted = _refused(base, str(exc), exc.compared), None
    else:
        decision, promoted = _promoted(base, change), change
    registry.record_decision(decision)
    return {
        **decision.to_json(),
        "challenger_change": challenger.to_json(),
        "champion_change": promoted.to_json() if promoted else None,
    }


def challenge_run(
    registry: Registry, scorer: ChampionScorer | None, firing: Firing, record: RunRecord
) -> list[dict[str, Any]]:
    """``TriggerService.on_run_finished`` callback: every version the run registered challenges
    the champion, informed by ``firing``; the decisions. A version that cannot challenge (it
    is champion already: the run built the same bytes again) is logged and skipped."""
    informed_by = str(firing_iri(trigger_iri(firing.trigger_id), firing.id))
    decisions = []
    for version in _registered(registry, record):
        try:
            decision = challenge(
                registry, version.name, version.number, informed_by=informed_by, scorer=scorer
            )
        except OntolabError as exc:
            log.info(
                "run %s: %s version %d did not challenge: %s",
                record.run_id,
                version.name,
                version.number,
                exc,
            )
            continue
        log.info("run %s of firing %s: %s", record.run_id, firing.id, decision["reason"])
        decisions.append(decision)
    return decisions


def _registered(registry: Registry, record: RunRecord) -> list[ModelVersion]:
    """The versions standing for the models the run built (none unless it succeeded)."""
    found = []
    for built in candidates(record):
        entry = registry.model(built.name)
        found += [v for v in entry.versions if v.sha256 == built.sha256][:1]
    return found


def _rescore(
    registry: Registry,
    scorer: ChampionScorer | None,
    decision: Decision,
    entry: ModelEntry,
    candidate: ModelVersion,
    champion: ModelVersion | None,
    rescored: dict[int, float],
) -> Decision:
    """The decision with the champion's figure on the challenger's held-out data when the two
    were validated on different data (``rescored`` gets it for the gate); PromotionRefused
    when that figure cannot be had."""
    if champion is None or not candidate.passed:
        return decision
    theirs = registry.held_out(decision.model, champion.number)
    if decision.held_out == theirs:
        return decision
    if scorer is None:
        raise PromotionRefused(_different_data(decision, champion, theirs))
    score = scorer.score(champion, entry.task, decision.held_out)
    registry.record_activity(decision.model, scoring.triples(score, champion))
    value = score.metrics.get(decision.metric or "")
    if value is None:
        raise PromotionRefused(
            f"champion version {champion.number} of {decision.model!r} has no "
            f"{decision.metric} on the challenger's held-out data (scored: "
            f"{', '.join(sorted(score.metrics)) or 'nothing'}); promote by hand"
        )
    rescored[champion.number] = value
    return replace(decision, champion_value=value, champion_scoring=score.iri)


def _promoted(decision: Decision, change: AliasChange) -> Decision:
    if decision.champion is None:
        why = f"there was no champion; it passed validation ({_figure(decision)})"
    else:
        scored = " (the champion scored on it again)" if decision.champion_scoring else ""
        why = (
            f"its {decision.metric} {number(decision.challenger_value)} beats "
            f"{number(decision.champion_value)} of champion version {decision.champion} on the "
            f"same held-out data{scored}"
        )
    reason = f"version {decision.version} of {decision.model!r} became champion: {why}"
    return _with(decision, outcome="promoted", reason=reason, compared=change.compared)


def _refused(decision: Decision, reason: str, compared: dict[str, Any] | None = None) -> Decision:
    return _with(decision, outcome="refused", reason=reason, compared=compared)


def _with(decision: Decision, **changes: Any) -> Decision:
    compared = changes.pop("compared", None) or {}
    current = compared.get("current") or {}
    if current.get("value") is not None:
        changes["champion_value"] = current["value"]
    return replace(decision, **changes)


def _different_data(decision: Decision, champion: ModelVersion, theirs: tuple[str, ...]) -> str:
    return (
        f"version {decision.version} of {decision.model!r} cannot be compared with champion "
        f"version {champion.number}: they were validated on different held-out data "
        f"(challenger {_shas(decision.held_out)}, champion {_shas(theirs)}); validate both "
        "on the same test split (one run, or the same split re-used), let the platform score "
        "the champion on the challenger's split, or promote by hand"
    )


def _shas(values: tuple[str, ...]) -> str:
    return ", ".join(sha[:12] for sha in values) or "none"


def _figure(decision: Decision) -> str:
    return f"{decision.metric} {number(decision.challenger_value)}"
