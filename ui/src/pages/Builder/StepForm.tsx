import { useState, type Dispatch } from "react";
import type { Edge } from "@xyflow/react";
import type { Vocabulary, Violation } from "../../api";
import { SourceOptions } from "../../components/DatasetSourceField";
import { stepIdProblem } from "../../lib/fieldChecks";
import type { StepData } from "../../lib/pipeline";
import { PairList, Resources, Thresholds } from "./Lists";
import { ParamField } from "./ParamField";
import type { Action, StepNode } from "./state";

/** The side panel's form of the selected step: its id, inputs, parameters and structured values. */
export function StepForm({
  node,
  nodes,
  edges,
  vocab,
  task,
  errors,
  dispatch,
}: {
  node: StepNode;
  nodes: StepNode[];
  edges: Edge[];
  vocab: Vocabulary;
  task: string;
  errors: Violation[];
  dispatch: Dispatch<Action>;
}) {
  const data = node.data;
  const spec = vocab.steps.find((s) => s.type === data.stepType);
  const inputs = edges.filter((e) => e.target === node.id).map((e) => e.source);
  const others = nodes.filter((n) => n.id !== node.id && !inputs.includes(n.id));
  const stepName = (id: string) => nodes.find((n) => n.id === id)?.data.stepId;
  const unplaced = errors.filter((v) => !v.path || !spec?.parameters.some((p) => p.path === v.path));
  const onChange = (change: Partial<StepData>) => dispatch({ type: "update", id: node.id, change });
  const fid = (name: string) => `f-${node.id}-${name}`;
  // The id field holds what you type; the step takes it only when it is a free, valid id.
  const [idText, setIdText] = useState(data.stepId);
  const idError = idText === data.stepId ? null : stepIdProblem(idText, node.id, nodes);

  return (
    <form onSubmit={(e) => e.preventDefault()} aria-label={`Parameters of ${data.stepId}`}>
      <h2>{spec?.label ?? data.stepType}</h2>
      <p className="small muted">{spec?.comment}</p>
      <label htmlFor={fid("id")}>Step id</label>
      <input
        id={fid("id")}
        value={idText}
        aria-invalid={idError ? true : undefined}
        onChange={(e) => {
          setIdText(e.target.value);
          if (!stepIdProblem(e.target.value, node.id, nodes)) onChange({ stepId: e.target.value });
        }}
      />
      {idError && (
        <p className="field-error" role="alert">
          {idError}; the step keeps the id "{data.stepId}".
        </p>
      )}
      {unplaced.map((v, i) => (
        <p key={i} className="field-error">
          {v.path ? `${v.path}: ` : ""}
          {v.message}
        </p>
      ))}
      <h3>Inputs</h3>
      {spec && spec.consumes.max === 0 ? (
        <p className="small muted">Reads its source; consumes nothing.</p>
      ) : (
        <>
          <ul className="small">
            {inputs.length === 0 && <li className="muted">none yet</li>}
            {inputs.map((id) => (
              <li key={id}>
                {stepName(id)}{" "}
                <button type="button" aria-label={`remove input ${stepName(id)}`} onClick={() => dispatch({ type: "disconnect", source: id, target: node.id })}>
                  ✕
                </button>
              </li>
            ))}
          </ul>
          {others.length > 0 && (
            <>
              <label htmlFor={fid("input")}>Add input from</label>
              <select id={fid("input")} value="" onChange={(e) => e.target.value && dispatch({ type: "connect", source: e.target.value, target: node.id })}>
                <option value="">— a step whose output this one consumes —</option>
                {others.map((n) => (
                  <option key={n.id} value={n.id}>
                    {n.data.stepId}
                  </option>
                ))}
              </select>
            </>
          )}
          {spec && <p className="field-help">Consumes {spec.consumes.max === spec.consumes.min ? spec.consumes.min : `${spec.consumes.min} or more`} input(s).</p>}
        </>
      )}
      {spec && spec.parameters.length > 0 && <h3>Parameters</h3>}
      {spec?.parameters
        .filter((p) => p.max_count !== 0) // a property this kind of step must not have
        .map((p) => (
          <ParamField
            key={p.name}
            id={fid(p.name)}
            field={p}
            value={data.params[p.name] ?? ""}
            choices={vocab.choices_by_task[p.name]?.[task] ?? p.in}
            vocab={vocab}
            serverErrors={errors.filter((v) => v.path === p.path).map((v) => v.message)}
            source={String(data.params.source ?? "")}
            onChange={(value) => onChange({ params: { ...data.params, [p.name]: value } })}
          />
        ))}
      <SourceOptions id="source-list" bundled={vocab.sources} />
      {spec?.structures.includes("hyper_parameter") && (
        <PairList
          title="Hyperparameters"
          prefix={fid("hp")}
          rows={data.hyperParameters}
          valueLabel="value (JSON: 1.0, true, &quot;lbfgs&quot;)"
          onChange={(rows) => onChange({ hyperParameters: rows })}
        />
      )}
      {spec?.structures.includes("search_space") && (
        <PairList title="Search space" prefix={fid("ss")} rows={data.searchSpace} valueLabel="candidates, comma separated" onChange={(rows) => onChange({ searchSpace: rows })} />
      )}
      {spec?.structures.includes("threshold") && (
        <Thresholds
          prefix={fid("th")}
          rows={data.thresholds}
          metrics={vocab.choices_by_task.metric_name?.[task] ?? vocab.threshold.find((t) => t.name === "metric_name")?.in?.map(String) ?? []}
          onChange={(rows) => onChange({ thresholds: rows })}
        />
      )}
      <Resources prefix={fid("res")} resources={data.resources} vocab={vocab} onChange={(resources) => onChange({ resources })} />
      <p style={{ marginTop: "1rem" }}>
        <button type="button" className="danger" onClick={() => dispatch({ type: "remove", id: node.id })}>
          Remove step
        </button>
      </p>
    </form>
  );
}
