import { describe, expect, it } from "vitest";
import type { Trial } from "../api";
import { bestTrialColumns, isBestTrial, scoreOverTrials, trialParamNames } from "./trials";

const trial = (number: number, mean_score: number | undefined, status: "succeeded" | "failed" = "succeeded"): Trial => ({
  step_id: "build",
  number,
  mean_score,
  status,
  best: false,
  params: {},
  fold_scores: [],
});

describe("scoreOverTrials", () => {
  it("keeps the best score so far, in trial order, past failed trials", () => {
    const points = scoreOverTrials([trial(2, 0.91), trial(0, 0.9), trial(1, 0.85), trial(3, undefined, "failed"), trial(4, 0.95)]);
    expect(points.get("build")).toEqual([
      { number: 0, score: 0.9, best: 0.9 },
      { number: 1, score: 0.85, best: 0.9 },
      { number: 2, score: 0.91, best: 0.91 },
      { number: 3, score: undefined, best: 0.91 },
      { number: 4, score: 0.95, best: 0.95 },
    ]);
  });
  it("keeps each step apart", () => {
    const other = { ...trial(0, 0.5), step_id: "automl2" };
    expect([...scoreOverTrials([trial(0, 0.9), other]).keys()]).toEqual(["build", "automl2"]);
  });
});

describe("bestTrialColumns", () => {
  const scored = (number: number, score: number, extra: Partial<Trial> = {}): Trial => ({
    ...trial(number, score),
    scoring: "accuracy",
    ...extra,
  });
  const runs = [
    { run_id: "a", trials: [scored(0, 0.9), scored(1, 0.96, { best: true, params: { C: 1 } })] },
    { run_id: "b", trials: [scored(0, 0.93, { params: { max_depth: 3 } }), scored(1, 0.97, { status: "failed" }), scored(2, 0.91)] },
    { run_id: "c", trials: [] },
    { run_id: "d", trials: [scored(0, 0.8, { best: true }), { ...scored(0, 0.7, { best: true }), step_id: "second" }] },
  ];

  it("puts each step's chosen trial, else its top finished one, side by side", () => {
    const columns = bestTrialColumns(runs);
    expect(columns.map((c) => [c.run_id, c.step_id, c.trial.number, c.chosen, c.count])).toEqual([
      ["a", "build", 1, true, 2],
      ["b", "build", 0, false, 3],
      ["d", "build", 0, true, 1],
      ["d", "second", 0, true, 1],
    ]);
    expect(trialParamNames(columns)).toEqual(["C", "max_depth"]);
  });
  it("marks a winner only where the server named its run and the trial was chosen", () => {
    const [a, b] = bestTrialColumns(runs);
    expect(isBestTrial({ accuracy: ["a"] }, a)).toBe(true);
    expect(isBestTrial({ accuracy: ["b"] }, b)).toBe(false);
    expect(isBestTrial({ r2: ["a"] }, a)).toBe(false);
  });
});
