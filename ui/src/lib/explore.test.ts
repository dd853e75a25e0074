import { describe, expect, it } from "vitest";
import { hasExploreStep } from "./explore";

describe("hasExploreStep", () => {
  it("is true only for a run whose steps include an explore step", () => {
    expect(hasExploreStep([{ phase: "extract" }, { phase: "explore" }, { phase: "build" }])).toBe(true);
    expect(hasExploreStep([{ phase: "extract" }, { phase: "process" }, { phase: "build" }])).toBe(false);
    expect(hasExploreStep([])).toBe(false);
  });
});
