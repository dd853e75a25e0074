import type { Trial } from "../api";

/** Per step, its trials in number order with the best mean score so far (failed trials keep
 * the best before them), for a score-over-trials chart. */
export function scoreOverTrials(trials: Trial[]): Map<string, { number: number; score?: number; best?: number }[]> {
  const bySteps = new Map<string, { number: number; score?: number; best?: number }[]>();
  for (const trial of [...trials].sort((a, b) => a.number - b.number)) {
    const points = bySteps.get(trial.step_id) ?? [];
    const before = points.length ? points[points.length - 1].best : undefined;
    const score = trial.status === "failed" ? undefined : trial.mean_score;
    const best = score === undefined ? before : before === undefined ? score : Math.max(before, score);
    points.push({ number: trial.number, score, best });
    bySteps.set(trial.step_id, points);
  }
  return bySteps;
}
