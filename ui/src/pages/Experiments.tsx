import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { errorText, getExperiment, listExperiments, listRuns, startRun, useApi } from "../api";
import { Refusal } from "../components/Refusal";
import { useRefusal } from "../lib/access";
import { ErrorBox, Guard } from "../components/State";
import { TableHead } from "../components/TableHead";

export function Experiments() {
  const { id } = useParams();
  const list = useApi(listExperiments, []);
  return (
    <>
      <h1>Experiments</h1>
      <div className="grid2" style={{ gridTemplateColumns: "minmax(320px, 1fr) 2fr" }}>
        <section className="panel">
          <h2>All experiments</h2>
          <Guard
            loaded={list}
            what="experiments"
            isEmpty={(d) => d.experiments.length === 0}
            empty={
              <>
                No experiments yet. Make one in the <Link to="/builder">pipeline builder</Link> or with{" "}
                <code>ontolab submit FILE.ttl</code>.
              </>
            }
          >
            {(d) => (
              <table>
                <TableHead columns={["Experiment", "Task", "Versions"]} />
                <tbody>
                  {d.experiments.map((e) => (
                    <tr key={e.identifier} className={e.identifier === id ? "selected" : ""}>
                      <td className="wrap-anywhere">
                        <Link to={`/experiments/${e.identifier}`}>{e.identifier}</Link>
                        {e.label && <div className="small muted">{e.label}</div>}
                      </td>
                      <td>{e.task}</td>
                      <td>{e.versions}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Guard>
        </section>
        <section className="panel">
          {id ? <Versions id={id} /> : <p className="muted">Pick an experiment to see its versions and their Turtle.</p>}
        </section>
      </div>
    </>
  );
}

function Versions({ id }: { id: string }) {
  const found = useApi(() => getExperiment(id), [id]);
  const runs = useApi(() => listRuns({ experiment: id, limit: 20 }), [id]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const why = useRefusal("runner", { kind: "experiment", resource: id });
  async function run(version: number) {
    setBusy(true);
    setError(null);
    try {
      const started = await startRun(id, version);
      navigate(`/runs/${started.run_id}`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <h2 className="wrap-anywhere">{id}</h2>
      {error && <ErrorBox error={error} title="Could not start the run" />}
      <Refusal why={why} id="run-refusal" />
      <Guard loaded={found} what="versions">
        {(d) => (
          <>
            {[...d.versions].sort((a, b) => b.version - a.version).map((v, i) => (
              <details key={v.version} open={i === 0}>
                <summary>
                  <strong>Version {v.version}</strong> <span className="muted small">created {new Date(v.created).toLocaleString()}</span>{" "}
                  <button
                    className="primary"
                    disabled={busy || !!why}
                    aria-describedby={why ? "run-refusal" : undefined}
                    onClick={() => run(v.version)}
                  >
                    Run version {v.version}
                  </button>{" "}
                  <Link to={`/builder?experiment=${encodeURIComponent(id)}&version=${v.version}`}>Open version {v.version} in builder</Link>
                </summary>
                <pre aria-label={`Turtle of version ${v.version}`}>{v.turtle}</pre>
              </details>
            ))}
          </>
        )}
      </Guard>
      <h3>Recent runs</h3>
      <Guard loaded={runs} what="runs" isEmpty={(d) => d.runs.length === 0} empty="Not run yet.">
        {(d) => (
          <ul>
            {d.runs.map((r) => (
              <li key={r.run_id}>
                <Link to={`/runs/${r.run_id}`}>{r.run_id}</Link> (v{r.version}, {r.status})
              </li>
            ))}
          </ul>
        )}
      </Guard>
    </>
  );
}
