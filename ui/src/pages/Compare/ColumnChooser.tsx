import type { Columns } from "../../lib/compareState";

/** Which metrics, params and tags the runs table shows (the page remembers the choice). */
export function ColumnChooser({
  metrics,
  params,
  columns,
  onChange,
}: {
  metrics: string[];
  params: string[];
  columns: Columns;
  onChange: (columns: Columns) => void;
}) {
  const flip = (kind: "metrics" | "params", name: string) => {
    const now = columns[kind];
    onChange({ ...columns, [kind]: now.includes(name) ? now.filter((n) => n !== name) : [...now, name] });
  };
  const box = (kind: "metrics" | "params", name: string) => (
    <label key={`${kind}-${name}`} className="inline chooser-item">
      <input type="checkbox" aria-label={`column ${kind === "metrics" ? "metric" : "param"} ${name}`} checked={columns[kind].includes(name)} onChange={() => flip(kind, name)} />{" "}
      {name}
    </label>
  );
  return (
    <details className="column-chooser">
      <summary>Columns</summary>
      <div className="chooser-panel" role="group" aria-label="Columns to show">
        <strong className="small">Metrics</strong>
        {metrics.map((m) => box("metrics", m))}
        <strong className="small">Params</strong>
        {params.length === 0 && <span className="small muted">none</span>}
        {params.map((p) => box("params", p))}
        <label className="inline chooser-item">
          <input type="checkbox" aria-label="column tags" checked={columns.tags} onChange={() => onChange({ ...columns, tags: !columns.tags })} /> tags
        </label>
      </div>
    </details>
  );
}
