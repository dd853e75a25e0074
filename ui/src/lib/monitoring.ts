// Monitoring-page logic: window specs, features by severity, history as chart series.

import type { FeatureDrift, RecordedEvaluation } from "../api/types";

export type WindowKind = "last" | "duration" | "since";

export const WINDOW_KINDS: { kind: WindowKind; label: string; placeholder: string }[] = [
  { kind: "last", label: "last N requests' rows", placeholder: "1000" },
  { kind: "duration", label: "the last period", placeholder: "1h (90s, 15m, 1h, 7d)" },
  { kind: "since", label: "since a time", placeholder: "2026-12-01T00:00:00Z" },
];

/** The windows offered with one click. */
export const WINDOW_PRESETS = ["last:100", "last:1000", "duration:15m", "duration:1h", "duration:1d"];

/** `last:1000` → `{kind: "last", value: "1000"}`; an unknown kind reads as `last`. */
export function splitWindow(spec: string): { kind: WindowKind; value: string } {
  const at = spec.indexOf(":");
  const kind = spec.slice(0, Math.max(at, 0));
  const value = at < 0 ? spec : spec.slice(at + 1);
  if (kind === "last" || kind === "duration" || kind === "since") return { kind, value };
  return { kind: "last", value };
}

/** The spec the API takes: `KIND:VALUE`, the value trimmed (the API judges it). */
export function joinWindow(kind: WindowKind, value: string): string {
  return `${kind}:${value.trim()}`;
}

/** PSI's rule of thumb: under 0.1 stable, under 0.25 moderate, else major. */
export function psiBand(psi: number): "stable" | "moderate" | "major" {
  if (psi < 0.1) return "stable";
  return psi < 0.25 ? "moderate" : "major";
}

/** Most severe first: drifted features, then by PSI (larger first), then by corrected p-value
 * (smaller first), then by name. A new array; the input is left alone. */
export function bySeverity<T extends Pick<FeatureDrift, "name" | "psi" | "adjusted_p_value" | "drifted">>(
  features: readonly T[],
): T[] {
  return [...features].sort(
    (a, b) =>
      Number(b.drifted) - Number(a.drifted) ||
      b.psi - a.psi ||
      a.adjusted_p_value - b.adjusted_p_value ||
      a.name.localeCompare(b.name),
  );
}

const time = (text: string) => Date.parse(text);

/** The history oldest window first (the API sends newest first), ties by evaluation time. */
export function chronological(history: readonly RecordedEvaluation[]): RecordedEvaluation[] {
  return [...history].sort(
    (a, b) => time(a.window.end) - time(b.window.end) || time(a.evaluated_at) - time(b.evaluated_at),
  );
}

export interface HistorySeries {
  /** One label per recorded window (its end time and spec), oldest first: the charts' x axis. */
  windows: string[];
  /** The drift share per window (null where drift could not be computed). */
  share: (number | null)[];
  /** The share again where the verdict was drift, null elsewhere (drawn as marks). */
  drifted: (number | null)[];
  /** Per live measure (accuracy, f1, rmse, mae): its value per window, null without feedback. */
  metrics: Record<string, (number | null)[]>;
}

/** Drift share and live measures over the recorded windows, oldest first. */
export function historySeries(history: readonly RecordedEvaluation[], label = windowLabel): HistorySeries {
  const entries = chronological(history);
  const names = [...new Set(entries.flatMap((e) => Object.keys(e.performance.metrics)))].sort();
  return {
    windows: entries.map(label),
    share: entries.map((e) => e.drift_share),
    drifted: entries.map((e) => (e.drift_detected ? e.drift_share : null)),
    metrics: Object.fromEntries(names.map((n) => [n, entries.map((e) => e.performance.metrics[n] ?? null)])),
  };
}

export interface FeatureMatrix {
  /** Window labels, oldest first. */
  windows: string[];
  /** Features, the one with the largest PSI in any window first. */
  features: string[];
  /** [window index, feature index, PSI, drifted (1 or 0)]. */
  cells: [number, number, number, number][];
  /** The colour scale's top: the largest PSI shown, at least 0.25 (major) and at most 1. */
  maxPsi: number;
}

/** PSI per feature per window over the last `keep` recorded windows with drift figures. */
export function featureMatrix(history: readonly RecordedEvaluation[], keep = 20, label = windowLabel): FeatureMatrix {
  const windows = chronological(history)
    .filter((e) => e.features.length > 0)
    .slice(-keep);
  const peak = new Map<string, number>();
  for (const entry of windows) {
    for (const f of entry.features) peak.set(f.name, Math.max(peak.get(f.name) ?? 0, f.psi));
  }
  const features = [...peak.keys()].sort((a, b) => peak.get(b)! - peak.get(a)! || a.localeCompare(b));
  const row = new Map(features.map((name, index) => [name, index]));
  const cells: FeatureMatrix["cells"] = [];
  windows.forEach((entry, column) => {
    for (const f of entry.features) cells.push([column, row.get(f.name)!, f.psi, f.drifted ? 1 : 0]);
  });
  return {
    windows: windows.map(label),
    features,
    cells,
    maxPsi: Math.min(Math.max(0.25, ...peak.values()), 1),
  };
}

/** A short label for a recorded window: its end time (UTC, to the second) and its spec. */
export function windowLabel(entry: Pick<RecordedEvaluation, "window">): string {
  return `${shortTime(entry.window.end)} ${entry.window.spec}`;
}

/** `2026-12-03T18:59:01.123+00:00` → `12-03 18:59:01` (UTC); other text unchanged. */
export function shortTime(text: string | null | undefined): string {
  if (!text) return "—";
  const at = Date.parse(text);
  if (Number.isNaN(at)) return text;
  return new Date(at).toISOString().slice(5, 19).replace("T", " ");
}

/** A logged request's input rows as one line: the first `fields` values of its first row,
 * and how many more rows it had. */
export function inputSummary(rows: readonly Record<string, unknown>[], fields = 3): string {
  if (rows.length === 0) return "—";
  const entries = Object.entries(rows[0]);
  const shown = entries.slice(0, fields).map(([k, v]) => `${k}=${plain(v)}`);
  if (entries.length > fields) shown.push(`+${entries.length - fields} more`);
  const more = rows.length > 1 ? ` (+${rows.length - 1} more row${rows.length > 2 ? "s" : ""})` : "";
  return shown.join(", ") + more;
}

/** How many of a request's predictions equal the feedback given for them (classification). */
export function agreement(predictions: readonly unknown[], labels: readonly unknown[] | null): { right: number; of: number } | null {
  if (!labels || labels.length === 0) return null;
  const right = labels.filter((label, i) => String(label) === String(predictions[i])).length;
  return { right, of: labels.length };
}

/** A value as short text: numbers to 4 significant digits, missing as —. */
export function plain(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A p-value for a table: small ones in exponent form. */
export function formatP(p: number): string {
  if (p === 0) return "0";
  return p < 1e-3 ? p.toExponential(1) : p.toFixed(3);
}
