import { describe, expect, it } from "vitest";
import {
  bestPerMetric,
  formatValue,
  isBest,
  parallelData,
  paramsToShow,
  metricAxis,
  overTime,
  stepCurves,
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

describe("charts and the parameter diff", () => {
  const compared = (params: Record<string, unknown>[], defaults: Record<string, unknown>) => ({
    runs: params.map((p, i) => ({ ...run(`r${i}`, {}, p), trials: [] })),
    metrics: [],
    params: ["build.C", "build.max_iter", "build.solver", "build.tol"],
    differing_params: ["build.C"],
    best: {},
    best_trials: {},
    param_defaults: defaults,
  });
  it("keeps params that differ between runs or from the estimator's default", () => {
    const c = compared(
      [
        { "build.C": 1, "build.max_iter": 500, "build.solver": "lbfgs", "build.tol": 0.0001 },
        { "build.C": 0.1, "build.max_iter": 500, "build.solver": "lbfgs", "build.tol": 0.0001 },
      ],
      { "build.C": 1.0, "build.max_iter": 100, "build.solver": "lbfgs", "build.tol": 0.0001 },
    );
    expect(paramsToShow(c, true)).toEqual(["build.C", "build.max_iter"]);
    expect(paramsToShow(c, false)).toHaveLength(4);
  });
  it("starts value axes at zero, scores on [0, 1]", () => {
    expect(metricAxis("validate.accuracy", [0.975, 0.99])).toEqual({ min: 0, max: 1, scale: false });
    expect(metricAxis("validate.rmse", [12, 14])).toEqual({ min: 0, scale: false });
    expect(metricAxis("validate.r2", [-0.5, 0.4])).toEqual({ scale: true });
  });
  it("orders a metric over time and draws curves for metrics logged per step", () => {
    const series = overTime([run("b", { acc: 0.8 }, {}, "2026-01-02T00:00:00Z"), run("a", { acc: 0.7 }, {}, "2026-01-01T00:00:00Z"), run("c", {})], "acc");
    expect(series.map((p) => p[2])).toEqual(["a", "b"]);
    const curves = stepCurves({
      a: { loss: [{ step: 1, value: 2 }, { step: 0, value: 3 }], once: [{ step: 0, value: 1 }] },
      b: { loss: [{ step: 0, value: 4 }] },
    });
    expect(curves).toEqual({ loss: { a: [[0, 3], [1, 2]], b: [[0, 4]] } });
  });
});
