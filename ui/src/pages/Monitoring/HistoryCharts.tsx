import type { EChartsOption } from "echarts";
import { useMemo } from "react";
import type { RecordedEvaluation } from "../../api";
import { Chart } from "../../components/Chart";
import { Empty } from "../../components/State";
import { featureMatrix, historySeries } from "../../lib/monitoring";

const GRID = { left: 50, right: 24, top: 40, bottom: 70 };
const AXIS_LABEL = { rotate: 30, fontSize: 10 };
const LOWER_IS_BETTER = new Set(["rmse", "mae"]);

/** Drift share and live performance over the recorded windows, and PSI per feature per window. */
export function HistoryCharts({ history, driftShareLimit }: { history: RecordedEvaluation[]; driftShareLimit: number | null }) {
  const series = useMemo(() => historySeries(history), [history]);
  const matrix = useMemo(() => featureMatrix(history), [history]);
  const shareOption = useMemo((): EChartsOption => {
    const limit = driftShareLimit === null ? [] : [{ yAxis: driftShareLimit, name: "drift from" }];
    return perWindow("Drift share per window", series.windows, { min: 0, max: 1 }, [
      {
        name: "drift share",
        type: "line",
        data: series.share,
        connectNulls: true,
        markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#c62828" }, data: limit },
      },
      { name: "drift", type: "scatter", data: series.drifted, symbolSize: 11, itemStyle: { color: "#c62828" } },
    ]);
  }, [series, driftShareLimit]);
  const liveOption = useMemo((): EChartsOption => {
    const names = Object.keys(series.metrics).sort();
    const bounded = names.every((n) => !LOWER_IS_BETTER.has(n));
    return perWindow(
      "Live performance per window (from feedback)",
      series.windows,
      bounded ? { min: 0, max: 1 } : { min: 0 },
      names.map((name) => ({ name, type: "line", data: series.metrics[name], connectNulls: true })),
    );
  }, [series]);
  const heatOption = useMemo(
    (): EChartsOption => ({
      title: { text: "PSI per feature per window (drifted cells outlined)", textStyle: { fontSize: 13 } },
      grid: { left: 170, right: 24, top: 40, bottom: 70 },
      tooltip: { position: "top" },
      xAxis: { type: "category", data: matrix.windows, axisLabel: AXIS_LABEL },
      yAxis: { type: "category", data: matrix.features, inverse: true, axisLabel: { fontSize: 10 } },
      visualMap: {
        min: 0,
        max: matrix.maxPsi,
        calculable: true,
        orient: "horizontal",
        right: 8,
        top: 4,
        itemHeight: 80,
        text: [`PSI ${matrix.maxPsi}+`, "0"],
        inRange: { color: ["#f4f6fa", "#fdd0a2", "#e6550d", "#a50f15"] },
      },
      animation: false,
      series: [
        {
          type: "heatmap",
          data: matrix.cells.map(([x, y, psi, drifted]) => ({
            value: [x, y, Number(psi.toFixed(3))],
            itemStyle: drifted ? { borderColor: "#1d2433", borderWidth: 2 } : undefined,
          })),
        },
      ],
    }),
    [matrix],
  );
  if (history.length === 0)
    return <Empty>No window recorded yet: evaluate one above (the platform also evaluates every ONTOLAB_MONITOR_INTERVAL seconds).</Empty>;
  const hasLive = Object.keys(series.metrics).length > 0;
  return (
    <>
      <div className="grid2">
        <Chart option={shareOption} height={280} label="drift share over windows" />
        {hasLive ? (
          <Chart option={liveOption} height={280} label="live performance over windows" />
        ) : (
          <Empty>No live performance yet: no recorded window has feedback. Send labels to POST /api/deployments/ID/feedback.</Empty>
        )}
      </div>
      {matrix.features.length > 0 && (
        <Chart option={heatOption} height={Math.min(110 + matrix.features.length * 18, 760)} label="feature drift over windows" />
      )}
    </>
  );
}

/** A chart with one x slot per recorded window: windows are evaluated at irregular times,
 * several at once, and a time axis would squeeze them together. */
function perWindow(
  title: string,
  windows: string[],
  range: { min: number; max?: number },
  series: EChartsOption["series"],
): EChartsOption {
  return {
    title: { text: title, textStyle: { fontSize: 13 } },
    grid: GRID,
    tooltip: { trigger: "axis" },
    legend: { right: 8, top: 4 },
    xAxis: { type: "category", data: windows, axisLabel: AXIS_LABEL },
    yAxis: { type: "value", ...range },
    animation: false,
    series,
  };
}
