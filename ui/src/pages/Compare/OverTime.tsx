import { useMemo, useState } from "react";
import { listRuns, useApi } from "../../api";
import { Chart } from "../../components/Chart";
import { overTime, plainMetricNames } from "../../lib/compare";
import { lines } from "./charts";

const LIMIT = 500;

/** A metric across an experiment's runs in the order they started: is it getting better? */
export function OverTime({ experiment }: { experiment: string }) {
  const runs = useApi(() => listRuns({ experiment, sort: "started", limit: LIMIT }), [experiment]);
  const all = runs.data?.runs ?? [];
  const names = useMemo(() => plainMetricNames(all), [all]);
  const [picked, setPicked] = useState("");
  const metric = names.includes(picked) ? picked : (names.find((n) => /accuracy|r2/.test(n)) ?? names[0] ?? "");
  if (!metric) return null;
  const points = overTime(all, metric);
  return (
    <section className="panel" aria-labelledby="time-h">
      <div className="row">
        <h2 id="time-h">Over time</h2>
        <label className="inline" htmlFor="time-metric">
          Metric
        </label>
        <select id="time-metric" value={metric} onChange={(e) => setPicked(e.target.value)}>
          {names.map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
        <span className="muted small">
          {points.length} run(s) of {experiment}
          {(runs.data?.total ?? 0) > LIMIT ? `, the first ${LIMIT}` : ""}
        </span>
      </div>
      <Chart
        label={`${metric} over time in ${experiment}, ${points.length} runs`}
        height={260}
        option={lines(`${metric} by start time`, [{ name: metric, points: points.map((p) => [p[0], p[1]]), colour: "#2457c5" }], { type: "time", name: "started" }, metric)}
      />
    </section>
  );
}
