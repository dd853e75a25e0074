import { Link } from "react-router-dom";
import type { RunSummary } from "../api";
import { StatusBadge } from "./State";

/** The cells every runs table starts with: run link, experiment version, status, start. */
export function RunCells({ run }: { run: RunSummary }) {
  return (
    <>
      <td>
        {run.number != null && <span className="small muted">#{run.number} </span>}
        <Link to={`/runs/${run.run_id}`}>{run.run_id}</Link>
      </td>
      <td className="wrap-anywhere">
        {run.experiment} v{run.version}
      </td>
      <td>
        <StatusBadge status={run.status} />
      </td>
      <td className="small">{new Date(run.started).toLocaleString()}</td>
    </>
  );
}
