import { Link } from "react-router-dom";
import type { Comparison } from "../api";
import { formatValue } from "../lib/compare";
import { bestTrialColumns, isBestTrial, trialParamNames } from "../lib/trials";
import { TrialTable } from "./Trials";

/** The AutoML steps' trials of the compared runs: each step's best trial side by side (the
 * winner per scoring highlighted), then every trial of each run; nothing without AutoML steps. */
export function ComparedTrials({ c }: { c: Comparison }) {
  const columns = bestTrialColumns(c.runs);
  if (columns.length === 0) return null;
  const names = trialParamNames(columns);
  const row = (label: string, cell: (col: (typeof columns)[number]) => string | number) => (
    <tr>
      <td>{label}</td>
      {columns.map((col) => (
        <td key={`${col.run_id}-${col.step_id}`} className="num">
          {cell(col)}
        </td>
      ))}
    </tr>
  );
  return (
    <>
      <h3 id="cmp-trials-h">AutoML trials</h3>
      <div className="table-wrap">
        <table aria-label="Best trials">
          <thead>
            <tr>
              <th>Best trial</th>
              {columns.map((col) => (
                <th key={`${col.run_id}-${col.step_id}`} data-testid={`best-trial-${col.run_id}-${col.step_id}`}>
                  <Link to={`/runs/${col.run_id}`}>{col.run_id}</Link>
                  <div className="small muted">
                    step {col.step_id}: {col.count} trial(s)
                  </div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {row("Trial", (col) => (col.chosen ? `${col.trial.number} (best)` : `${col.trial.number} (top finished; no model chosen)`))}
            {row("Estimator", (col) => col.trial.estimator ?? "—")}
            <tr>
              <td>Mean score</td>
              {columns.map((col) => {
                const winner = isBestTrial(c.best_trials, col);
                return (
                  <td key={`${col.run_id}-${col.step_id}`} className={`num ${winner ? "best" : ""}`} title={winner ? "best" : undefined}>
                    {formatValue(col.trial.mean_score)} <span className="small muted">{col.trial.scoring ?? ""}</span>
                  </td>
                );
              })}
            </tr>
            {row("Fold scores", (col) => col.trial.fold_scores.map((s) => formatValue(s)).join(", "))}
            {row("Fit s", (col) => (col.trial.fit_seconds !== undefined ? col.trial.fit_seconds.toFixed(2) : "—"))}
            <tr>
              <th colSpan={columns.length + 1}>Hyperparameters ({names.length})</th>
            </tr>
            {names.map((name) => (
              <tr key={name}>
                <td>{name}</td>
                {columns.map((col) => (
                  <td key={`${col.run_id}-${col.step_id}`} className="num">
                    {formatValue(col.trial.params[name])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {c.runs
        .filter((r) => r.trials.length > 0)
        .map((r) => (
          <details key={r.run_id} className="compare-trials">
            <summary>
              All {r.trials.length} trials of {r.run_id} ({r.experiment} v{r.version})
            </summary>
            <div className="table-wrap">
              <TrialTable trials={r.trials} label={`Trials of ${r.run_id}`} />
            </div>
          </details>
        ))}
    </>
  );
}
