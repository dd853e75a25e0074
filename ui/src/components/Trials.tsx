import { useMemo } from "react";
import { getTrials, useApi, type Trial } from "../api";
import { formatValue } from "../lib/compare";
import { scoreOverTrials } from "../lib/trials";
import { Chart } from "./Chart";
import { TableHead } from "./TableHead";

/** The trials of a run's AutoML steps: a score-over-trials chart and a table; nothing for a
 * run without AutoML steps. */
export function Trials({ runId, status }: { runId: string; status: string }) {
  // Read again as the run moves on: trials land in the graph when their step ends.
  const loaded = useApi(() => getTrials(runId), [runId, status]);
  const trials = loaded.data?.trials ?? [];
  if (trials.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="trials-h">
      <h2 id="trials-h">AutoML trials ({trials.length})</h2>
      <TrialChart trials={trials} />
      <TrialTable trials={trials} />
    </section>
  );
}

function TrialChart({ trials }: { trials: Trial[] }) {
  const option = useMemo(() => {
    const series = [...scoreOverTrials(trials)].flatMap(([step, points]) => [
      { name: `${step}: score`, type: "scatter" as const, data: points.map((p) => [p.number, p.score ?? null]) },
      { name: `${step}: best so far`, type: "line" as const, step: "end" as const, data: points.map((p) => [p.number, p.best ?? null]) },
    ]);
    const scoring = trials.find((t) => t.scoring)?.scoring ?? "score";
    return {
      animation: false,
      tooltip: { trigger: "axis" as const },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 40 },
      xAxis: { type: "value" as const, name: "trial", minInterval: 1 },
      yAxis: { type: "value" as const, name: scoring, scale: true },
      series,
    };
  }, [trials]);
  return <Chart option={option} label="Score over trials" height={240} />;
}

/** Every trial of a run, one row each, the chosen one marked "best". */
export function TrialTable({ trials, label = "Trials" }: { trials: Trial[]; label?: string }) {
  return (
    <table aria-label={label}>
      <TableHead columns={["Step", "Trial", "Kind", "Estimator", "Mean score", "Folds", "Fit s", "Status", "Hyperparameters"]} />
      <tbody>
        {trials.map((t) => (
          <tr key={`${t.step_id}-${t.number}`} className={t.best ? "selected" : ""} data-testid={`trial-${t.step_id}-${t.number}`}>
            <td>{t.step_id}</td>
            <td className="num">
              {t.number}
              {t.best && <span className="badge"> best</span>}
            </td>
            <td>{t.kind ?? ""}</td>
            <td className="mono small">{t.estimator ?? ""}</td>
            <td className="num">{t.mean_score !== undefined ? formatValue(t.mean_score) : "—"}</td>
            <td className="small">{t.fold_scores.map((s) => formatValue(s)).join(", ")}</td>
            <td className="num">{t.fit_seconds !== undefined ? t.fit_seconds.toFixed(2) : "—"}</td>
            <td title={t.error}>{t.status ?? ""}</td>
            <td className="small mono">
              {Object.entries(t.params)
                .map(([k, v]) => `${k}=${formatValue(v)}`)
                .join(", ")}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
