import { describe, expect, it } from "vitest";
import { waves } from "./waves";

const step = (step_id: string, depends_on: string[] = []) => ({ step_id, depends_on });

describe("waves", () => {
  it("puts each step one column right of the last step it waits for", () => {
    const steps = [
      step("validate", ["build", "extract", "process"]),
      step("build", ["process"]),
      step("explore", ["extract"]),
      step("process", ["extract"]),
      step("extract"),
    ];
    expect(waves(steps)).toEqual([["extract"], ["explore", "process"], ["build"], ["validate"]]);
  });

  it("ignores a dependency on a step the run does not have and survives a cycle", () => {
    expect(waves([step("a", ["ghost"]), step("b", ["a"])])).toEqual([["a"], ["b"]]);
    expect(waves([step("a", ["b"]), step("b", ["a"])]).flat().sort()).toEqual(["a", "b"]);
  });
});
