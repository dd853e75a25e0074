// Operations-panel logic: trigger firings merged, which version an alias served when, and why.

import type { AliasHistoryChange, PromotionDecision, Trigger, TriggerFiring } from "../api/types";

/** The aliases to show, champion and challenger first, then the rest by name. */
export function aliasOrder(aliases: Record<string, number>, also: (string | null)[] = []): string[] {
  const first = ["champion", "challenger"];
  const names = new Set([...Object.keys(aliases), ...also.filter((a): a is string => !!a)]);
  const rest = [...names].filter((n) => !first.includes(n)).sort();
  return [...first.filter((n) => names.has(n)), ...rest];
}

export interface FiringRow extends TriggerFiring {
  /** The trigger that fired (null when it is no longer in force). */
  fired_by: Trigger | null;
}

/** Every trigger's firings as one list, newest first, at most `limit`. */
export function mergeFirings(triggers: readonly Trigger[], firings: readonly TriggerFiring[][], limit: number): FiringRow[] {
  const byId = new Map(triggers.map((t) => [t.id, t]));
  return firings
    .flat()
    .map((f) => ({ ...f, fired_by: byId.get(f.trigger) ?? null }))
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || b.id.localeCompare(a.id))
    .slice(0, limit);
}

/** What fired, for people: `drift (share ≥ 0.2) "label"`. */
export function triggerName(trigger: Trigger | null, id: string): string {
  if (trigger === null) return `trigger ${id} (removed)`;
  const setting =
    trigger.kind === "schedule"
      ? ` ${trigger.cron ?? ""}`
      : trigger.kind === "new_data"
        ? ` of ${trigger.dataset ?? "?"}`
        : trigger.kind === "drift"
          ? ` (share ≥ ${trigger.threshold})`
          : trigger.kind === "performance"
            ? ` (${trigger.metric} ${trigger.direction} ${trigger.threshold})`
            : "";
  return `${trigger.kind.replace("_", " ")}${setting}${trigger.label ? ` “${trigger.label}”` : ""}`;
}

export interface ServedPeriod extends AliasHistoryChange {
  alias: string;
  /** When the next change of the alias ended this one; null: it is in force. */
  until: string | null;
}

/** An alias's changes (newest first, as the API sends them) as the periods each version
 * served: a change lasts until the next (newer) one. */
export function servedPeriods(alias: string, changes: readonly AliasHistoryChange[]): ServedPeriod[] {
  return changes.map((change, i) => ({ ...change, alias, until: i === 0 ? null : changes[i - 1].time }));
}

/** Several aliases' periods as one list, newest change first. */
export function mergePeriods(periods: readonly ServedPeriod[][]): ServedPeriod[] {
  return periods.flat().sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || a.alias.localeCompare(b.alias));
}

/** The last path segment of an IRI (a firing's id, an agent's name). */
export function localName(iri: string): string {
  return iri.replace(/[/#]+$/, "").split(/[/#]/).pop() ?? iri;
}

/** What informed an activity, for people: a trigger firing (with its id), a decision, or an IRI. */
export function informedBy(iri: string | null): string | null {
  if (!iri) return null;
  if (iri.includes("/firing/")) return `trigger firing ${localName(iri)}`;
  if (iri.includes("/decision/")) return "a promotion decision";
  return iri;
}

/** Why an alias changed: its cause, and the decision's outcome and reason when one made it. */
export function whyChanged(change: AliasHistoryChange, decisions: readonly PromotionDecision[]): string {
  const decision = decisions.find((d) => d.iri === change.informed_by);
  if (decision) return `promotion gate, v${decision.version} ${decision.outcome}: ${decision.reason}`;
  const by = change.agent ? ` by ${localName(change.agent)}` : "";
  const what: Record<string, string> = {
    manual: `set by hand${by}`,
    rollback: `rolled back${by}`,
    gate: "by the promotion gate",
    trigger: "by a trigger",
    import: "imported",
  };
  const informed = informedBy(change.informed_by);
  return `${what[change.cause] ?? change.cause}${informed ? `, informed by ${informed}` : ""}`;
}
