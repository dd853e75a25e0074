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
          <StepValues label="Run metrics" none="None recorded." rows={run.metrics.map((m) => ({ step: m.step_id, name: m.metric, value: m.value }))} />
        </div>
        <div className="card">
          <h2 className="small">Parameters</h2>
          <StepValues label="Run parameters" none="Estimator defaults." rows={run.hyperparameters} />
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

/** Named values, each with the step that recorded it. */
function StepValues({ label, none, rows }: { label: string; none: string; rows: { step_id?: string; step?: string; name: string; value: unknown }[] }) {
  if (rows.length === 0) return <p className="muted small">{none}</p>;
  return (
    <table aria-label={label}>
      <tbody>
        {rows.map((r) => {
          const step = r.step ?? r.step_id;
          return (
            <tr key={`${step}.${r.name}`}>
              <td>
                {r.name} <span className="small muted">{step}</span>
              </td>
              <td className="num">{formatValue(r.value)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
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
          <button
            type="button"
            onClick={() => {
              onShowStep(step.step_id);
              // the step's panel (with its log) renders below the DAG once the URL says so
              setTimeout(() => document.getElementById("step-h")?.scrollIntoView(), 50);
            }}
          >
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
