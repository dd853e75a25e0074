"""The promotion policy: a new model version challenges the champion.

``challenge`` makes the version the ``challenger`` (the alias moves to it), then judges it:

1. it must have passed its validation thresholds (the registry's promotion gate);
2. it must have been measured on the same held-out data as the champion: the checksums of
   what the validate steps that evaluated each used besides the model (their test split) must
   be equal. When they differ the challenger is refused with both checksums: the platform does
   not score the champion itself (that would load and run a model inside the platform and
   re-implement the validate step); validate both on the same split, e.g. in one run, or
   promote by hand;
3. it must beat the champion on the experiment's primary metric (accuracy for classification,
   r2 for regression; higher is better unless the ontology marks the measure otherwise).

Passing all three moves ``champion`` to it (through the gate again, under the registry's lock,
so a champion that changed meanwhile is compared too) and every deployment following the
champion switches (``server.serving.switching``, told by the registry). Otherwise it stays
challenger. Either way the decision is an ``ol:PromotionDecision`` in the model's history with
the figures compared, informed by the trigger firing when one is given; the alias changes it
made are informed by the decision. A version that is champion already is refused as a request
(RegistryError) and nothing is recorded.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from server.errors import PromotionRefused, RegistryError
from server.graph.clock import utc_now
from server.graph.namespaces import PLATFORM_AGENT
from server.registry.history import Cause, Decision, activity_iri
from server.registry.model import AliasChange, ModelVersion, number
from server.registry.service import Registry

CHAMPION = "champion"
CHALLENGER = "challenger"


def challenge(
    registry: Registry,
    name: str,
    version: int,
    *,
    informed_by: str | None = None,
    agent: str | None = None,
) -> dict[str, Any]:
    """Make ``version`` of ``name`` the challenger and promote it if it beats the champion.

    ``informed_by``: the IRI of what asked (a trigger firing), recorded as the decision's
    ``prov:wasInformedBy``; ``agent``: who asked (the platform when not known). Returns the
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
    decision, promoted = _judge(registry, base, candidate, champion, cause)
    registry.record_decision(decision)
    return {
        **decision.to_json(),
        "challenger_change": challenger.to_json(),
        "champion_change": promoted.to_json() if promoted else None,
    }


def _judge(
    registry: Registry,
    decision: Decision,
    candidate: ModelVersion,
    champion: ModelVersion | None,
    cause: Cause,
) -> tuple[Decision, AliasChange | None]:
    """The decision, and the champion change when promoted."""
    if champion is not None and candidate.passed:
        theirs = registry.held_out(decision.model, champion.number)
        if decision.held_out != theirs:
            return _refused(decision, _different_data(decision, champion, theirs)), None
    try:
        change = registry.set_alias(
            decision.model, CHAMPION, candidate.number, must_beat_current=True, cause=cause
        )
    except PromotionRefused as exc:
        return _refused(decision, str(exc), exc.compared), None
    return _promoted(decision, change), change


def _promoted(decision: Decision, change: AliasChange) -> Decision:
    if decision.champion is None:
        why = f"there was no champion; it passed validation ({_figure(decision)})"
    else:
        why = (
            f"its {decision.metric} {number(decision.challenger_value)} beats "
            f"{number(decision.champion_value)} of champion version {decision.champion} on the "
            "same held-out data"
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
        "on the same test split (one run, or the same split re-used), or promote by hand"
    )


def _shas(values: tuple[str, ...]) -> str:
    return ", ".join(sha[:12] for sha in values) or "none"


def _figure(decision: Decision) -> str:
    return f"{decision.metric} {number(decision.challenger_value)}"
