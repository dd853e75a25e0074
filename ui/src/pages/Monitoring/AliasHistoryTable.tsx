import type { AliasHistory, PromotionDecision } from "../../api";
import { TableHead } from "../../components/TableHead";
import { shortTime } from "../../lib/monitoring";
import { mergePeriods, servedPeriods, whyChanged } from "../../lib/operations";

const COLUMNS = ["Alias", "Version", "From (UTC)", "Until (UTC)", "Change", "Why"];

/** Which version each alias pointed at (and so served) when, and why it changed, newest first. */
export function AliasHistoryTable({ histories, decisions }: { histories: AliasHistory[]; decisions: PromotionDecision[] }) {
  const periods = mergePeriods(histories.map((h) => servedPeriods(h.alias, h.changes)));
  return (
    <div className="table-wrap">
      <table aria-label="Alias history">
        <TableHead columns={COLUMNS} />
        <tbody>
          {periods.map((p) => (
            <tr key={p.iri} data-alias={p.alias} data-cause={p.cause}>
              <td>{p.alias}</td>
              <td>{p.version === null ? <span className="muted">deleted</span> : `v${p.version}`}</td>
              <td className="num">{shortTime(p.time)}</td>
              <td className="num">{p.until ? shortTime(p.until) : <span className="badge status-ok">now</span>}</td>
              <td>
                {p.kind}
                {p.previous !== null && <span className="muted small"> from v{p.previous}</span>}
              </td>
              <td className="small">{whyChanged(p, decisions)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
