import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { compareRuns, listExperiments, listRuns, useApi, type Comparison } from "../api";
import { RunCells } from "../components/RunCells";
import { Chart } from "../components/Chart";
import { ComparedTrials } from "../components/ComparedTrials";
import { ErrorBox, Guard } from "../components/State";
import {
  formatValue,
  isBest,
  parallelData,
  paramsToShow,
  plainMetricNames,
} from "../lib/compare";
import { OPERATORS, conditionProblem, runsSelection, type Condition } from "../lib/filter";

const PAGE = 50;

export function Compare() {
  const experiments = useApi(listExperiments, []);
  const [experiment, setExperiment] = useState("");
  const [status, setStatus] = useState("");
  const [draft, setDraft] = useState<Condition[]>([]);
  const [applied, setApplied] = useState<Condition[]>([]);
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: "started", desc: true });
  const [page, setPage] = useState(0);
  const runsPage = { sort: sort.key, descending: sort.desc, limit: PAGE, offset: page * PAGE };
  const selection = runsSelection(applied, experiment, status, runsPage);
  const runs = useApi(() => listRuns(selection), [selection]);
  const [selected, setSelected] = useState<string[]>([]);
  const [compared, setCompared] = useState<string[]>([]);

  const metricColumns = useMemo(() => plainMetricNames(runs.data?.runs ?? []).slice(0, 6), [runs.data]);
  const pages = Math.max(1, Math.ceil((runs.data?.total ?? 0) / PAGE));
  const shown = runs.data?.runs ?? [];

  const header = (key: string, label: string) => (
    <th aria-sort={sort.key === key ? (sort.desc ? "descending" : "ascending") : "none"}>
      <button className="sort" onClick={() => { setSort({ key, desc: sort.key === key ? !sort.desc : key !== "run_id" }); setPage(0); }}>
        {label} {sort.key === key ? (sort.desc ? "▼" : "▲") : ""}
      </button>
    </th>
  );
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const setCondition = (i: number, change: Partial<Condition>) =>
    setDraft((d) => d.map((c, j) => (j === i ? { ...c, ...change } : c)));

  return (
    <>
      <h1>Compare runs</h1>
      <section className="panel" aria-labelledby="filter-h">
        <h2 id="filter-h">Filter</h2>
        <div className="row">
          <label className="inline" htmlFor="f-experiment">
            Experiment
          </label>
          <select id="f-experiment" value={experiment} onChange={(e) => { setExperiment(e.target.value); setPage(0); }}>
            <option value="">all</option>
            {experiments.data?.experiments.map((e) => (
              <option key={e.identifier}>{e.identifier}</option>
            ))}
          </select>
          <label className="inline" htmlFor="f-status">
            Status
          </label>
          <select id="f-status" value={status} onChange={(e) => { setStatus(e.target.value); setPage(0); }}>
            <option value="">any</option>
            {["succeeded", "failed", "running", "cancelled", "interrupted"].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        {draft.map((c, i) => {
          const problem = conditionProblem(c);
          return (
            <div className="row" key={i} style={{ marginTop: "0.4rem" }}>
              {i > 0 ? (
                <select aria-label={`join of condition ${i + 1}`} value={c.join} onChange={(e) => setCondition(i, { join: e.target.value as Condition["join"] })}>
                  <option>and</option>
                  <option>or</option>
                </select>
              ) : (
                <span className="muted">where</span>
              )}
              <input
                aria-label={`field of condition ${i + 1}`}
                list="filter-fields"
                value={c.field}
                placeholder="metrics.accuracy"
                onChange={(e) => setCondition(i, { field: e.target.value })}
              />
              <select aria-label={`operator of condition ${i + 1}`} value={c.op} onChange={(e) => setCondition(i, { op: e.target.value as Condition["op"] })}>
                {OPERATORS.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
              <input aria-label={`value of condition ${i + 1}`} value={c.value} onChange={(e) => setCondition(i, { value: e.target.value })} />
              <button aria-label={`remove condition ${i + 1}`} onClick={() => setDraft((d) => d.filter((_, j) => j !== i))}>
                ✕
              </button>
              {problem && <span className="field-error">{problem}</span>}
            </div>
          );
        })}
        <datalist id="filter-fields">
          {["status", "experiment", "version", "started", ...metricColumns.map((m) => `metrics.${m}`)].map((f) => (
            <option key={f} value={f} />
          ))}
        </datalist>
        <div className="row" style={{ marginTop: "0.5rem" }}>
          <button onClick={() => setDraft((d) => [...d, { field: "metrics.accuracy", op: ">=", value: "", join: "and" }])}>Add condition</button>
          <button className="primary" onClick={() => { setApplied(draft); setPage(0); }}>
            Apply filter
          </button>
          {applied.length > 0 && (
            <button onClick={() => { setDraft([]); setApplied([]); }}>Clear filter</button>
          )}
        </div>
      </section>
      <section className="panel" aria-labelledby="runs-h">
        <div className="row">
          <h2 id="runs-h">Runs</h2>
          <span className="muted">{runs.data ? `${runs.data.total} run(s)` : ""}</span>
          <span className="spacer" />
          <span>{selected.length} selected</span>
          <button className="primary" disabled={selected.length < 2} onClick={() => setCompared(selected)}>
            Compare selected
          </button>
        </div>
        <Guard loaded={runs} what="runs" isEmpty={(d) => d.runs.length === 0} empty="No runs match.">
          {() => (
            <>
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
                      {metricColumns.map((m) => header(`metrics.${m}`, m))}
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((r) => (
                      <tr key={r.run_id} className={selected.includes(r.run_id) ? "selected" : ""}>
                        <td>
                          <input type="checkbox" aria-label={`select run ${r.run_id}`} checked={selected.includes(r.run_id)} onChange={() => toggle(r.run_id)} />
                        </td>
                        <RunCells run={r} />
                        {metricColumns.map((m) => (
                          <td key={m} className="num">
                            {formatValue(r.metrics[m])}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div className="pager">
                <button disabled={page === 0} onClick={() => setPage(page - 1)}>
                  Previous
                </button>
                <span>
                  Page {page + 1} of {pages}
                </span>
                <button disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
                  Next
                </button>
              </div>
            </>
          )}
        </Guard>
      </section>
      {compared.length >= 2 && <SideBySide runs={compared} />}
    </>
  );
}

function SideBySide({ runs }: { runs: string[] }) {
  const comparison = useApi(() => compareRuns(runs), [runs]);
  const [onlyDiffering, setOnlyDiffering] = useState(true);
  return (
    <section className="panel" aria-labelledby="cmp-h">
      <h2 id="cmp-h">Side by side</h2>
      {comparison.error && <ErrorBox error={comparison.error} title="Could not compare" />}
      <Guard loaded={comparison} what="the comparison">
        {(c) => {
          const params = paramsToShow(c, onlyDiffering);
          return (
            <>
              <label className="inline">
                <input type="checkbox" checked={onlyDiffering} onChange={(e) => setOnlyDiffering(e.target.checked)} /> Only params that
                differ
              </label>
              <div className="table-wrap" style={{ marginTop: "0.5rem" }}>
                <table aria-label="Comparison">
                  <thead>
                    <tr>
                      <th>Name</th>
                      {c.runs.map((r) => (
                        <th key={r.run_id}>
                          <Link to={`/runs/${r.run_id}`}>{r.run_id}</Link>
                          <div className="small muted">
                            {r.experiment} v{r.version}
                          </div>
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    <tr>
                      <th colSpan={c.runs.length + 1}>Metrics (best highlighted)</th>
                    </tr>
                    {c.metrics.map((m) => (
                      <tr key={m}>
                        <td>{m}</td>
                        {c.runs.map((r) => (
                          <td key={r.run_id} className={`num ${isBest(c.best, m, r.run_id) ? "best" : ""}`} title={isBest(c.best, m, r.run_id) ? "best" : undefined}>
                            {formatValue(r.metrics[m])}
                          </td>
                        ))}
                      </tr>
                    ))}
                    <tr>
                      <th colSpan={c.runs.length + 1}>
                        Params {onlyDiffering ? `(${params.length} that differ of ${c.params.length})` : `(${params.length})`}
                      </th>
                    </tr>
                    {params.length === 0 && (
                      <tr>
                        <td colSpan={c.runs.length + 1} className="muted">
                          No params differ.
                        </td>
                      </tr>
                    )}
                    {params.map((p) => (
                      <tr key={p}>
                        <td>{p}</td>
                        {c.runs.map((r) => (
                          <td key={r.run_id} className="num">
                            {formatValue(r.params[p])}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <h3>Metrics</h3>
              <div className="grid3">
                {c.metrics.map((m) => (
                  <Chart key={m} label={`bar chart of ${m}`} height={220} option={bars(c, m)} />
                ))}
              </div>
              <h3>Hyperparameters and metrics</h3>
              <Chart label="parallel coordinates" height={360} option={parallel(c, params)} />
              <ComparedTrials c={c} />
            </>
          );
        }}
      </Guard>
    </section>
  );
}

function bars(c: Comparison, metric: string) {
  return {
    title: { text: metric, textStyle: { fontSize: 12 } },
    grid: { left: 50, right: 10, top: 32, bottom: 40 },
    tooltip: {},
    animation: false,
    xAxis: { type: "category" as const, data: c.runs.map((r) => r.run_id.slice(0, 8)), axisLabel: { fontSize: 10 } },
    yAxis: { type: "value" as const, scale: true },
    series: [
      {
        type: "bar" as const,
        data: c.runs.map((r) => ({
          value: r.metrics[metric] ?? null,
          itemStyle: { color: isBest(c.best, metric, r.run_id) ? "#1f8a4c" : "#2457c5" },
        })),
      },
    ],
  };
}

function parallel(c: Comparison, params: string[]) {
  const { dims, lines } = parallelData(c, params);
  return {
    animation: false,
    tooltip: {},
    parallelAxis: dims.map((d, i) => ({ dim: i, name: d.name, nameTextStyle: { fontSize: 10 }, scale: true })),
    parallel: { left: 60, right: 80, top: 50, bottom: 30 },
    series: [
      {
        type: "parallel" as const,
        lineStyle: { width: 2, opacity: 0.7 },
        data: lines.map((l) => ({ name: l.run, value: l.values })),
      },
    ],
  };
}
