import type { PredictionSample } from "../../api";
import { Empty } from "../../components/State";
import { TableHead } from "../../components/TableHead";
import { inputSummary, plain, shortTime } from "../../lib/monitoring";

/** The last logged requests, newest first, with their feedback. */
export function RequestLog({ sample }: { sample: PredictionSample }) {
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
          <TableHead columns={["Time (UTC)", "Request id", "Rows", "Inputs", "Predictions", "Feedback"]} />
          <tbody>
            {sample.predictions.map((p) => (
              <tr key={p.request_id}>
                <td className="num">{shortTime(p.time)}</td>
                <td>
                  <code className="small">{p.request_id}</code>
                </td>
                <td className="num">{p.inputs.length}</td>
                <td className="small" title={JSON.stringify(p.inputs)}>
                  {inputSummary(p.inputs)}
                </td>
                <td>{p.predictions.map(plain).join(", ")}</td>
                <td>{p.labels ? p.labels.map(plain).join(", ") : <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
