import { Link } from "react-router-dom";
import { getHealth, listDeployments, listModels, listRuns, useApi } from "../api";
import { RunCells } from "../components/RunCells";
import { Guard, StatusBadge } from "../components/State";
import { formatValue } from "../lib/compare";
import { TableHead } from "../components/TableHead";

export function Dashboard() {
  const runs = useApi(() => listRuns({ limit: 12 }), []);
  const models = useApi(listModels, []);
  const health = useApi(getHealth, []);
  const deployments = useApi(listDeployments, []);
  return (
    <>
      <h1>Dashboard</h1>
      <section className="panel" aria-labelledby="health-h">
        <h2 id="health-h">Platform health</h2>
        <Guard loaded={health} what="platform health">
          {(h) => (
            <div className="cards">
              <div className="card">
                <div className="muted small">Status</div>
                <div className="big">
                  <StatusBadge status={h.status} />
                </div>
              </div>
              <div className="card">
                <div className="muted small">Store</div>
                <div>{h.store.backend}</div>
                <div className="small">{h.store.reachable ? "reachable" : "NOT reachable"}</div>
              </div>
              <div className="card">
                <div className="muted small">Active runs</div>
                <div className="big">{h.active_runs}</div>
                <div className="small">provisioner: {h.provisioner.name}</div>
              </div>
              <div className="card">
                <div className="muted small">Deployments running</div>
                <div className="big">
                  {deployments.data ? deployments.data.deployments.filter((d) => d.status === "running").length : "…"}
                </div>
                <div className="small">version {h.version}</div>
              </div>
            </div>
          )}
        </Guard>
      </section>
      <div className="grid2">
        <section className="panel" aria-labelledby="runs-h">
          <h2 id="runs-h">Recent runs</h2>
          <Guard
            loaded={runs}
            what="runs"
            isEmpty={(d) => d.runs.length === 0}
            empty={
              <>
                No runs yet. Build a pipeline in the <Link to="/builder">builder</Link> or run an experiment from{" "}
                <Link to="/experiments">Experiments</Link>.
              </>
            }
          >
            {(d) => (
              <table>
                <TableHead columns={["Run", "Experiment", "Status", "Started", "Accuracy / r2"]} />
                <tbody>
                  {d.runs.map((r) => (
                    <tr key={r.run_id}>
                      <RunCells run={r} />
                      <td className="num">{formatValue(r.metrics.accuracy ?? r.metrics.r2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Guard>
        </section>
        <section className="panel" aria-labelledby="champ-h">
          <h2 id="champ-h">Champion models</h2>
          <Guard loaded={models} what="models" isEmpty={(d) => d.models.length === 0} empty="No registered models yet: a successful build step registers one.">
            {(d) => {
              const champions = d.models.filter((m) => m.aliases.champion !== undefined);
              return (
                <>
                  {champions.length === 0 && <p className="muted">No champion yet: promote a version on the Models page.</p>}
                  <table>
                    <TableHead columns={["Model", "Task", "Champion", "Latest"]} />
                    <tbody>
                      {d.models.map((m) => (
                        <tr key={m.name}>
                          <td className="wrap-anywhere">
                            <Link to={`/models/${m.name}`}>{m.name}</Link>
                          </td>
                          <td>{m.task}</td>
                          <td>{m.aliases.champion !== undefined ? `v${m.aliases.champion}` : "—"}</td>
                          <td>v{m.latest_version}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </>
              );
            }}
          </Guard>
        </section>
      </div>
    </>
  );
}
