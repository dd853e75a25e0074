import { Background, Controls, MarkerType, Position, ReactFlow, type Edge, type Node } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import {
  ApiError,
  artifactUrl,
  cancelRun,
  errorText,
  exportUrl,
  followRun,
  getRun,
  getStepLog,
  rerunRun,
  resumeRun,
  useApi,
  type RunDetails,
  type StepRow,
} from "../api";
import { ErrorBox, Guard, StatusBadge } from "../components/State";
import { formatValue } from "../lib/compare";
import { hasExploreStep } from "../lib/explore";
import { waves } from "../lib/waves";
import { TableHead } from "../components/TableHead";
import { Trials } from "../components/Trials";
import { RunSummary } from "../components/RunSummary";
import { ArtifactBrowser } from "../components/ArtifactBrowser";
import { Refusal } from "../components/Refusal";
import { useRefusal } from "../lib/access";

const DONE = new Set(["succeeded", "failed", "cancelled", "interrupted"]);
/** Runs that `POST /api/runs/ID/resume` takes: their finished steps come from the step cache. */
const RESUMABLE = new Set(["failed", "cancelled", "interrupted"]);

export function RunView() {
  const { id = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const picked = search.get("step");
  const details = useApi(() => getRun(id), [id]);
  const [live, setLive] = useState<Record<string, string>>({});
  const [runStatus, setRunStatus] = useState<string | null>(null);
  const [connected, setConnected] = useState(false);
  const { reload } = details;

  useEffect(() => {
    setLive({});
    setRunStatus(null);
  }, [id]);

  // Live state: step and run events for this run; details reloaded as they come.
  useEffect(() => {
    if (!details.data || DONE.has(details.data.status)) return;
    const source = followRun(id, {
      open: () => setConnected(true),
      error: () => setConnected(false),
      step: (event) => {
        setLive((l) => ({ ...l, [event.step_id ?? ""]: event.status }));
        reload();
      },
      run: (event) => {
        setRunStatus(event.status);
        reload();
      },
    });
    // Events between the page's first load and the stream's start are caught by one reload.
    const settle = setTimeout(reload, 500);
    return () => {
      clearTimeout(settle);
      source.close();
      setConnected(false);
    };
  }, [id, details.data?.status, reload]); // eslint-disable-line react-hooks/exhaustive-deps

  const statusOf = (step: StepRow) => (DONE.has(step.status) || step.status === "skipped" ? step.status : live[step.step_id] ?? step.status);
  const overall = details.data ? (DONE.has(details.data.status) ? details.data.status : runStatus ?? details.data.status) : null;

  return (
    <>
      <div className="row">
        <h1>
          Run <span className="mono">{id}</span>
        </h1>
        {overall && <StatusBadge status={overall} />}
        {details.data && !DONE.has(details.data.status) && (
          <span className="muted small">{connected ? "live: following events" : "connecting to live events…"}</span>
        )}
        <span className="spacer" />
        {details.data && <RunActions run={details.data} onChange={reload} />}
      </div>
      <Guard loaded={details} what="the run">
        {(run) => (
          <>
            <p className="muted">
              Experiment <Link to={`/experiments/${run.identifier}`}>{run.identifier}</Link> v{run.version} · started{" "}
              {new Date(run.started).toLocaleString()}
              {run.ended && ` · ended ${new Date(run.ended).toLocaleString()}`} · provisioner {run.provisioner}
            </p>
            <RunSummary run={run} onShowStep={(step) => setSearch({ step })} />
            <div className="grid2" style={{ gridTemplateColumns: "3fr 2fr" }}>
              <div className="dag" data-testid="run-dag">
                <Dag run={run} statusOf={statusOf} onPick={(step) => setSearch({ step })} picked={picked} />
              </div>
              <aside className="panel" style={{ margin: 0 }}>
                <StepTable run={run} statusOf={statusOf} onPick={(step) => setSearch({ step })} picked={picked} />
              </aside>
            </div>
            {picked && run.steps.some((s) => s.step_id === picked) && (
              <StepDetail run={run} step={run.steps.find((s) => s.step_id === picked)!} status={statusOf(run.steps.find((s) => s.step_id === picked)!)} />
            )}
            {!picked && <p className="muted">Click a step to see its log, timings, metrics and artifacts.</p>}
            <Trials runId={run.run_id} status={run.steps.map((s) => s.status).join(",")} />
            <ArtifactBrowser run={run} />
          </>
        )}
      </Guard>
    </>
  );
}

function RunActions({ run, onChange }: { run: RunDetails; onChange: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [rerun, setRerun] = useState<string | null>(null);
  const why = useRefusal("runner", { kind: "experiment", resource: run.identifier });
  const gated = { disabled: !!why, "aria-describedby": why ? "run-actions-refusal" : undefined };
  return (
    <>
      {!DONE.has(run.status) && (
        <button
          className="danger"
          {...gated}
          onClick={() =>
            cancelRun(run.run_id)
              .then(onChange)
              .catch((e) => setError(errorText(e)))
          }
        >
          Cancel run
        </button>
      )}
      {RESUMABLE.has(run.status) && (
        <button
          {...gated}
          onClick={() =>
            resumeRun(run.run_id)
              .then((r) => setRerun(r.run_id))
              .catch((e) => setError(errorText(e)))
          }
        >
          Resume
        </button>
      )}
      <button
        {...gated}
        onClick={() =>
          rerunRun(run.run_id)
            .then((r) => setRerun(r.run_id))
            .catch((e) => setError(errorText(e)))
        }
      >
        Run again
      </button>
      {rerun && <Link to={`/runs/${rerun}`}>Open new run {rerun}</Link>}
      {hasExploreStep(run.steps) && (
        <Link className="button" to={`/explore?run=${run.run_id}`}>
          Explore data
        </Link>
      )}
      {run.models.length > 0 && (
        <Link className="button" to={`/lineage?model=${run.run_id}`}>
          Lineage
        </Link>
      )}
      {run.status === "succeeded" && (
        <a className="button" href={exportUrl(run.run_id)} download title="pipeline.py, verify.py, pinned requirements, data manifest">
          Export code
        </a>
      )}
      <Refusal why={why} id="run-actions-refusal" />
      {error && <ErrorBox error={error} />}
    </>
  );
}

function Dag({
  run,
  statusOf,
  onPick,
  picked,
}: {
  run: RunDetails;
  statusOf: (s: StepRow) => string;
  onPick: (step: string) => void;
  picked: string | null;
}) {
  const nodes: Node[] = useMemo(() => {
    const out: Node[] = [];
    waves(run.steps).forEach((wave, x) =>
      wave.forEach((stepId, y) => {
        const step = run.steps.find((s) => s.step_id === stepId);
        const status = step ? statusOf(step) : "pending";
        out.push({
          id: stepId,
          position: { x: x * 200, y: y * 90 + (wave.length === 1 ? 45 : 0) },
          data: {
            label: (
              <div data-step={stepId} data-status={status}>
                <strong>{stepId}</strong>
                <div className="small">
                  {status}
                  {step?.duration !== undefined && ` · ${step.duration.toFixed(2)} s`}
                </div>
                {step?.cache_hit && <div className="cached">cache hit</div>}
              </div>
            ),
          },
          className: `run-node ${status}${picked === stepId ? " selected" : ""}`,
          connectable: false,
          sourcePosition: Position.Right,
          targetPosition: Position.Left,
        });
      }),
    );
    return out;
  }, [run, statusOf, picked]);
  const edges: Edge[] = useMemo(
    () =>
      run.steps.flatMap((s) =>
        s.depends_on.map((d) => ({ id: `${d}->${s.step_id}`, source: d, target: s.step_id, markerEnd: { type: MarkerType.ArrowClosed } })),
      ),
    [run.steps],
  );
  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      fitView
      nodesConnectable={false}
      onNodeClick={(_, n) => onPick(n.id)}
      proOptions={{ hideAttribution: true }}
    >
      <Background />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}

function StepTable({ run, statusOf, onPick, picked }: { run: RunDetails; statusOf: (s: StepRow) => string; onPick: (s: string) => void; picked: string | null }) {
  return (
    <table aria-label="Steps">
      <TableHead columns={["Step", "Status", "Time", "Cache"]} />
      <tbody>
        {run.steps.map((s) => (
          <tr key={s.step_id} className={picked === s.step_id ? "selected" : ""} data-testid={`step-row-${s.step_id}`}>
            <td>
              <button className="sort" onClick={() => onPick(s.step_id)}>
                {s.step_id}
              </button>{" "}
              <span className="small muted">{s.phase}</span>
            </td>
            <td>
              <StatusBadge status={statusOf(s)} />
            </td>
            <td className="num">{s.duration !== undefined ? `${s.duration.toFixed(2)} s` : "—"}</td>
            <td>{s.cache_hit ? <span className="badge" title={s.reused_from}>cache hit</span> : ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function StepDetail({ run, step, status }: { run: RunDetails; step: StepRow; status: string }) {
  const [log, setLog] = useState<string | null>(null);
  const [logError, setLogError] = useState<string | null>(null);
  useEffect(() => {
    setLog(null);
    setLogError(null);
    if (status === "pending") return;
    getStepLog(run.run_id, step.step_id)
      .then(setLog)
      .catch((e) => setLogError(e instanceof ApiError ? e.message : String(e)));
  }, [run.run_id, step.step_id, status]);
  const metrics = run.metrics.filter((m) => m.step_id === step.step_id);
  const hyper = run.hyperparameters.filter((h) => h.step_id === step.step_id);
  const artifacts = run.artifacts.filter((a) => a.step_id === step.step_id);
  return (
    <section className="panel" aria-labelledby="step-h">
      <h2 id="step-h">
        Step {step.step_id} <StatusBadge status={status} />
      </h2>
      <div className="grid3">
        <div>
          <h3>Timing</h3>
          <p className="small">
            Phase {step.phase}
            <br />
            Started {step.started ? new Date(step.started).toLocaleTimeString() : "—"}
            <br />
            Ended {step.ended ? new Date(step.ended).toLocaleTimeString() : "—"}
            <br />
            Duration {step.duration !== undefined ? `${step.duration.toFixed(3)} s` : "—"}
            <br />
            {step.cache_hit ? (
              <>
                <strong>Cache hit</strong>: reused {step.reused_from}
              </>
            ) : (
              step.worker && `Ran on ${step.worker}`
            )}
          </p>
        </div>
        <div>
          <h3>Metrics</h3>
          {metrics.length === 0 ? (
            <p className="muted small">None.</p>
          ) : (
            <table aria-label="Step metrics">
              <tbody>
                {metrics.map((m) => (
                  <tr key={m.metric}>
                    <td>{m.metric}</td>
                    <td className="num">{formatValue(m.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div>
          <h3>Artifacts</h3>
          {artifacts.length === 0 ? (
            <p className="muted small">None.</p>
          ) : (
            <ul>
              {artifacts.map((a) => (
                <li key={a.sha256 + a.kind}>
                  <a href={artifactUrl(a.sha256)} download>
                    {a.kind}
                  </a>{" "}
                  <span className="small muted">
                    {(a.size / 1024).toFixed(1)} KiB, {a.media_type}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      {hyper.length > 0 && (
        <details>
          <summary>Hyperparameters ({hyper.length})</summary>
          <table aria-label="Hyperparameters">
            <tbody>
              {hyper.map((h) => (
                <tr key={h.name}>
                  <td>{h.name}</td>
                  <td>{formatValue(h.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      <h3>Log</h3>
      {status === "pending" && <p className="muted">The step has not started.</p>}
      {logError && <p className="state empty">{logError}</p>}
      {log !== null && <pre aria-label="step log">{log || "(empty log)"}</pre>}
    </section>
  );
}
