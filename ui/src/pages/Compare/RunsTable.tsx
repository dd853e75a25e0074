import type { RunSummary } from "../../api";
import { RunCells } from "../../components/RunCells";
import { formatValue } from "../../lib/compare";
import type { Columns } from "../../lib/compareState";

type Sort = { key: string; desc: boolean };

/** The runs of one page: sortable headers, a tick box per run, the chosen columns. */
export function RunsTable({
  runs,
  columns,
  sort,
  onSort,
  selected,
  onToggle,
}: {
  runs: RunSummary[];
  columns: Columns;
  sort: Sort;
  onSort: (sort: Sort) => void;
  selected: string[];
  onToggle: (id: string) => void;
}) {
  const header = (key: string, label: string) => (
    <th key={key} aria-sort={sort.key === key ? (sort.desc ? "descending" : "ascending") : "none"}>
      <button className="sort" onClick={() => onSort({ key, desc: sort.key === key ? !sort.desc : key !== "run_id" })}>
        {label} {sort.key === key ? (sort.desc ? "▼" : "▲") : ""}
      </button>
    </th>
  );
  return (
    <div className="table-wrap">
      <table aria-label="Runs">
        <thead>
          <tr>
            <th>
              <span className="sr-only">Select</span>
            </th>
            {header("run_id", "Run")}
            {header("experiment", "Experiment")}
            {header("status", "Status")}
            {header("started", "Started")}
            {columns.metrics.map((m) => header(`metrics.${m}`, m))}
            {columns.params.map((p) => header(`params.${p}`, p))}
            {columns.tags && <th>Tags</th>}
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.run_id} className={selected.includes(r.run_id) ? "selected" : ""}>
              <td>
                <input type="checkbox" aria-label={`select run ${r.run_id}`} checked={selected.includes(r.run_id)} onChange={() => onToggle(r.run_id)} />
              </td>
              <RunCells run={r} />
              {columns.metrics.map((m) => (
                <td key={`m-${m}`} className="num">
                  {formatValue(r.metrics[m])}
                </td>
              ))}
              {columns.params.map((p) => (
                <td key={`p-${p}`} className="num">
                  {formatValue(r.params[p])}
                </td>
              ))}
              {columns.tags && (
                <td>
                  <Tags tags={r.tags} />
                  {r.note && (
                    <span className="badge" title={r.note}>
                      note
                    </span>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Tags({ tags }: { tags?: Record<string, string> }) {
  return (
    <>
      {Object.entries(tags ?? {}).map(([k, v]) => (
        <span key={k} className="badge tag">
          {v ? `${k}: ${v}` : k}
        </span>
      ))}
    </>
  );
}
