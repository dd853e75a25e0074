import { describe, expect, it } from "vitest";
import {
  bestPerMetric,
  formatValue,
  isBest,
  parallelData,
  paramsToShow,
} from "./compare";
import type { Comparison, RunSummary } from "../api/types";

function run(id: string, metrics: Record<string, number>, params: Record<string, unknown> = {}, started = id): RunSummary {
  return { run_id: id, experiment: "iris", version: 1, status: "succeeded", started, metrics, params };
}

const runs = [
  run("a", { "validate.accuracy": 0.9, "validate.rmse": 3 }, { "build.C": 1, "build.solver": "lbfgs" }),
  run("b", { "validate.accuracy": 0.95, "validate.rmse": 2 }, { "build.C": 10, "build.solver": "lbfgs" }),
  run("c", { "validate.accuracy": 0.95 }, { "build.C": 0.1, "build.solver": "lbfgs" }),
];

describe("best values", () => {
  it("reads the server's best marks", () => {
    const best = { "validate.accuracy": ["b", "c"] };
    expect(isBest(best, "validate.accuracy", "b")).toBe(true);
    expect(isBest(best, "validate.accuracy", "a")).toBe(false);
    expect(isBest(best, "validate.f1", "a")).toBe(false);
  });
  it("computes them, ties included, lower-is-better for errors", () => {
    expect(bestPerMetric(runs, ["validate.accuracy", "validate.rmse", "validate.f1"])).toEqual({
      "validate.accuracy": ["b", "c"],
      "validate.rmse": ["b"],
    });
  });
});

describe("table helpers", () => {
  const comparison: Comparison = {
    runs: runs.map((r) => ({ ...r, trials: [] })),
    metrics: ["validate.accuracy", "validate.rmse"],
    params: ["build.C", "build.solver"],
    differing_params: ["build.C"],
    best: {},
    best_trials: {},
  };
  it("shows only differing params on request", () => {
    expect(paramsToShow(comparison, true)).toEqual(["build.C"]);
    expect(paramsToShow(comparison, false)).toEqual(["build.C", "build.solver"]);
  });
  it("formats values", () => {
    expect(formatValue(0.912345)).toBe("0.9123");
    expect(formatValue(3)).toBe("3");
    expect(formatValue(null)).toBe("—");
    expect(formatValue([1, 2])).toBe("[1,2]");
  });
  it("builds parallel coordinates over numeric params and metrics", () => {
    const { dims, lines } = parallelData(comparison, ["build.C", "build.solver"]);
    expect(dims.map((d) => d.name)).toEqual(["build.C", "validate.accuracy", "validate.rmse"]);
    expect(lines[2]).toEqual({ run: "c", values: [0.1, 0.95, null] });
  });
});
