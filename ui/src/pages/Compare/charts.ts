// The echarts options of the Compare page: bars per metric, parallel coordinates, lines.
import type { Comparison } from "../../api";
import { isBest, metricAxis, parallelData, runColour } from "../../lib/compare";

/** One bar per run in the run's colour, the axis from zero or the metric's natural range. */
export function bars(c: Comparison, metric: string) {
  const axis = metricAxis(metric, c.runs.map((r) => r.metrics[metric]).filter((v) => typeof v === "number"));
  return {
    title: { text: metric, textStyle: { fontSize: 12 } },
    grid: { left: 50, right: 10, top: 32, bottom: 40 },
    tooltip: {},
    animation: false,
    xAxis: { type: "category" as const, data: c.runs.map((r) => r.run_id.slice(0, 8)), axisLabel: { fontSize: 10 } },
    yAxis: { type: "value" as const, ...axis },
    series: [
      {
        type: "bar" as const,
        data: c.runs.map((r, i) => ({
          value: r.metrics[metric] ?? null,
          itemStyle: {
            color: runColour(i),
            borderColor: isBest(c.best, metric, r.run_id) ? "#1f8a4c" : undefined,
            borderWidth: isBest(c.best, metric, r.run_id) ? 3 : 0,
          },
        })),
      },
    ],
  };
}

/** How an axis reads, for the chart's accessible label. */
export function axisText(c: Comparison, metric: string): string {
  const axis = metricAxis(metric, c.runs.map((r) => r.metrics[metric]).filter((v) => typeof v === "number"));
  if (axis.scale) return "axis fitted to the values";
  return axis.max === undefined ? `axis from ${axis.min}` : `axis from ${axis.min} to ${axis.max}`;
}

/** One line per run, each in the run's colour. */
export function parallel(c: Comparison, params: string[]) {
  const { dims, lines } = parallelData(c, params);
  return {
    animation: false,
    tooltip: {},
    parallelAxis: dims.map((d, i) => ({ dim: i, name: d.name, nameTextStyle: { fontSize: 10 }, scale: true })),
    parallel: { left: 60, right: 80, top: 50, bottom: 30 },
    series: lines.map((l, i) => ({
      type: "parallel" as const,
      name: l.run,
      lineStyle: { width: 2, opacity: 0.85, color: runColour(i) },
      data: [{ name: l.run, value: l.values }],
    })),
  };
}

/** Lines of [x, y] points, one per named series, in the given colours. */
export function lines(
  title: string,
  series: { name: string; points: [number, number][]; colour: string }[],
  x: { type: "value" | "time"; name: string },
  yName: string,
) {
  return {
    title: { text: title, textStyle: { fontSize: 12 } },
    animation: false,
    tooltip: { trigger: "axis" as const },
    grid: { left: 55, right: 20, top: 36, bottom: 45 },
    xAxis: { type: x.type, name: x.name, nameLocation: "middle" as const, nameGap: 28, minInterval: x.type === "value" ? 1 : undefined },
    yAxis: { type: "value" as const, name: yName, ...metricAxis(yName, series.flatMap((s) => s.points.map((p) => p[1]))) },
    series: series.map((s) => ({
      type: "line" as const,
      name: s.name,
      data: s.points,
      showSymbol: true,
      lineStyle: { color: s.colour },
      itemStyle: { color: s.colour },
    })),
  };
}
