import { describe, expect, it } from "vitest";
import type { Trial } from "../api";
import { scoreOverTrials } from "./trials";

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
