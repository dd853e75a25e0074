import type { LoggedPrediction, PredictionSample } from "../../api";
import { Empty } from "../../components/State";
import { TableHead } from "../../components/TableHead";
import { agreement, inputSummary, plain, shortTime } from "../../lib/monitoring";

/** The last logged requests, newest first, with their feedback. */
export function RequestLog({ sample, task }: { sample: PredictionSample; task: string | null }) {
  const log = sample.prediction_log;
  if (!log.enabled) return <Empty>This deployment keeps no prediction log: deploy it again with prediction_log true.</Empty>;
  if (sample.predictions.length === 0) return <Empty>No request logged yet: send one to the deployment's /predict.</Empty>;
  return (
    <>
      <p className="muted small">
        The last {sample.predictions.length} requests, newest first (the log keeps {log.files} files of {log.max_mb} MB, rotating).
      </p>
      <div className="table-wrap">
        <table aria-label="Request log">
          <TableHead columns={["Time (UTC)", "Request id", "Rows", "Inputs", "Predictions", "Feedback", "Right"]} />
          <tbody>
            {sample.predictions.map((p) => (
              <LoggedRow key={p.request_id} logged={p} right={task === "classification" ? agreement(p.predictions, p.labels) : null} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function LoggedRow({ logged, right }: { logged: LoggedPrediction; right: { right: number; of: number } | null }) {
  return (
    <tr>
      <td className="num">{shortTime(logged.time)}</td>
      <td>
        <code className="small">{logged.request_id}</code>
      </td>
      <td className="num">{logged.inputs.length}</td>
      <td className="small" title={JSON.stringify(logged.inputs[0] ?? {})}>
        {inputSummary(logged.inputs)}
      </td>
      <td>{logged.predictions.map(plain).join(", ")}</td>
      <td>{logged.labels ? logged.labels.map(plain).join(", ") : <span className="muted">—</span>}</td>
      <td className="num">{right ? `${right.right} of ${right.of}` : "—"}</td>
    </tr>
  );
}
