import { useEffect, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { getDeployment, getMonitoring, getMonitoringHistory, getPredictionSample, listDeployments, useApi } from "../../api";
import { ErrorBox, Guard, Loading, StatusBadge } from "../../components/State";
import { LiveTraffic } from "../../components/LiveTraffic";
import { FeatureTable } from "./FeatureTable";
import { HistoryCharts } from "./HistoryCharts";
import { Operations } from "./Operations";
import { RequestLog } from "./RequestLog";
import { WindowPicker } from "./WindowPicker";
import { WindowSummary } from "./WindowSummary";

const HISTORY_LIMIT = 100;
const SAMPLE_LIMIT = 20;
const AUTO_MS = 30_000;

/** A deployment's monitoring: one window evaluated now, the recorded windows, the request log,
 * the model's champion and challenger (with a rollback) and the trigger history. */
export function Monitoring() {
  const { id = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const spec = search.get("window") ?? undefined;
  const [auto, setAuto] = useState(false);
  // Bumped after a rollback: the deployment (it may follow the alias) and the operations reload.
  const [changes, setChanges] = useState(0);
  const [changed, setChanged] = useState<string | null>(null);
  const evaluation = useApi(() => getMonitoring(id, spec), [id, spec]);
  const done = evaluation.data?.evaluated_at ?? (evaluation.error ? "failed" : null);
  // Read again after each evaluation too: a promotion elsewhere may have switched its version.
  const deployment = useApi(() => getDeployment(id), [id, changes, done]);
  // Read the history and the log after each evaluation, so the window just recorded is in them.
  const history = useApi(done ? () => getMonitoringHistory(id, HISTORY_LIMIT) : null, [id, done]);
  const sample = useApi(done ? () => getPredictionSample(id, SAMPLE_LIMIT) : null, [id, done]);
  const { reload } = evaluation;
  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(reload, AUTO_MS);
    return () => clearInterval(timer);
  }, [auto, reload]);

  const current = spec ?? evaluation.data?.window.spec ?? (evaluation.error ? "last:1000" : "");
  const pick = (picked: string) => {
    if (picked === spec) reload();
    else setSearch({ window: picked });
  };
  // A refused window shows its reason alone, not the figures of the window before it.
  const evaluated = evaluation.error ? null : evaluation.data;
  return (
    <>
      <div className="row">
        <h1>Monitoring of deployment {id}</h1>
        <span className="spacer" />
        <DeploymentPicker id={id} refresh={`${changes}:${done ?? ""}`} />
      </div>
      <section className="panel" aria-labelledby="deployment-h">
        <h2 id="deployment-h" className="sr-only">
          Deployment
        </h2>
        <Guard loaded={deployment} what="the deployment">
          {(d) => (
            <div className="row">
              <strong>
                <Link to={`/models/${d.model}`}>{d.model}</Link> v{d.version}
              </strong>
              {d.alias && <span className="badge">follows {d.alias}</span>}
              <StatusBadge status={d.status} />
              <code className="small">{d.url}/predict</code>
            </div>
          )}
        </Guard>
        {/* Live traffic beside the window: request rate, p95 latency, error rate. */}
        <Guard loaded={deployment} what="the deployment's traffic">
          {(d) => (d.status === "running" ? <LiveTraffic id={d.id} /> : null)}
        </Guard>
      </section>
      {changed && (
        <p className="state ok" role="status">
          {changed}
        </p>
      )}
      <section className="panel" aria-labelledby="window-h">
        <h2 id="window-h">Current window</h2>
        {current && <WindowPicker key={current} current={current} onPick={pick} />}
        <div className="row">
          <button onClick={reload} disabled={evaluation.loading}>
            Evaluate now
          </button>
          <label className="inline">
            <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> every {AUTO_MS / 1000} s
          </label>
          {evaluated && <span className="muted small">evaluated {evaluated.evaluated_at}</span>}
        </div>
        {evaluation.error && <ErrorBox error={evaluation.error} title="Could not evaluate the window" />}
        {evaluation.loading && <Loading what="Evaluating the window" />}
        {evaluated && (
          <>
            <WindowSummary evaluation={evaluated} />
            {evaluated.drift_note && <p className="notice">{evaluated.drift_note}</p>}
            {evaluated.drift && <FeatureTable drift={evaluated.drift} />}
          </>
        )}
      </section>
      <section className="panel" aria-labelledby="history-h">
        <h2 id="history-h">Over windows</h2>
        <Guard loaded={history} what="the recorded windows">
          {(h) => <HistoryCharts history={h.evaluations} driftShareLimit={evaluated?.drift?.thresholds.drift_share ?? null} />}
        </Guard>
      </section>
      <section className="panel" aria-labelledby="log-h">
        <h2 id="log-h">Request log (sample)</h2>
        <Guard loaded={sample} what="the request log">
          {(s) => <RequestLog sample={s} task={evaluation.data?.performance.task ?? null} />}
        </Guard>
      </section>
      {deployment.data && (
        <Operations
          deployment={deployment.data}
          refresh={`${changes}:${done ?? ""}`}
          onChanged={(message) => {
            setChanged(message);
            setChanges((n) => n + 1);
          }}
        />
      )}
    </>
  );
}

/** Switch to another deployment's monitoring, keeping the window. */
function DeploymentPicker({ id, refresh }: { id: string; refresh: string }) {
  const deployments = useApi(listDeployments, [refresh]);
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const list = deployments.data?.deployments ?? [];
  if (list.length < 2) return null;
  return (
    <label className="inline">
      Deployment
      <select value={id} onChange={(e) => navigate(`/deployments/${e.target.value}/monitoring?${search.toString()}`)}>
        {list.map((d) => (
          <option key={d.id} value={d.id}>
            {d.id} · {d.model} v{d.version} · {d.status}
          </option>
        ))}
      </select>
    </label>
  );
}
