import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import {
  deployModel,
  errorText,
  getModel,
  listDeployments,
  listModels,
  promoteModel,
  removeDeployment,
  stopDeployment,
  useApi,
  useReloadOnChange,
} from "../api";
import { AliasControls, useChampionGuard } from "../components/AliasControls";
import { LiveTraffic } from "../components/LiveTraffic";
import { ModelSignature } from "../components/ModelSignature";
import { Refusal } from "../components/Refusal";
import { useRefusal } from "../lib/access";
import { ErrorBox, Guard, StatusBadge } from "../components/State";
import { formatValue } from "../lib/compare";
import { TableHead } from "../components/TableHead";

export function Models() {
  const { name } = useParams();
  const models = useApi(listModels, []);
  useReloadOnChange(models.reload); // aliases and versions change on other pages too
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
  // Promotion needs editor on the model; deployments are the platform's (a global editor).
  const cannotPromote = useRefusal("editor", { kind: "model", resource: name });
  const cannotDeploy = useRefusal("editor");

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
  const { dialog, guard } = useChampionGuard(name);
  const promote = (version: number, mustBeat: boolean) =>
    guard(model.data?.aliases ?? {}, "champion", version, () =>
      act("Promotion", async () => {
        const change = await promoteModel(name, version, "champion", mustBeat);
        return `champion → v${change.version}${change.previous ? ` (was v${change.previous})` : ""}`;
      }),
    );
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
  const remove = (id: string) =>
    act("Removing", async () => {
      await removeDeployment(id);
      return `deployment ${id} removed`;
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
                          <button disabled={busy || !!cannotPromote} aria-describedby={cannotPromote ? "promote-refusal" : undefined} onClick={() => promote(v.version, false)}>
                            Promote v{v.version} to champion
                          </button>
                          <button
                            disabled={busy || !!cannotPromote}
                            aria-describedby={cannotPromote ? "promote-refusal" : undefined}
                            onClick={() => promote(v.version, true)}
                            title="only if it beats the current champion"
                          >
                            Promote if better
                          </button>
                          <button className="primary" disabled={busy || !!cannotDeploy} aria-describedby={cannotDeploy ? "deploy-refusal" : undefined} onClick={() => deploy(v.version)}>
                            Deploy v{v.version}
                          </button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Refusal why={cannotPromote} id="promote-refusal" />
            {cannotDeploy !== cannotPromote && <Refusal why={cannotDeploy} id="deploy-refusal" />}
            <AliasControls model={m} act={act} busy={busy} />
            <ModelSignature name={name} versions={m.versions.map((v) => v.version)} />
          </>
        )}
      </Guard>
      {dialog}
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
              <button className="danger" disabled={busy || !!cannotDeploy} title={cannotDeploy ?? undefined} onClick={() => stop(d.id)}>
                Stop {d.id}
              </button>
            )}
            {d.status === "stopped" && (
              <button disabled={busy || !!cannotDeploy} title={cannotDeploy ?? undefined} onClick={() => remove(d.id)}>
                Remove {d.id}
              </button>
            )}
          </div>
          {d.status === "running" && <LiveTraffic id={d.id} />}
        </div>
      ))}
    </>
  );
}
