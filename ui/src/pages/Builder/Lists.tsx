// The structured values of a step's form: hyperparameters and search space (name, value
// rows), thresholds, and resources.

import type { Vocabulary } from "../../api";
import { fieldProblem } from "../../lib/fieldChecks";
import type { KeyValue, StepData, Threshold } from "../../lib/pipeline";

export function PairList({
  title,
  prefix,
  rows,
  valueLabel,
  onChange,
}: {
  title: string;
  prefix: string;
  rows: KeyValue[];
  valueLabel: string;
  onChange: (rows: KeyValue[]) => void;
}) {
  const set = (i: number, change: Partial<KeyValue>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  const names = rows.map((r) => r.name.trim()).filter(Boolean);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  return (
    <fieldset>
      <legend>{title}</legend>
      {rows.map((r, i) => (
        <div className="row" key={i}>
          <input aria-label={`${title} ${i + 1} name`} id={`${prefix}-${i}-name`} placeholder="name" value={r.name} onChange={(e) => set(i, { name: e.target.value })} style={{ width: "40%" }} />
          <input aria-label={`${title} ${i + 1} ${valueLabel}`} id={`${prefix}-${i}-value`} placeholder="value" value={r.value} onChange={(e) => set(i, { value: e.target.value })} style={{ width: "40%" }} />
          <button type="button" aria-label={`remove ${title} ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      {repeated.length > 0 && (
        <div className="field-error" role="alert">
          {repeated.join(", ")} is given twice; only the last one counts
        </div>
      )}
      <button type="button" onClick={() => onChange([...rows, { name: "", value: "" }])}>
        Add {title.toLowerCase()}
      </button>
    </fieldset>
  );
}

export function Thresholds({
  prefix,
  rows,
  metrics,
  onChange,
}: {
  prefix: string;
  rows: Threshold[];
  metrics: string[];
  onChange: (rows: Threshold[]) => void;
}) {
  const set = (i: number, change: Partial<Threshold>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  return (
    <fieldset>
      <legend>Thresholds</legend>
      {rows.map((r, i) => (
        <div className="row" key={i}>
          <select aria-label={`threshold ${i + 1} metric`} id={`${prefix}-${i}-metric`} value={r.metric} onChange={(e) => set(i, { metric: e.target.value })}>
            <option value="">— metric —</option>
            {metrics.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
          <input aria-label={`threshold ${i + 1} minimum`} type="number" step="any" placeholder="min" value={r.min ?? ""} onChange={(e) => set(i, { min: e.target.value })} style={{ width: "5rem" }} />
          <input aria-label={`threshold ${i + 1} maximum`} type="number" step="any" placeholder="max" value={r.max ?? ""} onChange={(e) => set(i, { max: e.target.value })} style={{ width: "5rem" }} />
          <button type="button" aria-label={`remove threshold ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...rows, { metric: "", min: "", max: "" }])}>
        Add threshold
      </button>
    </fieldset>
  );
}

const RESOURCES = [
  ["cpus", "CPUs", "number"],
  ["memory", "Memory (512m, 2g)", "text"],
  ["timeout_seconds", "Timeout (s)", "number"],
] as const;

export function Resources({
  prefix,
  resources,
  vocab,
  onChange,
}: {
  prefix: string;
  resources: StepData["resources"];
  vocab: Vocabulary;
  onChange: (resources: StepData["resources"]) => void;
}) {
  return (
    <>
      <h3>Resources</h3>
      <div className="grid2" style={{ gap: "0.4rem" }}>
        {RESOURCES.map(([key, label, kind]) => {
          const field = vocab.resources.find((r) => r.name === key);
          const problem = field ? fieldProblem({ ...field, label }, resources[key]) : null;
          return (
            <div key={key}>
              <label htmlFor={`${prefix}-${key}`}>{label}</label>
              <input
                id={`${prefix}-${key}`}
                type={kind}
                min={kind === "number" ? 0 : undefined}
                step="any"
                value={resources[key] ?? ""}
                aria-invalid={problem ? true : undefined}
                onChange={(e) => onChange({ ...resources, [key]: e.target.value })}
                style={{ width: "100%" }}
              />
              {problem && (
                <div className="field-error" role="alert">
                  {problem}
                </div>
              )}
            </div>
          );
        })}
      </div>
    </>
  );
}
