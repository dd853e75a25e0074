import { Background, Controls, MarkerType, Position, ReactFlow, type Edge, type Node } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { ApiError, errorText, getJson, getText, request, sendJson, useJson } from "../api";
import { ErrorBox, Guard, Loading, StatusBadge } from "../components/State";
import { formatValue } from "../lib/compare";

interface StepRow {
  stepId: string;
  phase: string;
  status: string;
  started?: string;
  ended?: string;
  duration?: number;
  cacheHit: boolean;
  reusedFrom?: string;
  worker?: string;
}
interface RunDetails {
  runId: string;
  status: string;
  started: string;
  ended?: string;
  identifier: string;
  version: number;
  provisioner: string;
  steps: StepRow[];
  metrics: { stepId: string; metric: string; value: number }[];
  hyperparameters: { stepId: string; name: string; value: unknown }[];
  artifacts: { stepId: string; kind: string; sha256: string; size: number; mediaType: string }[];
  models: { model: string; name: string }[];
}
interface Plan {
  steps: { id: string; phase: string; depends_on: string[] }[];
  waves: string[][];
}

const DONE = new Set(["succeeded", "failed", "cancelled", "interrupted"]);
/** Runs that `POST /api/runs/ID/resume` takes: their finished steps come from the step cache. */
const RESUMABLE = new Set(["failed", "cancelled", "interrupted"]);

/** The steps and their dependencies, from the run's experiment version (planned again, not stored). */
async function loadPlan(experiment: string, version: number): Promise<Plan> {
  const stored = await getJson<{ turtle: string }>(`/api/experiments/${encodeURIComponent(experiment)}/versions/${version}`);
  const response = await request("/api/experiments/validate", {
    method: "POST",
    headers: { "Content-Type": "text/turtle", Accept: "application/json" },
    body: stored.turtle,
  });
  return response.json();
}

export function RunView() {
  const { id = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const picked = search.get("step");
  const details = useJson<RunDetails>(`/api/runs/${id}`);
  const [live, setLive] = useState<Record<string, string>>({});
  const [runStatus, setRunStatus] = useState<string | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [connected, setConnected] = useState(false);
  const { reload } = details;

  useEffect(() => {
    setLive({});
    setRunStatus(null);
  }, [id]);

  // Live state: step and run events for this run; details reloaded as they come.
  useEffect(() => {
    if (!details.data || DONE.has(details.data.status)) return;
    const source = new EventSource(`/api/events?run=${id}`);
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    const onStep = (e: MessageEvent) => {
      const event = JSON.parse(e.data) as { step_id: string; status: string };
      setLive((l) => ({ ...l, [event.step_id]: event.status }));
      reload();
    };
    const onRun = (e: MessageEvent) => {
      const event = JSON.parse(e.data) as { status: string };
      setRunStatus(event.status);
      reload();
    };
    source.addEventListener("step", onStep);
    source.addEventListener("run", onRun);
    // Events between the page's first load and the stream's start are caught by one reload.
    const settle = setTimeout(reload, 500);
    return () => {
      clearTimeout(settle);
      source.close();
      setConnected(false);
    };
  }, [id, details.data?.status, reload]); // eslint-disable-line react-hooks/exhaustive-deps

  const experiment = details.data?.identifier;
  const version = details.data?.version;
  useEffect(() => {
    if (!experiment || !version) return;
    loadPlan(experiment, version)
      .then((p) => {
        setPlan(p);
        setPlanError(null);
      })
      .catch((e) => setPlanError(errorText(e)));
  }, [experiment, version]);

  const statusOf = (step: StepRow) => (DONE.has(step.status) || step.status === "skipped" ? step.status : live[step.stepId] ?? step.status);
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
            {planError && <ErrorBox error={planError} title="Could not draw the pipeline" />}
            <div className="grid2" style={{ gridTemplateColumns: "3fr 2fr" }}>
              <div className="dag" data-testid="run-dag">
                {plan ? (
                  <Dag plan={plan} run={run} statusOf={statusOf} onPick={(step) => setSearch({ step })} picked={picked} />
                ) : (
                  !planError && <Loading what="Drawing the pipeline" />
                )}
              </div>
              <aside className="panel" style={{ margin: 0 }}>
                <StepTable run={run} statusOf={statusOf} onPick={(step) => setSearch({ step })} picked={picked} />
              </aside>
            </div>
            {picked && run.steps.some((s) => s.stepId === picked) && (
              <StepDetail run={run} step={run.steps.find((s) => s.stepId === picked)!} status={statusOf(run.steps.find((s) => s.stepId === picked)!)} />
            )}
            {!picked && <p className="muted">Click a step to see its log, timings, metrics and artifacts.</p>}
          </>
        )}
      </Guard>
    </>
  );
}

function RunActions({ run, onChange }: { run: RunDetails; onChange: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [rerun, setRerun] = useState<string | null>(null);
  return (
    <>
      {!DONE.has(run.status) && (
        <button
          className="danger"
          onClick={() =>
            request(`/api/runs/${run.runId}/cancel`, { method: "POST" })
              .then(onChange)
              .catch((e) => setError(errorText(e)))
          }
        >
          Cancel run
        </button>
      )}
      {RESUMABLE.has(run.status) && (
        <button
          onClick={() =>
            sendJson<{ run_id: string }>("POST", `/api/runs/${run.runId}/resume`, {})
              .then((r) => setRerun(r.run_id))
              .catch((e) => setError(errorText(e)))
          }
        >
          Resume
        </button>
      )}
      <button
        onClick={() =>
          sendJson<{ run_id: string }>("POST", `/api/runs/${run.runId}/rerun`, {})
            .then((r) => setRerun(r.run_id))
            .catch((e) => setError(errorText(e)))
        }
      >
        Run again
      </button>
      {rerun && <Link to={`/runs/${rerun}`}>Open new run {rerun}</Link>}
      <Link className="button" to={`/explore?run=${run.runId}`}>
        Explore data
      </Link>
      {run.models.length > 0 && (
        <Link className="button" to={`/lineage?model=${run.runId}`}>
          Lineage
        </Link>
      )}
      {error && <ErrorBox error={error} />}
    </>
  );
}

function Dag({
  plan,
  run,
  statusOf,
  onPick,
  picked,
}: {
  plan: Plan;
  run: RunDetails;
  statusOf: (s: StepRow) => string;
  onPick: (step: string) => void;
  picked: string | null;
}) {
  const nodes: Node[] = useMemo(() => {
    const out: Node[] = [];
    plan.waves.forEach((wave, x) =>
      wave.forEach((stepId, y) => {
        const step = run.steps.find((s) => s.stepId === stepId);
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
                {step?.cacheHit && <div className="cached">cache hit</div>}
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
  }, [plan, run, statusOf, picked]);
  const edges: Edge[] = useMemo(
    () =>
      plan.steps.flatMap((s) =>
        s.depends_on.map((d) => ({ id: `${d}->${s.id}`, source: d, target: s.id, markerEnd: { type: MarkerType.ArrowClosed } })),
      ),
    [plan],
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
      <thead>
        <tr>
          <th>Step</th>
          <th>Status</th>
          <th>Time</th>
          <th>Cache</th>
        </tr>
      </thead>
      <tbody>
        {run.steps.map((s) => (
          <tr key={s.stepId} className={picked === s.stepId ? "selected" : ""} data-testid={`step-row-${s.stepId}`}>
            <td>
              <button className="sort" onClick={() => onPick(s.stepId)}>
                {s.stepId}
              </button>{" "}
              <span className="small muted">{s.phase}</span>
            </td>
            <td>
              <StatusBadge status={statusOf(s)} />
            </td>
            <td className="num">{s.duration !== undefined ? `${s.duration.toFixed(2)} s` : "—"}</td>
            <td>{s.cacheHit ? <span className="badge" title={s.reusedFrom}>cache hit</span> : ""}</td>
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
    getText(`/api/runs/${run.runId}/steps/${step.stepId}/log`)
      .then(setLog)
      .catch((e) => setLogError(e instanceof ApiError ? e.message : String(e)));
  }, [run.runId, step.stepId, status]);
  const metrics = run.metrics.filter((m) => m.stepId === step.stepId);
  const hyper = run.hyperparameters.filter((h) => h.stepId === step.stepId);
  const artifacts = run.artifacts.filter((a) => a.stepId === step.stepId);
  return (
    <section className="panel" aria-labelledby="step-h">
      <h2 id="step-h">
        Step {step.stepId} <StatusBadge status={status} />
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
            {step.cacheHit ? (
              <>
                <strong>Cache hit</strong>: reused {step.reusedFrom}
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
                  <a href={`/api/artifacts/${a.sha256}`} download>
                    {a.kind}
                  </a>{" "}
                  <span className="small muted">
                    {(a.size / 1024).toFixed(1)} KiB, {a.mediaType}
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
