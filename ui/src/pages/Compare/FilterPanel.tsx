import { LabeledSelect } from "../../components/LabeledSelect";
import type { CompareState } from "../../lib/compareState";
import { OPERATORS, conditionProblem, type Condition } from "../../lib/filter";

const STATUSES = ["succeeded", "failed", "running", "cancelled", "interrupted"];

/** Experiment, status and the condition rows; "Apply filter" puts the conditions in the URL. */
export function FilterPanel({
  experiments,
  state,
  update,
  draft,
  setDraft,
  metricNames,
}: {
  experiments: string[];
  state: CompareState;
  update: (change: Partial<CompareState>) => void;
  draft: Condition[];
  setDraft: (change: (d: Condition[]) => Condition[]) => void;
  metricNames: string[];
}) {
  const setCondition = (i: number, change: Partial<Condition>) =>
    setDraft((d) => d.map((c, j) => (j === i ? { ...c, ...change } : c)));
  return (
    <section className="panel" aria-labelledby="filter-h">
      <h2 id="filter-h">Filter</h2>
      <div className="row">
        <LabeledSelect id="f-experiment" label="Experiment" value={state.experiment} onChange={(v) => update({ experiment: v, page: 0 })}>
          <option value="">all</option>
          {experiments.map((e) => (
            <option key={e}>{e}</option>
          ))}
        </LabeledSelect>
        <LabeledSelect id="f-status" label="Status" value={state.status} onChange={(v) => update({ status: v, page: 0 })}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </LabeledSelect>
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
        {["status", "experiment", "version", "started", ...metricNames.map((m) => `metrics.${m}`)].map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      <div className="row" style={{ marginTop: "0.5rem" }}>
        <button onClick={() => setDraft((d) => [...d, { field: "metrics.accuracy", op: ">=", value: "", join: "and" }])}>Add condition</button>
        <button className="primary" onClick={() => update({ conditions: draft, page: 0 })}>
          Apply filter
        </button>
        {state.conditions.length > 0 && <button onClick={() => update({ conditions: [], page: 0 })}>Clear filter</button>}
      </div>
    </section>
  );
}
