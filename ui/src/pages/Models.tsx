import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import {
  deployModel,
  errorText,
  getDeploymentMetrics,
  getModel,
  listDeployments,
  listModels,
  promoteModel,
  stopDeployment,
  useApi,
} from "../api";
import { Chart } from "../components/Chart";
import { ErrorBox, Guard, StatusBadge } from "../components/State";
import { formatValue } from "../lib/compare";
import { parsePrometheus, traffic, type Scrape } from "../lib/prometheus";
import { TableHead } from "../components/TableHead";

export function Models() {
  const { name } = useParams();
  const models = useApi(listModels, []);
  const navigate = useNavigate();
  return (
    <>
      <h1>Models</h1>
      <div className="grid2" style={{ gridTemplateColumns: "minmax(280px, 1fr) 3fr" }}>
        <section className="panel">
          <h2>Registry</h2>
          <Guard
            loaded={models}
            what="models"
            isEmpty={(d) => d.models.length === 0}
            empty="No models yet: each successful build step registers a model version."
          >
            {(d) => (
              <>
                <label htmlFor="model-pick">Model</label>
                <select id="model-pick" value={name ?? ""} onChange={(e) => navigate(`/models/${e.target.value}`)}>
                  <option value="">— pick a model —</option>
                  {d.models.map((m) => (
                    <option key={m.name} value={m.name}>
                      {m.name}
                    </option>
                  ))}
                </select>
                <ul>
                  {d.models.map((m) => (
                    <li key={m.name}>
                      <Link to={`/models/${m.name}`}>{m.name}</Link>{" "}
                      <span className="muted small">
                        {m.task}, {m.versions} version{m.versions === 1 ? "" : "s"}
                        {Object.entries(m.aliases).map(([a, v]) => ` · ${a} → v${v}`)}
                      </span>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </Guard>
        </section>
        <section className="panel">{name ? <ModelDetail name={name} /> : <p className="muted">Pick a model.</p>}</section>
      </div>
    </>
  );
}

function ModelDetail({ name }: { name: string }) {
  const model = useApi(() => getModel(name), [name]);
  const deployments = useApi(listDeployments, []);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(what: string, action: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ ok: true, text: await action() });
    } catch (e) {
      setMessage({ ok: false, text: `${what} refused: ${errorText(e)}` });
    } finally {
      setBusy(false);
      model.reload();
      deployments.reload();
    }
  }
  const promote = (version: number, mustBeat: boolean) =>
    act("Promotion", async () => {
      const change = await promoteModel(name, version, "champion", mustBeat);
      return `champion → v${change.version}${change.previous ? ` (was v${change.previous})` : ""}`;
    });
  const deploy = (version: number) =>
    act("Deployment", async () => {
      const d = await deployModel(name, version);
      return `v${d.version} deployed at ${d.url}`;
    });
  const stop = (id: string) =>
    act("Stopping", async () => {
      await stopDeployment(id);
      return `deployment ${id} stopped`;
    });

  const mine = (deployments.data?.deployments ?? []).filter((d) => d.model === name);
  return (
    <>
      <h2>{name}</h2>
      {message && (message.ok ? <p className="state ok" role="status">{message.text}</p> : <ErrorBox error={message.text} title="Refused" />)}
      <Guard loaded={model} what="model versions">
        {(m) => (
          <>
            <p className="muted">
              Task: {m.task}. Aliases:{" "}
              {Object.keys(m.aliases).length ? Object.entries(m.aliases).map(([a, v]) => `${a} → v${v}`).join(", ") : "none"}.
            </p>
            <div className="table-wrap">
              <table aria-label="Model versions">
                <TableHead columns={["Version", "Run", "Primary metric", "Validation", "Aliases", "Actions"]} />
                <tbody>
                  {[...m.versions].reverse().map((v) => (
                    <tr key={v.version}>
                      <td>v{v.version}</td>
                      <td>
                        <Link to={`/runs/${v.run_id}`}>{v.run_id}</Link>
                        <div className="small">
                          <Link to={`/lineage?model=${v.run_id}`}>lineage</Link>
                        </div>
                      </td>
                      <td className="num">
                        {v.primary_metric} {formatValue(v.primary_value)}
                      </td>
                      <td className="small">
                        <StatusBadge status={v.passed_validation ? "succeeded" : "failed"} /> {v.validation_note}
                      </td>
                      <td>{v.aliases.join(", ") || "—"}</td>
                      <td>
                        <div className="row">
                          <button disabled={busy} onClick={() => promote(v.version, false)}>
                            Promote v{v.version} to champion
                          </button>
                          <button disabled={busy} onClick={() => promote(v.version, true)} title="only if it beats the current champion">
                            Promote if better
                          </button>
                          <button className="primary" disabled={busy} onClick={() => deploy(v.version)}>
                            Deploy v{v.version}
                          </button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Guard>
      <h3>Deployments</h3>
      {deployments.error && <ErrorBox error={deployments.error} title="Could not load deployments" />}
      {mine.length === 0 && !deployments.loading && <p className="state empty">Not deployed. Deploy a version above.</p>}
      {mine.map((d) => (
        <div key={d.id} className="card" style={{ marginBottom: "0.8rem" }}>
          <div className="row">
            <strong>v{d.version}</strong>
            <StatusBadge status={d.status} />
            <span>
              Endpoint: <code className="deployment-url">{d.url}/predict</code>
            </span>
            <span className="spacer" />
            <Link to={`/deployments/${d.id}/monitoring`}>Monitoring of {d.id}</Link>
            {d.status === "running" && (
              <button className="danger" disabled={busy} onClick={() => stop(d.id)}>
                Stop {d.id}
              </button>
            )}
          </div>
          {d.status === "running" && <LiveTraffic id={d.id} />}
        </div>
      ))}
    </>
  );
}

const POLL_MS = 2000;
const KEEP = 60;

function LiveTraffic({ id }: { id: string }) {
  const [points, setPoints] = useState<{ at: number; rate: number; latency: number | null }[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let previous: Scrape | null = null;
    let stopped = false;
    async function poll() {
      try {
        const text = await getDeploymentMetrics(id);
        const scrape = { at: Date.now(), samples: parsePrometheus(text) };
        if (previous) {
          const t = traffic(previous, scrape);
          if (!stopped) setPoints((p) => [...p, { at: scrape.at, rate: t.rate, latency: t.latencyMs }].slice(-KEEP));
        }
        previous = scrape;
        if (!stopped) setError(null);
      } catch (e) {
        if (!stopped) setError(errorText(e));
      }
    }
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [id]);
  const rateOption = useMemo(() => line("Requests per second", points.map((p) => [p.at, p.rate])), [points]);
  const latencyOption = useMemo(
    () => line("Mean latency (ms)", points.map((p) => [p.at, p.latency])),
    [points],
  );
  return (
    <>
      {error && <ErrorBox error={error} title="Could not read the deployment's metrics" />}
      <div className="grid2">
        <Chart option={rateOption} height={200} label="request rate" />
        <Chart option={latencyOption} height={200} label="latency" />
      </div>
      <p className="muted small">Polled every {POLL_MS / 1000} s from the model server's /metrics.</p>
    </>
  );
}

function line(title: string, data: (number | null)[][]) {
  return {
    title: { text: title, textStyle: { fontSize: 13 } },
    grid: { left: 50, right: 16, top: 36, bottom: 28 },
    tooltip: { trigger: "axis" as const },
    xAxis: { type: "time" as const },
    yAxis: { type: "value" as const, min: 0 },
    animation: false,
    series: [{ type: "line" as const, data, showSymbol: false, connectNulls: false }],
  };
}
