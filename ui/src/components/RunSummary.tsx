import { Link } from "react-router-dom";
import { stepLogUrl, type RunDetails, type ThresholdCheck } from "../api";
import { formatValue } from "../lib/compare";
import { StatusBadge } from "./State";
import { TableHead } from "./TableHead";

/** The top of a run's page: why it failed (if it did), then its metrics, parameters,
 * threshold checks and the model versions it registered. */
export function RunSummary({ run, onShowStep }: { run: RunDetails; onShowStep: (step: string) => void }) {
  return (
    <>
      <FailureBanner run={run} onShowStep={onShowStep} />
      <section className="cards run-summary" aria-label="Run summary">
        <div className="card">
          <h2 className="small">Metrics</h2>
          {run.metrics.length === 0 ? (
            <p className="muted small">None recorded.</p>
          ) : (
            <table aria-label="Run metrics">
              <tbody>
                {run.metrics.map((m) => (
                  <tr key={`${m.step_id}.${m.metric}`}>
                    <td>
                      {m.metric} <span className="small muted">{m.step_id}</span>
                    </td>
                    <td className="num">{formatValue(m.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div className="card">
          <h2 className="small">Parameters</h2>
          {run.hyperparameters.length === 0 ? (
            <p className="muted small">Estimator defaults.</p>
          ) : (
            <table aria-label="Run parameters">
              <tbody>
                {run.hyperparameters.map((h) => (
                  <tr key={`${h.step_id}.${h.name}`}>
                    <td>
                      {h.name} <span className="small muted">{h.step_id}</span>
                    </td>
                    <td className="mono">{formatValue(h.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div className="card">
          <h2 className="small">Thresholds</h2>
          <Thresholds checks={run.thresholds ?? []} />
        </div>
        <div className="card">
          <h2 className="small">Registered</h2>
          {(run.model_versions ?? []).length === 0 ? (
            <p className="muted small">No model version.</p>
          ) : (
            <ul aria-label="Registered model versions">
              {run.model_versions!.map((v) => (
                <li key={`${v.name}@${v.number}`}>
                  <Link to={`/models/${encodeURIComponent(v.name)}`}>
                    {v.name} v{v.number}
                  </Link>{" "}
                  {v.passed === false && <span className="badge status-failed">failed validation</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
      </section>
    </>
  );
}

function FailureBanner({ run, onShowStep }: { run: RunDetails; onShowStep: (step: string) => void }) {
  if (run.status === "succeeded" || run.status === "running") return null;
  const step = run.steps.find((s) => s.status === "failed") ?? run.steps.find((s) => s.error_message);
  if (!step && !run.error) return null;
  return (
    <section className="state error failure" role="alert" aria-label="Why the run failed">
      <strong>
        Run {run.status}
        {step && (
          <>
            {" "}
            at step <span className="mono">{step.step_id}</span> ({step.phase})
          </>
        )}
        :
      </strong>{" "}
      <span className="detail">
        {step?.error_message ? `${step.error_type ? `${step.error_type}: ` : ""}${step.error_message}` : run.error}
      </span>
      {step && (
        <div className="row small">
          <button type="button" onClick={() => onShowStep(step.step_id)}>
            Show the log of {step.step_id}
          </button>
          <a href={stepLogUrl(run.run_id, step.step_id)} target="_blank" rel="noreferrer">
            raw log
          </a>
        </div>
      )}
    </section>
  );
}

function Thresholds({ checks }: { checks: ThresholdCheck[] }) {
  if (checks.length === 0) return <p className="muted small">None checked.</p>;
  return (
    <table aria-label="Threshold checks">
      <TableHead columns={["Metric", "Bound", "Observed", ""]} />
      <tbody>
        {checks.map((c) => (
          <tr key={`${c.step_id}.${c.metric}`} data-passed={String(c.passed)}>
            <td>{c.metric}</td>
            <td className="num">
              {c.min !== undefined && `≥ ${formatValue(c.min)}`}
              {c.min !== undefined && c.max !== undefined && " "}
              {c.max !== undefined && `≤ ${formatValue(c.max)}`}
            </td>
            <td className="num">{formatValue(c.value)}</td>
            <td>{c.passed !== undefined && <StatusBadge status={c.passed ? "passed" : "failed"} />}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
