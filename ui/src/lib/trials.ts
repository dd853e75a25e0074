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

/** One AutoML step of one compared run, as a column of Compare's best-trials table. */
export interface TrialColumn {
  run_id: string;
  step_id: string;
  /** The trial shown: the step's chosen one, else its top finished trial. */
  trial: Trial;
  /** Whether `trial` is the step's chosen trial (its model is the step's model). */
  chosen: boolean;
  /** How many trials the step ran. */
  count: number;
}

/** Per compared run and AutoML step, in run order, the trial to put side by side: the one whose
 * model is the step's (`best`), else, for a search that ended without a model, its top
 * finished trial; steps without a scored trial are left out. */
export function bestTrialColumns(runs: { run_id: string; trials: Trial[] }[]): TrialColumn[] {
  const columns: TrialColumn[] = [];
  for (const run of runs) {
    const steps = new Map<string, Trial[]>();
    for (const trial of run.trials) steps.set(trial.step_id, [...(steps.get(trial.step_id) ?? []), trial]);
    for (const [step_id, trials] of steps) {
      const chosen = trials.find((t) => t.best);
      const scored = trials.filter((t) => t.status !== "failed" && typeof t.mean_score === "number");
      const top = scored.reduce<Trial | undefined>((a, t) => (a === undefined || t.mean_score! > a.mean_score! ? t : a), undefined);
      const trial = chosen ?? top;
      if (trial) columns.push({ run_id: run.run_id, step_id, trial, chosen: chosen !== undefined, count: trials.length });
    }
  }
  return columns;
}

/** The hyperparameter names of the columns' trials, sorted: one row each. */
export function trialParamNames(columns: TrialColumn[]): string[] {
  return [...new Set(columns.flatMap((c) => Object.keys(c.trial.params)))].sort();
}

/** Whether a column holds a winner: its chosen trial scores highest among the compared runs'
 * chosen trials of the same scoring (as /api/compare's `best_trials` says). */
export function isBestTrial(bestTrials: Record<string, string[]>, column: TrialColumn): boolean {
  const scoring = column.trial.scoring;
  return column.chosen && scoring !== undefined && (bestTrials[scoring] ?? []).includes(column.run_id);
}
