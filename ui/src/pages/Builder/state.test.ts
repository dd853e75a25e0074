import { describe, expect, it } from "vitest";
import { emptyState, isDirty, reducer, type BuilderState } from "./state";

function loaded(): BuilderState {
  return reducer(emptyState("classification"), {
    type: "load",
    experiment: { id: "iris", label: "", task: "classification" },
    nodes: [
      { id: "n1", data: { stepId: "extract", stepType: "DataExtraction", params: {}, hyperParameters: [], searchSpace: [], thresholds: [], resources: {} } },
      { id: "n2", data: { stepId: "process", stepType: "DataProcessing", params: {}, hyperParameters: [], searchSpace: [], thresholds: [], resources: {} } },
    ],
    edges: [{ source: "n1", target: "n2" }],
    base: { identifier: "iris", version: 1 },
  });
}

describe("the builder's reducer", () => {
  it("tells unsaved changes from what was loaded or saved; moving a node is no change", () => {
    let s = loaded();
    expect(isDirty(s)).toBe(false);
    expect(s.nodes[1].position.x).toBeGreaterThan(s.nodes[0].position.x); // laid out in layers
    s = reducer(s, { type: "nodeChanges", changes: [{ type: "position", id: "n1", position: { x: 500, y: 9 } }] });
    expect(isDirty(s)).toBe(false);
    s = reducer(s, { type: "update", id: "n2", change: { params: { test_size: 0.3 } } });
    expect(isDirty(s)).toBe(true);
    s = reducer(s, { type: "saved", base: { identifier: "iris", version: 2 } });
    expect(isDirty(s)).toBe(false);
    expect(s.base).toEqual({ identifier: "iris", version: 2 });
  });

  it("refuses an edge that closes a cycle, naming it, and adds steps with fresh ids", () => {
    let s = reducer(loaded(), { type: "connect", source: "n2", target: "n1" });
    expect(s.edges).toHaveLength(1);
    expect(s.notice).toMatch(/process → extract would make a cycle/);
    s = reducer(s, { type: "addStep", stepType: "DataProcessing", idBase: "process" });
    expect(s.nodes.map((n) => n.data.stepId)).toEqual(["extract", "process", "process_2"]);
    expect(s.selectedId).toBe(s.nodes[2].id);
    s = reducer(s, { type: "remove", id: "n1" });
    expect(s.edges).toHaveLength(0);
  });
});
