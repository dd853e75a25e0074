import { useState } from "react";
import { Link } from "react-router-dom";
import { compareRuns, useApi, type Comparison } from "../../api";
import { Chart } from "../../components/Chart";
import { ComparedTrials } from "../../components/ComparedTrials";
import { ErrorBox, Guard } from "../../components/State";
import { formatValue, isBest, parallelData, paramsToShow } from "../../lib/compare";
import { axisText, bars, parallel } from "./charts";
import { Legend } from "./Legend";
import { RunNotes } from "./RunNotes";
import { Tags } from "./RunsTable";
import { StepCurves } from "./StepCurves";

/** The compared runs: tags and notes, metrics (best marked), the parameter diff with the
 * estimators' untouched defaults collapsed, and charts in one colour per run. */
export function SideBySide({ runs, onSaved }: { runs: string[]; onSaved: () => void }) {
  const comparison = useApi(() => compareRuns(runs), [runs]);
  const [onlyDiffering, setOnlyDiffering] = useState(true);
  const saved = () => {
    comparison.reload();
    onSaved();
  };
  return (
    <section className="panel" aria-labelledby="cmp-h">
      <h2 id="cmp-h">Side by side</h2>
      {comparison.error && <ErrorBox error={comparison.error} title="Could not compare" />}
      <Guard loaded={comparison} what="the comparison">
        {(c) => {
          const params = paramsToShow(c, onlyDiffering);
          const hidden = c.params.length - params.length;
          return (
            <>
              <label className="inline">
                <input type="checkbox" checked={onlyDiffering} onChange={(e) => setOnlyDiffering(e.target.checked)} /> Only params that
                differ (between the runs or from the estimator's default)
              </label>
              <div className="table-wrap" style={{ marginTop: "0.5rem" }}>
                <table aria-label="Comparison">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Default</th>
                      {c.runs.map((r) => (
                        <th key={r.run_id}>
                          <Link to={`/runs/${r.run_id}`}>{r.run_id}</Link>
                          <div className="small muted">
                            {r.experiment} v{r.version}
                          </div>
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    <AnnotationRows c={c} onSaved={saved} />
                    <tr>
                      <th colSpan={c.runs.length + 2}>Metrics (best highlighted)</th>
                    </tr>
                    {c.metrics.map((m) => (
                      <tr key={m}>
                        <td>{m}</td>
                        <td />
                        {c.runs.map((r) => (
                          <td key={r.run_id} className={`num ${isBest(c.best, m, r.run_id) ? "best" : ""}`} title={isBest(c.best, m, r.run_id) ? "best" : undefined}>
                            {formatValue(r.metrics[m])}
                          </td>
                        ))}
                      </tr>
                    ))}
                    <tr>
                      <th colSpan={c.runs.length + 2}>Params {onlyDiffering ? `(${params.length} of ${c.params.length})` : `(${params.length})`}</th>
                    </tr>
                    {params.map((p) => (
                      <tr key={p}>
                        <td>{p}</td>
                        <td className="num muted">{c.param_defaults && p in c.param_defaults ? formatValue(c.param_defaults[p]) : ""}</td>
                        {c.runs.map((r) => (
                          <td key={r.run_id} className="num">
                            {formatValue(r.params[p])}
                          </td>
                        ))}
                      </tr>
                    ))}
                    {onlyDiffering && hidden > 0 && (
                      <tr>
                        <td colSpan={c.runs.length + 2} className="muted">
                          <button className="link" onClick={() => setOnlyDiffering(false)}>
                            {hidden} more params, the same in every run (scikit-learn defaults among them): show all
                          </button>
                        </td>
                      </tr>
                    )}
                  </tbody>
                </table>
              </div>
              <Legend runs={c.runs.map((r) => r.run_id)} label="run colours" />
              <h3>Metrics</h3>
              <div className="grid3">
                {c.metrics.map((m) => (
                  <Chart key={m} label={`bar chart of ${m}, ${axisText(c, m)}`} height={220} option={bars(c, m)} />
                ))}
              </div>
              {parallelData(c, params).dims.length >= 2 && (
                <>
                  <h3>Hyperparameters and metrics</h3>
                  <Chart label="parallel coordinates" height={360} option={parallel(c, params)} />
                  <Legend runs={c.runs.map((r) => r.run_id)} label="legend of parallel coordinates" />
                </>
              )}
              <StepCurves runs={c.runs.map((r) => r.run_id)} />
              <ComparedTrials c={c} />
            </>
          );
        }}
      </Guard>
    </section>
  );
}

function AnnotationRows({ c, onSaved }: { c: Comparison; onSaved: () => void }) {
  return (
    <>
      <tr>
        <td>Tags</td>
        <td />
        {c.runs.map((r) => (
          <td key={r.run_id}>
            <Tags tags={r.tags} />
          </td>
        ))}
      </tr>
      <tr>
        <td>Note</td>
        <td />
        {c.runs.map((r) => (
          <td key={r.run_id} className="note">
            {r.note && <p className="small">{r.note}</p>}
            <RunNotes key={`${r.note}-${JSON.stringify(r.tags)}`} run={r} onSaved={onSaved} />
          </td>
        ))}
      </tr>
    </>
  );
}
