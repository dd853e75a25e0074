// Compare-page logic: best values, differing params, the rows of the side-by-side table.

import type { Comparison, RunSummary } from "../api/types";

/** Whether `runId` holds the best value of `metric` (as /api/compare's `best` says). */
export function isBest(best: Record<string, string[]>, metric: string, runId: string): boolean {
  return (best[metric] ?? []).includes(runId);
}

/**
 * The best run(s) per metric computed locally, for data that did not come from /api/compare.
 * `lowerIsBetter` names metrics where smaller wins (rmse, mae).
 */
export function bestPerMetric(
  runs: RunSummary[],
  metrics: string[],
  lowerIsBetter: (metric: string) => boolean = (m) => /(^|\.)(rmse|mae|mse|loss)$/.test(m),
): Record<string, string[]> {
  const best: Record<string, string[]> = {};
  for (const metric of metrics) {
    const values = runs.filter((r) => typeof r.metrics[metric] === "number");
    if (!values.length) continue;
    const pick = lowerIsBetter(metric) ? Math.min : Math.max;
    const target = pick(...values.map((r) => r.metrics[metric]));
    best[metric] = values.filter((r) => r.metrics[metric] === target).map((r) => r.run_id);
  }
  return best;
}

/** Two param values as the same setting (a default of 1.0 and a recorded 1 are one). */
function sameValue(a: unknown, b: unknown): boolean {
  const text = (v: unknown) => (v === null || v === undefined ? "None" : String(v));
  return a === b || text(a) === text(b);
}

/** Whether every run has the param at its estimator's default (unknown default: false). */
export function atDefault(comparison: Comparison, param: string): boolean {
  const defaults = comparison.param_defaults ?? {};
  if (!(param in defaults)) return false;
  return comparison.runs.every((r) => !(param in r.params) || sameValue(r.params[param], defaults[param]));
}

/** The params to show: all, or only those that differ between the runs or from the fitted
 * estimator's default (scikit-learn's defaults nobody set are left out). */
export function paramsToShow(comparison: Comparison, onlyDiffering: boolean): string[] {
  if (!onlyDiffering) return comparison.params;
  const differing = new Set(comparison.differing_params);
  const defaults = comparison.param_defaults ?? {};
  return comparison.params.filter((p) => differing.has(p) || (p in defaults && !atDefault(comparison, p)));
}

/** A cell as text: numbers to 4 significant decimals, null as an em dash. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(4);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Metric names without a step prefix ("validate.accuracy" → kept only as "accuracy"). */
export function plainMetricNames(runs: RunSummary[]): string[] {
  return [...new Set(runs.flatMap((r) => Object.keys(r.metrics).filter((m) => !m.includes("."))))].sort();
}

/** Parallel-coordinates input: numeric dimensions (params then metrics) and one line per run. */
export function parallelData(comparison: Comparison, params: string[]) {
  const numeric = (pick: (r: RunSummary) => unknown) =>
    comparison.runs.some((r) => typeof pick(r) === "number");
  const dims = [
    ...params.filter((p) => numeric((r) => r.params[p])).map((p) => ({ name: p, kind: "param" as const })),
    ...comparison.metrics.filter((m) => numeric((r) => r.metrics[m])).map((m) => ({ name: m, kind: "metric" as const })),
  ];
  const lines = comparison.runs.map((r) => ({
    run: r.run_id,
    values: dims.map((d) => {
      const v = d.kind === "param" ? r.params[d.name] : r.metrics[d.name];
      return typeof v === "number" ? v : null;
    }),
  }));
  return { dims, lines };
}

/** Plain (unprefixed) param names of the runs, for the column chooser. */
export function plainParamNames(runs: RunSummary[]): string[] {
  return [...new Set(runs.flatMap((r) => Object.keys(r.params).filter((p) => !p.includes("."))))].sort();
}

/** Metrics whose values live in [0, 1] (scores, rates): their axis shows that whole range. */
const UNIT_METRIC = /(^|\.)(accuracy|balanced_accuracy|f1|precision|recall|roc_auc|auc|average_precision|jaccard|r2)(_\w+)?$/;

/** The value axis of a metric's chart: from zero (or the metric's natural [0, 1]), never
 * zoomed on the values so a 2% difference looks like 2%. Negative values: scaled to fit. */
export function metricAxis(metric: string, values: number[]): { min?: number; max?: number; scale: boolean } {
  const finite = values.filter(Number.isFinite);
  if (finite.some((v) => v < 0)) return { scale: true };
  if (UNIT_METRIC.test(metric) && finite.every((v) => v <= 1)) return { min: 0, max: 1, scale: false };
  return { min: 0, scale: false };
}

/** Run colours: the same run has the same colour in every chart and legend of the page. */
export const PALETTE = ["#2457c5", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#0b7285", "#e67700", "#5c940d", "#364fc7", "#a61e4d"];
export const runColour = (index: number) => PALETTE[index % PALETTE.length];

/** A metric across runs in time order: [started (ms), value, run id], runs without it left out. */
export function overTime(runs: RunSummary[], metric: string): [number, number, string][] {
  return runs
    .filter((r) => typeof r.metrics[metric] === "number")
    .map((r): [number, number, string] => [Date.parse(r.started), r.metrics[metric], r.run_id])
    .sort((a, b) => a[0] - b[0]);
}

/** The metrics logged at more than one step by some run, each with one [step, value] line per run. */
export function stepCurves(
  histories: Record<string, Record<string, { step: number; value: number }[]>>,
): Record<string, Record<string, [number, number][]>> {
  const out: Record<string, Record<string, [number, number][]>> = {};
  for (const [run, metrics] of Object.entries(histories)) {
    for (const [metric, points] of Object.entries(metrics)) {
      if (new Set(points.map((p) => p.step)).size < 2) continue;
      (out[metric] ??= {})[run] = [...points].sort((a, b) => a.step - b.step).map((p) => [p.step, p.value]);
    }
  }
  for (const metric of Object.keys(out)) {
    for (const [run, metrics] of Object.entries(histories)) {
      const points = metrics[metric];
      if (points && !out[metric][run]) out[metric][run] = points.map((p) => [p.step, p.value]);
    }
  }
  return out;
}
