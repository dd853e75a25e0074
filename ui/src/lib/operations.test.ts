import { describe, expect, it } from "vitest";
import type { AliasHistoryChange, PromotionDecision, Trigger, TriggerFiring } from "../api";
import { aliasOrder, informedBy, mergeFirings, mergePeriods, servedPeriods, triggerName, whyChanged } from "./operations";

const trigger = (id: string, kind: Trigger["kind"], extra: Partial<Trigger> = {}): Trigger => ({
  id,
  iri: `https://w3id.org/ontolab/id/trigger/${id}`,
  kind,
  experiment: "e",
  created: "2026-12-01T00:00:00+00:00",
  ...extra,
});

const firing = (id: string, triggerId: string, time: string): TriggerFiring => ({
  id,
  trigger: triggerId,
  experiment: "e",
  time,
  outcome: "started",
  detail: "",
  run_id: `run-${id}`,
  in_flight_run: null,
  observed_value: null,
  scheduled_for: null,
  dataset_version: null,
  deployment: null,
  window_end: null,
  evaluation: null,
});

const change = (time: string, version: number | null, extra: Partial<AliasHistoryChange> = {}): AliasHistoryChange => ({
  iri: `https://w3id.org/ontolab/id/model/m/change/${time}`,
  time,
  kind: "move",
  cause: "manual",
  version,
  previous: null,
  agent: null,
  informed_by: null,
  ...extra,
});

describe("aliasOrder", () => {
  it("puts champion and challenger first, then the rest by name, the deployment's too", () => {
    expect(aliasOrder({ staging: 1, challenger: 2, champion: 1 }, ["canary", null])).toEqual([
      "champion",
      "challenger",
      "canary",
      "staging",
    ]);
    expect(aliasOrder({})).toEqual([]);
  });
});

describe("mergeFirings", () => {
  it("merges every trigger's firings newest first, names what fired, and keeps the limit", () => {
    const drift = trigger("d", "drift", { threshold: 0.2 });
    const merged = mergeFirings(
      [drift],
      [
        [firing("b", "d", "2026-12-02T10:00:00Z"), firing("a", "d", "2026-12-01T10:00:00Z")],
        [firing("c", "gone", "2026-12-01T12:00:00Z")],
      ],
      2,
    );
    expect(merged.map((f) => f.id)).toEqual(["b", "c"]);
    expect(merged[0].fired_by).toBe(drift);
    expect(merged[1].fired_by).toBeNull();
  });
});

describe("triggerName", () => {
  it("says the kind, its setting and the label", () => {
    expect(triggerName(trigger("d", "drift", { threshold: 0.2, label: "inputs" }), "d")).toBe("drift (share ≥ 0.2) “inputs”");
    expect(triggerName(trigger("n", "new_data", { dataset: "sales" }), "n")).toBe("new data of sales");
    expect(triggerName(trigger("m", "manual"), "m")).toBe("manual");
    expect(triggerName(null, "x1")).toBe("trigger x1 (removed)");
  });
});

describe("servedPeriods", () => {
  it("ends each change where the next (newer) one begins; the newest is in force", () => {
    const periods = servedPeriods("champion", [change("2026-12-03T00:00:00Z", 1), change("2026-12-02T00:00:00Z", 2)]);
    expect(periods.map((p) => [p.version, p.until])).toEqual([
      [1, null],
      [2, "2026-12-03T00:00:00Z"],
    ]);
    const merged = mergePeriods([periods, servedPeriods("challenger", [change("2026-12-02T12:00:00Z", 3)])]);
    expect(merged.map((p) => `${p.alias}:${p.version}`)).toEqual(["champion:1", "challenger:3", "champion:2"]);
  });
});

describe("whyChanged", () => {
  const decision: PromotionDecision = {
    iri: "https://w3id.org/ontolab/id/model/m/decision/1",
    time: "2026-12-02T00:00:00Z",
    version: 2,
    outcome: "promoted",
    reason: "its accuracy 0.98 beats 0.95",
    metric: "accuracy",
    challenger_value: 0.98,
    champion: 1,
    champion_value: 0.95,
    informed_by: null,
  };
  it("gives the decision's reason when a decision made the change", () => {
    const made = change("2026-12-02T00:00:00Z", 2, { cause: "gate", informed_by: decision.iri });
    expect(whyChanged(made, [decision])).toBe("promotion gate, v2 promoted: its accuracy 0.98 beats 0.95");
  });
  it("says who rolled back or set it by hand, and what informed it", () => {
    const agent = "https://w3id.org/ontolab/id/agent/platform";
    expect(whyChanged(change("t", 1, { cause: "rollback", agent }), [])).toBe("rolled back by platform");
    const fired = change("t", 1, { cause: "trigger", informed_by: "https://x/trigger/t1/firing/ab12" });
    expect(whyChanged(fired, [])).toBe("by a trigger, informed by trigger firing ab12");
    expect(informedBy(null)).toBeNull();
  });
});
