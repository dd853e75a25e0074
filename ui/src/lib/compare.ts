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

/** The params to show: all, or only those whose values differ between the runs. */
export function paramsToShow(comparison: Comparison, onlyDiffering: boolean): string[] {
  return onlyDiffering ? comparison.differing_params : comparison.params;
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
