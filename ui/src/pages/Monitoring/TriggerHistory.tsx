import { Link } from "react-router-dom";
import { listTriggerFirings, listTriggers, useApi } from "../../api";
import { Empty, Guard } from "../../components/State";
import { TableHead } from "../../components/TableHead";
import { shortTime, plain } from "../../lib/monitoring";
import { type FiringRow, mergeFirings, triggerName } from "../../lib/operations";

const PER_TRIGGER = 20;
const SHOWN = 30;
const COLUMNS = ["Time (UTC)", "What fired", "Observed value", "Outcome", "Run it started", "Firing", "Detail"];

/** The firings of every trigger of the experiment that built the deployed model, newest first. */
export function TriggerHistory({ experiment, tick }: { experiment: string; tick: string }) {
  const loaded = useApi(async () => {
    const { triggers } = await listTriggers(experiment);
    const each = await Promise.all(triggers.map((t) => listTriggerFirings(experiment, t.id, PER_TRIGGER)));
    return { triggers, firings: mergeFirings(triggers, each.map((e) => e.firings), SHOWN) };
  }, [experiment, tick]);
  return (
    <Guard loaded={loaded} what="the trigger history">
      {({ triggers, firings }) =>
        triggers.length === 0 ? (
          <Empty>
            No trigger on experiment {experiment}: add one with POST /api/experiments/{experiment}/triggers (or `ontolab triggers add`).
          </Empty>
        ) : (
          <>
            <p className="muted small">
              Triggers of experiment <Link to={`/experiments/${experiment}`}>{experiment}</Link>:{" "}
              {triggers.map((t) => triggerName(t, t.id)).join(" · ")}
            </p>
            {firings.length === 0 ? (
              <Empty>No trigger has fired yet.</Empty>
            ) : (
              <div className="table-wrap">
                <table aria-label="Trigger firings">
                  <TableHead columns={COLUMNS} />
                  <tbody>
                    {firings.map((f) => (
                      <FiringRowView key={f.id} firing={f} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )
      }
    </Guard>
  );
}

function FiringRowView({ firing }: { firing: FiringRow }) {
  const started = firing.outcome === "started";
  return (
    <tr data-firing={firing.id}>
      <td className="num">{shortTime(firing.time)}</td>
      <td>{triggerName(firing.fired_by, firing.trigger)}</td>
      <td className="num">{plain(firing.observed_value)}</td>
      <td>
        <span className={`badge status-${started ? "ok" : firing.outcome === "failed" ? "failed" : "pending"}`}>
          {firing.outcome.replace("_", " ")}
        </span>
      </td>
      <td>
        {firing.run_id ? (
          <Link to={`/runs/${firing.run_id}`}>{firing.run_id}</Link>
        ) : firing.in_flight_run ? (
          <span className="muted small">
            none: <Link to={`/runs/${firing.in_flight_run}`}>{firing.in_flight_run}</Link> in flight
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>
        <code className="small">{firing.id}</code>
      </td>
      <td className="small">{firing.detail}</td>
    </tr>
  );
}
