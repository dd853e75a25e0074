import { useMemo, useState } from "react";
import type { ColumnProfile, Profile } from "../api";
import { formatValue } from "../lib/compare";
import { Chart } from "./Chart";
import { Empty } from "./State";
import { TableHead } from "./TableHead";

/** A dataset's profile (the explore phase's JSON): counts, per-column table and histogram,
 * missing values, correlation heatmap. Shown by Exploration, the run page and Datasets. */
export function ProfileView({ profile }: { profile: Profile }) {
  const [column, setColumn] = useState(profile.columns[0]?.name ?? "");
  const current = profile.columns.find((c) => c.name === column) ?? profile.columns[0];
  const missingOption = useMemo(
    () => ({
      title: { text: "Missing values per column", subtext: profile.columns.some((c) => c.missing) ? "" : "no column has missing values", textStyle: { fontSize: 13 } },
      grid: { left: 50, right: 10, top: 36, bottom: 90 },
      tooltip: {},
      animation: false,
      xAxis: { type: "category" as const, data: profile.columns.map((c) => c.name), axisLabel: { rotate: 45, fontSize: 10 } },
      yAxis: { type: "value" as const, minInterval: 1 },
      series: [{ type: "bar" as const, data: profile.columns.map((c) => c.missing), itemStyle: { color: "#b26a00" } }],
    }),
    [profile],
  );
  const histogramOption = useMemo(() => histogram(current), [current]);
  const heatmapOption = useMemo(() => heatmap(profile), [profile]);
  return (
    <>
      <div className="cards" style={{ marginBottom: "1rem" }}>
        <div className="card">
          <div className="muted small">Rows</div>
          <div className="big">{profile.rows}</div>
        </div>
        <div className="card">
          <div className="muted small">Columns</div>
          <div className="big">{profile.columns.length}</div>
        </div>
        <div className="card">
          <div className="muted small">Missing cells</div>
          <div className="big">{profile.columns.reduce((a, c) => a + c.missing, 0)}</div>
        </div>
        <div className="card">
          <div className="muted small">Target</div>
          <div className="big">{profile.target_column ?? "—"}</div>
        </div>
      </div>
      <div className="grid2">
        <section className="panel">
          <h2>Columns</h2>
          <div className="table-wrap" style={{ maxHeight: 420 }}>
            <table aria-label="Columns">
              <TableHead columns={["Column", "Kind", "Missing", "Unique", "Mean", "Std"]} />
              <tbody>
                {profile.columns.map((c) => (
                  <tr key={c.name} className={c.name === current?.name ? "selected" : ""}>
                    <td>
                      <button className="sort" onClick={() => setColumn(c.name)} aria-pressed={c.name === current?.name}>
                        {c.name}
                      </button>
                    </td>
                    <td>{c.kind}</td>
                    <td className="num">{c.missing}</td>
                    <td className="num">{formatValue(c.unique)}</td>
                    <td className="num">{formatValue(c.mean)}</td>
                    <td className="num">{formatValue(c.std)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
        <section className="panel">
          <h2>Histogram of {current?.name}</h2>
          <Chart option={histogramOption} height={380} label={`histogram of ${current?.name}`} />
        </section>
      </div>
      <div className="grid2">
        <section className="panel">
          <Chart option={missingOption} height={360} label="missing values per column" />
        </section>
        <section className="panel">
          {profile.correlation ? (
            <Chart option={heatmapOption} height={420} label="correlation heatmap" />
          ) : (
            <Empty>No numeric columns to correlate.</Empty>
          )}
        </section>
      </div>
    </>
  );
}

function histogram(column: ColumnProfile | undefined) {
  if (!column) return {};
  if (column.histogram) {
    const { counts, edges } = column.histogram;
    return {
      grid: { left: 50, right: 10, top: 20, bottom: 50 },
      tooltip: {},
      animation: false,
      xAxis: {
        type: "category" as const,
        data: counts.map((_, i) => `${formatValue(edges[i])}–${formatValue(edges[i + 1])}`),
        axisLabel: { rotate: 45, fontSize: 9 },
      },
      yAxis: { type: "value" as const, minInterval: 1 },
      series: [{ type: "bar" as const, data: counts, barCategoryGap: "5%" }],
    };
  }
  const top = column.top_values ?? [];
  return {
    grid: { left: 50, right: 10, top: 20, bottom: 50 },
    tooltip: {},
    animation: false,
    xAxis: { type: "category" as const, data: top.map((t) => t.value), axisLabel: { rotate: 45, fontSize: 9 } },
    yAxis: { type: "value" as const, minInterval: 1 },
    series: [{ type: "bar" as const, data: top.map((t) => t.count) }],
  };
}

function heatmap(profile: Profile) {
  const corr = profile.correlation;
  if (!corr) return {};
  const data: [number, number, number | null][] = [];
  corr.matrix.forEach((row, i) => row.forEach((v, j) => data.push([j, i, v === null ? null : Number(v.toFixed(2))])));
  return {
    title: { text: "Correlation", textStyle: { fontSize: 13 } },
    tooltip: { position: "top" as const },
    animation: false,
    grid: { left: 120, right: 20, top: 36, bottom: 110 },
    xAxis: { type: "category" as const, data: corr.columns, axisLabel: { rotate: 60, fontSize: 9 } },
    yAxis: { type: "category" as const, data: corr.columns, axisLabel: { fontSize: 9 } },
    visualMap: { min: -1, max: 1, calculable: true, orient: "horizontal" as const, left: "center", bottom: 0, inRange: { color: ["#2457c5", "#f6f7f9", "#c62828"] } },
    series: [{ type: "heatmap" as const, data, label: { show: corr.columns.length <= 8, fontSize: 9 } }],
  };
}
