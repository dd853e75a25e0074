import { describe, expect, it } from "vitest";
import type { RecordedEvaluation } from "../api";
import {
  agreement,
  bySeverity,
  featureMatrix,
  formatP,
  historySeries,
  inputSummary,
  joinWindow,
  plain,
  psiBand,
  shortTime,
  splitWindow,
} from "./monitoring";

const feature = (name: string, psi: number, adjusted_p_value: number, drifted: boolean) => ({
  name,
  psi,
  js_distance: psi / 2,
  test: "ks",
  adjusted_p_value,
  drifted,
});

const recorded = (
  end: string,
  share: number | null,
  features: ReturnType<typeof feature>[] = [],
  metrics: Record<string, number> = {},
  evaluatedAt = end,
): RecordedEvaluation => ({
  evaluation: `urn:e:${end}:${evaluatedAt}`,
  model: "m",
  version: 1,
  window: { spec: "last:200", start: end, end, rows: 200 },
  evaluated_at: evaluatedAt,
  drift_share: share,
  drift_detected: share === null ? null : share >= 0.5,
  drifted_features: features.filter((f) => f.drifted).map((f) => f.name),
  features,
  performance: { labelled_rows: Object.keys(metrics).length ? 10 : 0, metrics },
});

describe("window specs", () => {
  it("splits and joins the three kinds", () => {
    expect(splitWindow("last:1000")).toEqual({ kind: "last", value: "1000" });
    expect(splitWindow("since:2026-12-01T00:00:00Z")).toEqual({ kind: "since", value: "2026-12-01T00:00:00Z" });
    expect(splitWindow("duration:1h")).toEqual({ kind: "duration", value: "1h" });
    expect(joinWindow("duration", " 15m ")).toBe("duration:15m");
  });
  it("reads an unknown kind or a bare value as last, leaving the value for the API to judge", () => {
    expect(splitWindow("first:10")).toEqual({ kind: "last", value: "10" });
    expect(splitWindow("500")).toEqual({ kind: "last", value: "500" });
  });
});

describe("bySeverity", () => {
  it("puts drifted features first, then larger PSI, then smaller corrected p", () => {
    const features = [
      feature("calm", 0.01, 0.9, false),
      feature("big-but-not-significant", 0.3, 0.2, false),
      feature("drifted-small", 0.12, 0.01, true),
      feature("drifted-large", 0.9, 0.001, true),
      feature("tie-b", 0.05, 0.5, false),
      feature("tie-a", 0.05, 0.5, false),
      feature("tie-lower-p", 0.05, 0.1, false),
    ];
    expect(bySeverity(features).map((f) => f.name)).toEqual([
      "drifted-large",
      "drifted-small",
      "big-but-not-significant",
      "tie-lower-p",
      "tie-a",
      "tie-b",
      "calm",
    ]);
    expect(features[0].name).toBe("calm"); // the input is left alone
  });
  it("bands PSI by the usual rule of thumb", () => {
    expect([0, 0.099, 0.1, 0.249, 0.25, 2].map(psiBand)).toEqual(["stable", "stable", "moderate", "moderate", "major", "major"]);
  });
});

describe("historySeries", () => {
  it("orders windows oldest first, with share, drifted marks and live measures per window", () => {
    const history = [
      recorded("2026-12-03T10:02:00Z", 0.8, [], { accuracy: 0.7, f1: 0.6 }),
      recorded("2026-12-03T10:01:00Z", null),
      recorded("2026-12-03T10:00:00Z", 0.1, [], { accuracy: 0.95 }),
    ];
    const series = historySeries(history, (e) => e.window.end.slice(11, 16));
    expect(series).toEqual({
      windows: ["10:00", "10:01", "10:02"],
      share: [0.1, null, 0.8],
      drifted: [null, null, 0.8],
      metrics: { accuracy: [0.95, null, 0.7], f1: [null, null, 0.6] },
    });
  });
  it("keeps two evaluations of one window (later feedback) in evaluation order", () => {
    const end = "2026-12-03T10:00:00Z";
    const series = historySeries([recorded(end, 0.9, [], { accuracy: 0.5 }, "2026-12-03T10:05:00Z"), recorded(end, 0.9, [], {}, end)]);
    expect(series.metrics.accuracy).toEqual([null, 0.5]);
    expect(series.windows).toEqual(["12-03 10:00:00 last:200", "12-03 10:00:00 last:200"]);
  });
  it("gives empty series for no history", () => {
    expect(historySeries([])).toEqual({ windows: [], share: [], drifted: [], metrics: {} });
  });
});

describe("featureMatrix", () => {
  const history = [
    recorded("2026-12-03T10:01:00Z", 0.5, [feature("a", 0.02, 0.9, false), feature("b", 0.7, 0.001, true)]),
    recorded("2026-12-03T10:00:00Z", 0, [feature("a", 0.03, 0.8, false), feature("b", 0.01, 0.9, false)]),
    recorded("2026-12-03T09:59:00Z", null),
  ];
  it("lays PSI out per window (oldest first) and feature (largest PSI first), marking drifted cells", () => {
    const matrix = featureMatrix(history, 20, (e) => e.window.end.slice(11, 16));
    expect(matrix.windows).toEqual(["10:00", "10:01"]);
    expect(matrix.features).toEqual(["b", "a"]);
    expect(matrix.cells).toContainEqual([1, 0, 0.7, 1]);
    expect(matrix.cells).toContainEqual([0, 1, 0.03, 0]);
    expect(matrix.cells).toHaveLength(4);
    expect(matrix.maxPsi).toBe(0.7);
  });
  it("keeps only the last windows, and a colour scale of at least 0.25", () => {
    const matrix = featureMatrix(history, 1, (e) => e.window.end);
    expect(matrix.windows).toEqual(["2026-12-03T10:01:00Z"]);
    expect(featureMatrix([recorded("2026-12-03T10:00:00Z", 0, [feature("a", 0.01, 1, false)])]).maxPsi).toBe(0.25);
    expect(featureMatrix([recorded("2026-12-03T10:00:00Z", 1, [feature("a", 8.6, 0, true)])]).maxPsi).toBe(1);
  });
});

describe("formatting", () => {
  it("summarises input rows", () => {
    expect(inputSummary([{ a: 1.23456, b: "x", c: null, d: 4 }], 3)).toBe("a=1.235, b=x, c=—, +1 more");
    expect(inputSummary([{ a: 1 }, { a: 2 }])).toBe("a=1 (+1 more row)");
    expect(inputSummary([{ a: 1 }, { a: 2 }, { a: 3 }])).toBe("a=1 (+2 more rows)");
    expect(inputSummary([])).toBe("—");
  });
  it("counts predictions that match their feedback", () => {
    expect(agreement([0, 1, 1], [0, 0, 1])).toEqual({ right: 2, of: 3 });
    expect(agreement(["a"], ["a"])).toEqual({ right: 1, of: 1 });
    expect(agreement([0], null)).toBeNull();
  });
  it("shows values, times and p-values briefly", () => {
    expect(plain(3)).toBe("3");
    expect(plain(0.000123456)).toBe("0.0001235");
    expect(plain([1, 2])).toBe("[1,2]");
    expect(shortTime("2026-12-03T18:59:01.123+00:00")).toBe("12-03 18:59:01");
    expect(shortTime(null)).toBe("—");
    expect(shortTime("soon")).toBe("soon");
    expect(formatP(0)).toBe("0");
    expect(formatP(0.00001234)).toBe("1.2e-5");
    expect(formatP(0.5)).toBe("0.500");
  });
});
