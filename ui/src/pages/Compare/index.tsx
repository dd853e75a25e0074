import { useEffect, useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { listExperiments, listRuns, useApi } from "../../api";
import { Guard } from "../../components/State";
import { plainMetricNames, plainParamNames } from "../../lib/compare";
import { loadColumns, parseFilter, readState, saveColumns, writeState, type Columns, type CompareState } from "../../lib/compareState";
import { buildFilter, runsSelection, type Condition } from "../../lib/filter";
import { ColumnChooser } from "./ColumnChooser";
import { FilterPanel } from "./FilterPanel";
import { OverTime } from "./OverTime";
import { RunsTable } from "./RunsTable";
import { SideBySide } from "./SideBySide";

const PAGE = 50;

/** Compare runs: everything a user picks (filter, sort, page, selection, the runs compared) is
 * in the URL, so a reload or a shared link shows the same; the columns chosen are remembered. */
export function Compare() {
  const [query, setQuery] = useSearchParams();
  // The page's own state answers clicks at once; the URL follows it (replaced, not pushed).
  const [state, setState] = useState<CompareState>(() => readState(query));
  const update = (change: Partial<CompareState>) => setState((s) => ({ ...s, ...change }));
  const wanted = writeState(state).toString();
  useEffect(() => {
    if (wanted !== query.toString()) setQuery(new URLSearchParams(wanted), { replace: true });
  }, [wanted, query, setQuery]);
  const experiments = useApi(listExperiments, []);
  const runsPage = { sort: state.sort.key, descending: state.sort.desc, limit: PAGE, offset: state.page * PAGE };
  const selection = runsSelection(state.conditions, state.experiment, state.status, runsPage);
  const runs = useApi(() => listRuns(selection), [selection]);
  const filterText = buildFilter(state.conditions);
  const [draft, setDraft] = useState<Condition[]>(state.conditions);
  useEffect(() => setDraft(parseFilter(filterText)), [filterText]);

  const shown = runs.data?.runs ?? [];
  const metricNames = useMemo(() => plainMetricNames(shown), [shown]);
  const paramNames = useMemo(() => plainParamNames(shown), [shown]);
  const [chosen, setChosen] = useState<Columns | null>(() => loadColumns());
  const columns: Columns = chosen ?? { metrics: metricNames.slice(0, 6), params: [], tags: true };
  const choose = (next: Columns) => {
    saveColumns(next);
    setChosen(next);
  };
  const pages = Math.max(1, Math.ceil((runs.data?.total ?? 0) / PAGE));
  const toggle = (id: string) =>
    setState((s) => ({ ...s, selected: s.selected.includes(id) ? s.selected.filter((x) => x !== id) : [...s.selected, id] }));

  return (
    <>
      <h1>Compare runs</h1>
      <FilterPanel
        experiments={experiments.data?.experiments.map((e) => e.identifier) ?? []}
        state={state}
        update={update}
        draft={draft}
        setDraft={setDraft}
        metricNames={metricNames}
      />
      <section className="panel" aria-labelledby="runs-h">
        <div className="row">
          <h2 id="runs-h">Runs</h2>
          <span className="muted">{runs.data ? `${runs.data.total} run(s)` : ""}</span>
          <span className="spacer" />
          <ColumnChooser metrics={metricNames} params={paramNames} columns={columns} onChange={choose} />
          <span>{state.selected.length} selected</span>
          <button className="primary" disabled={state.selected.length < 2} onClick={() => update({ compared: state.selected })}>
            Compare selected
          </button>
        </div>
        <Guard loaded={runs} what="runs" isEmpty={(d) => d.runs.length === 0} empty="No runs match.">
          {() => (
            <>
              <RunsTable
                runs={shown}
                columns={columns}
                sort={state.sort}
                onSort={(sort) => update({ sort, page: 0 })}
                selected={state.selected}
                onToggle={toggle}
              />
              <div className="pager">
                <button disabled={state.page === 0} onClick={() => update({ page: state.page - 1 })}>
                  Previous
                </button>
                <span>
                  Page {state.page + 1} of {pages}
                </span>
                <button disabled={state.page + 1 >= pages} onClick={() => update({ page: state.page + 1 })}>
                  Next
                </button>
              </div>
            </>
          )}
        </Guard>
      </section>
      {state.experiment && <OverTime experiment={state.experiment} />}
      {state.compared.length >= 2 && <SideBySide runs={state.compared} onSaved={runs.reload} />}
    </>
  );
}
