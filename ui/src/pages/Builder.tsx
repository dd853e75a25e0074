import {
  Background,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  ReactFlowProvider,
  addEdge,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type Connection,
  type Edge,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import { useCallback, useMemo, useState, type DragEvent } from "react";
import { useNavigate } from "react-router-dom";
import {
  ApiError,
  createExperiment,
  errorText,
  getVocabulary,
  listCodeBundles,
  sendWithCode,
  startRun,
  useApi,
  validateExperiment,
  type PipelineDocument,
  type StoredVersion,
  type Validation,
  type Vocabulary,
  type Violation,
  type VocabularyField,
} from "../api";
import { CodeSource } from "../components/CodeSource";
import { SourceOptions, TargetColumnField } from "../components/DatasetSourceField";
import { ErrorBox, Guard } from "../components/State";
import { codeChoice } from "../lib/codeBundles";
import {
  cycleIfAdded,
  freshStepId,
  toPipelineDocument,
  violationsByStep,
  type KeyValue,
  type StepData,
  type Threshold,
} from "../lib/pipeline";

type StepNode = Node<StepData & { errors?: Violation[] }, "step">;
const DRAG_TYPE = "application/ontolab-step";

function StepBox({ data, selected }: NodeProps<StepNode>) {
  const errors = data.errors ?? [];
  return (
    <div className={`step-node${selected ? " selected" : ""}${errors.length ? " has-errors" : ""}`} data-step={data.stepId}>
      <Handle type="target" position={Position.Left} aria-label={`input of ${data.stepId}`} />
      <div className="type">{data.stepType}</div>
      <strong>{data.stepId}</strong>
      {errors.length > 0 && (
        <ul className="errors" aria-label={`problems of ${data.stepId}`}>
          {errors.map((v, i) => (
            <li key={i}>
              {v.path ? `${v.path}: ` : ""}
              {v.message}
            </li>
          ))}
        </ul>
      )}
      <Handle type="source" position={Position.Right} aria-label={`output of ${data.stepId}`} />
    </div>
  );
}
const NODE_TYPES = { step: StepBox };

export function Builder() {
  const vocabulary = useApi(getVocabulary, []);
  return (
    <>
      <h1>Pipeline builder</h1>
      <Guard loaded={vocabulary} what="the vocabulary (SHACL shapes)">
        {(vocab) => (
          <ReactFlowProvider>
            <Canvas vocab={vocab} />
          </ReactFlowProvider>
        )}
      </Guard>
    </>
  );
}

function emptyStep(stepId: string, stepType: string): StepData {
  return { stepId, stepType, params: {}, hyperParameters: [], searchSpace: [], thresholds: [], resources: {} };
}

function Canvas({ vocab }: { vocab: Vocabulary }) {
  // The palette: the step classes the platform runs (those with a phase), from the vocabulary.
  const types = vocab.steps.filter((s) => s.phase);
  const [nodes, setNodes, onNodesChange] = useNodesState<StepNode>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const [experiment, setExperiment] = useState({ id: "", label: "", task: vocab.task[0] ?? "classification" });
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [violations, setViolations] = useState<Violation[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [success, setSuccess] = useState<string | null>(null);
  const [saved, setSaved] = useState<{ identifier: string; version: number } | null>(null);
  const [busy, setBusy] = useState(false);
  // The code folder, zipped, for code steps: sent with the definition as a multipart part.
  const [code, setCode] = useState<File | null>(null);
  // Or the sha256 of a bundle an earlier version of this experiment brought: not sent again.
  const [picked, setPicked] = useState("");
  const flow = useReactFlow();
  const navigate = useNavigate();
  const counter = useMemo(() => ({ next: 1 }), []);

  const addStep = useCallback(
    (stepType: string, position?: { x: number; y: number }) => {
      const vocabStep = vocab.steps.find((s) => s.type === stepType);
      const base = vocabStep?.phase ?? stepType.toLowerCase();
      setNodes((current) => {
        const stepId = freshStepId(base, current.map((n) => n.data.stepId));
        const id = `n${counter.next++}`;
        const at = position ?? { x: 40 + current.length * 190, y: 120 + (current.length % 2) * 60 };
        setSelectedId(id);
        return [...current, { id, type: "step", position: at, data: emptyStep(stepId, stepType) }];
      });
      setSaved(null);
    },
    [vocab, setNodes, counter],
  );

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    const stepType = event.dataTransfer.getData(DRAG_TYPE);
    if (!stepType) return;
    addStep(stepType, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };

  const connect = useCallback(
    (connection: Connection | { source: string; target: string }) => {
      const name = (id: string) => nodes.find((n) => n.id === id)?.data.stepId ?? id;
      const cycle = cycleIfAdded(edges, connection.source, connection.target);
      if (cycle) {
        setNotice(`Refused: ${name(connection.source)} → ${name(connection.target)} would make a cycle (${cycle.map(name).join(" → ")}).`);
        return;
      }
      if (edges.some((e) => e.source === connection.source && e.target === connection.target)) return;
      setNotice(null);
      setSaved(null);
      setEdges((current) =>
        addEdge({ ...connection, markerEnd: { type: MarkerType.ArrowClosed } } as Edge, current),
      );
    },
    [edges, nodes, setEdges],
  );

  const byStep = useMemo(() => violationsByStep(violations, nodes.map((n) => n.data.stepId)), [violations, nodes]);
  const shownNodes = useMemo(
    () => nodes.map((n) => ({ ...n, data: { ...n.data, errors: byStep.get(n.data.stepId) } })),
    [nodes, byStep],
  );
  const selected = nodes.find((n) => n.id === selectedId) ?? null;

  const updateData = (id: string, change: Partial<StepData>) => {
    setSaved(null);
    setNodes((current) => current.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...change } } : n)));
  };
  const removeStep = (id: string) => {
    setNodes((current) => current.filter((n) => n.id !== id));
    setEdges((current) => current.filter((e) => e.source !== id && e.target !== id));
    setSelectedId(null);
  };

  const document = () => toPipelineDocument(experiment, nodes, edges);

  async function send<T>(call: (document: PipelineDocument) => Promise<T>): Promise<T | null> {
    setBusy(true);
    setFailure(null);
    setSuccess(null);
    setViolations([]);
    try {
      return await call(document());
    } catch (e) {
      if (e instanceof ApiError && Array.isArray(e.problem?.violations)) {
        setViolations(e.problem.violations as Violation[]);
        setFailure(`The definition breaks ${(e.problem.violations as unknown[]).length} rule(s); each is shown on its step.`);
      } else {
        setFailure(errorText(e));
      }
      return null;
    } finally {
      setBusy(false);
    }
  }
  const hasCode = nodes.some((n) => n.data.stepType === "CodeStep");
  const codeId = hasCode ? experiment.id.trim() : "";
  const stored = useApi(codeId ? () => listCodeBundles(codeId) : null, [codeId, saved?.version]);
  // A new experiment (404) or one without code has nothing to pick.
  const bundles = !stored.error && stored.data?.identifier === codeId ? stored.data.code_bundles : [];
  const choice = codeChoice(code, picked, bundles);
  function withCode<T>(d: PipelineDocument, validate: boolean): Promise<T> | null {
    if (!hasCode || choice.kind === "none") return null;
    return sendWithCode<T>(d, choice.kind === "upload" ? choice.file : { sha256: choice.sha256 }, validate);
  }
  async function validate() {
    const answer = await send((d) => withCode<Validation>(d, true) ?? validateExperiment(d));
    if (answer) setSuccess(`Valid: ${answer.steps.length} steps in ${answer.waves.length} waves.`);
  }
  async function save() {
    const answer = await send((d) => withCode<StoredVersion>(d, false) ?? createExperiment(d));
    if (answer) {
      setSaved({ identifier: answer.identifier, version: answer.version });
      setSuccess(
        answer.created_new_version
          ? `Saved as version ${answer.version} of ${answer.identifier}.`
          : `Unchanged: this is version ${answer.version} of ${answer.identifier}.`,
      );
    }
  }
  async function run() {
    if (!saved) return;
    setBusy(true);
    try {
      const started = await startRun(saved.identifier, saved.version);
      navigate(`/runs/${started.run_id}`);
    } catch (e) {
      setFailure(errorText(e));
      setBusy(false);
    }
  }
  const general = byStep.get("") ?? [];

  return (
    <>
      <div className="panel row">
        <label htmlFor="exp-id" className="inline">
          Experiment id
        </label>
        <input id="exp-id" value={experiment.id} placeholder="iris_ui" onChange={(e) => { setExperiment({ ...experiment, id: e.target.value }); setSaved(null); }} />
        <label htmlFor="exp-label" className="inline">
          Label
        </label>
        <input id="exp-label" value={experiment.label} placeholder="Iris from the builder" onChange={(e) => { setExperiment({ ...experiment, label: e.target.value }); setSaved(null); }} />
        <label htmlFor="exp-task" className="inline">
          Task
        </label>
        <select id="exp-task" value={experiment.task} onChange={(e) => { setExperiment({ ...experiment, task: e.target.value }); setSaved(null); }}>
          {vocab.task.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        {hasCode && (
          <CodeSource
            bundles={bundles}
            picked={choice.kind === "pick" ? choice.sha256 : ""}
            onFile={(file) => {
              setCode(file);
              setSaved(null);
            }}
            onPick={(sha256) => {
              setPicked(sha256);
              setSaved(null);
            }}
          />
        )}
        <span className="spacer" />
        <button onClick={validate} disabled={busy || nodes.length === 0}>
          Validate
        </button>
        <button className="primary" onClick={save} disabled={busy || nodes.length === 0 || !experiment.id.trim()}>
          Save as new version
        </button>
        <button className="primary" onClick={run} disabled={busy || !saved}>
          Run
        </button>
      </div>
      {notice && (
        <p className="notice" role="alert">
          {notice}
        </p>
      )}
      {failure && <ErrorBox error={failure} title="Not saved" />}
      {general.length > 0 && (
        <ul className="state error">
          {general.map((v, i) => (
            <li key={i}>
              {v.node} {v.path}: {v.message}
            </li>
          ))}
        </ul>
      )}
      {success && (
        <p className="state ok" role="status">
          {success}
        </p>
      )}
      <div className="builder">
        <aside className="palette" aria-label="Step types">
          <strong>Steps</strong>
          <span className="muted small">Drag onto the canvas (or press Enter to add).</span>
          {types.map((t) => {
            const type = t.type;
            return (
              <button
                key={type}
                className="palette-item"
                draggable
                data-step-type={type}
                onDragStart={(e) => {
                  e.dataTransfer.setData(DRAG_TYPE, type);
                  e.dataTransfer.effectAllowed = "move";
                }}
                onClick={() => addStep(type)}
                title={t.comment ?? undefined}
              >
                {t.label ?? type}
                <div className="small muted">{t.phase}</div>
              </button>
            );
          })}
        </aside>
        <div className="canvas" data-testid="canvas" onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }}>
          <ReactFlow
            nodes={shownNodes}
            edges={edges}
            nodeTypes={NODE_TYPES}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={connect}
            onNodeClick={(_, n) => setSelectedId(n.id)}
            onPaneClick={() => setSelectedId(null)}
            fitView={false}
            defaultViewport={{ x: 0, y: 0, zoom: 1 }}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls />
          </ReactFlow>
          {nodes.length === 0 && (
            <div className="state empty" style={{ position: "absolute", top: 16, left: 16, pointerEvents: "none" }}>
              Drag a step here from the palette. An edge from A's right handle to B's left handle means B consumes A's output.
            </div>
          )}
        </div>
        <aside className="panel side" aria-label="Step form">
          {selected ? (
            <StepForm
              key={selected.id}
              node={selected}
              nodes={nodes}
              edges={edges}
              vocab={vocab}
              task={experiment.task}
              errors={byStep.get(selected.data.stepId) ?? []}
              onChange={(change) => updateData(selected.id, change)}
              onConnect={(source) => connect({ source, target: selected.id })}
              onDisconnect={(source) => setEdges((current) => current.filter((e) => !(e.source === source && e.target === selected.id)))}
              onRemove={() => removeStep(selected.id)}
            />
          ) : (
            <p className="muted">Select a step to edit its parameters.</p>
          )}
        </aside>
      </div>
    </>
  );
}

function bounds(p: VocabularyField) {
  const min = p.min_inclusive ?? p.min_exclusive;
  const max = p.max_inclusive ?? p.max_exclusive;
  const parts = [];
  if (p.min_inclusive !== undefined) parts.push(`≥ ${p.min_inclusive}`);
  if (p.min_exclusive !== undefined) parts.push(`> ${p.min_exclusive}`);
  if (p.max_inclusive !== undefined) parts.push(`≤ ${p.max_inclusive}`);
  if (p.max_exclusive !== undefined) parts.push(`< ${p.max_exclusive}`);
  return { min, max, text: parts.join(", ") };
}

function StepForm({
  node,
  nodes,
  edges,
  vocab,
  task,
  errors,
  onChange,
  onConnect,
  onDisconnect,
  onRemove,
}: {
  node: StepNode;
  nodes: StepNode[];
  edges: Edge[];
  vocab: Vocabulary;
  task: string;
  errors: Violation[];
  onChange: (change: Partial<StepData>) => void;
  onConnect: (source: string) => void;
  onDisconnect: (source: string) => void;
  onRemove: () => void;
}) {
  const data = node.data;
  const spec = vocab.steps.find((s) => s.type === data.stepType);
  const inputs = edges.filter((e) => e.target === node.id).map((e) => e.source);
  const others = nodes.filter((n) => n.id !== node.id && !inputs.includes(n.id));
  const errorsFor = (path: string) => errors.filter((v) => v.path === path);
  const unplaced = errors.filter((v) => !v.path || !spec?.parameters.some((p) => p.path === v.path));
  const setParam = (name: string, value: string | number | boolean) => onChange({ params: { ...data.params, [name]: value } });
  const fid = (name: string) => `f-${node.id}-${name}`;

  return (
    <form onSubmit={(e) => e.preventDefault()} aria-label={`Parameters of ${data.stepId}`}>
      <h2>
        {spec?.label ?? data.stepType}
      </h2>
      <p className="small muted">{spec?.comment}</p>
      <label htmlFor={fid("id")}>Step id</label>
      <input id={fid("id")} value={data.stepId} onChange={(e) => onChange({ stepId: e.target.value })} />
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
                {nodes.find((n) => n.id === id)?.data.stepId}{" "}
                <button type="button" aria-label={`remove input ${nodes.find((n) => n.id === id)?.data.stepId}`} onClick={() => onDisconnect(id)}>
                  ✕
                </button>
              </li>
            ))}
          </ul>
          {others.length > 0 && (
            <>
              <label htmlFor={fid("input")}>Add input from</label>
              <select id={fid("input")} value="" onChange={(e) => e.target.value && onConnect(e.target.value)}>
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
      {spec?.parameters.map((p) => {
        const value = data.params[p.name] ?? "";
        const id = fid(p.name);
        const b = bounds(p);
        const choices = vocab.choices_by_task[p.name]?.[task] ?? p.in;
        if (p.max_count === 0) return null; // a property this kind of step must not have
        let input;
        if (choices && p.multiple) {
          const picked = String(value).split(",").filter(Boolean);
          input = (
            <select
              id={id}
              multiple
              size={Math.min(6, choices.length)}
              value={picked}
              onChange={(e) => setParam(p.name, Array.from(e.target.selectedOptions, (o) => o.value).join(","))}
            >
              {choices.map((c) => (
                <option key={String(c)} value={String(c)}>
                  {String(c)}
                </option>
              ))}
            </select>
          );
        } else if (choices) {
          input = (
            <select id={id} value={String(value)} onChange={(e) => setParam(p.name, e.target.value)} aria-required={p.required}>
              <option value="">{p.required ? "— choose —" : "(default)"}</option>
              {choices.map((c) => (
                <option key={String(c)} value={String(c)}>
                  {String(c)}
                </option>
              ))}
            </select>
          );
        } else if (p.datatype === "boolean") {
          input = (
            <select id={id} value={String(value)} onChange={(e) => setParam(p.name, e.target.value === "" ? "" : e.target.value === "true")}>
              <option value="">(default)</option>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          );
        } else if (p.datatype === "integer" || p.datatype === "decimal") {
          input = (
            <input
              id={id}
              type="number"
              step={p.datatype === "integer" ? 1 : "any"}
              min={b.min}
              max={b.max}
              value={String(value)}
              onChange={(e) => setParam(p.name, e.target.value === "" ? "" : Number(e.target.value))}
            />
          );
        } else if (p.name === "target_column") {
          input = <TargetColumnField id={id} value={String(value)} source={String(data.params.source ?? "")} required={p.required} onChange={(v) => setParam(p.name, v)} />;
        } else {
          input = (
            <input
              id={id}
              value={String(value)}
              list={p.name === "source" ? "source-list" : undefined}
              placeholder={p.name === "source" ? vocab.sources[0] ?? "" : p.name === "target_column" ? "target" : ""}
              onChange={(e) => setParam(p.name, e.target.value)}
              aria-required={p.required}
            />
          );
        }
        return (
          <div key={p.name}>
            <label htmlFor={id}>{p.label}</label>
            {input}
            <div className="field-help">
              {p.required && <strong>Required. </strong>}
              {p.comment?.replace(/^[A-Za-z ,]+: /, "")}
              {b.text && ` (${b.text})`}
            </div>
            {errorsFor(p.path).map((v, i) => (
              <div key={i} className="field-error" role="alert">
                {v.message}
              </div>
            ))}
          </div>
        );
      })}
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
          <PairList
            title="Search space"
            prefix={fid("ss")}
            rows={data.searchSpace}
            valueLabel="candidates, comma separated"
            onChange={(rows) => onChange({ searchSpace: rows })}
          />
      )}
      {spec?.structures.includes("threshold") && (
        <Thresholds
          prefix={fid("th")}
          rows={data.thresholds}
          metrics={vocab.choices_by_task.metric_name?.[task] ?? vocab.threshold.find((t) => t.name === "metric_name")?.in?.map(String) ?? []}
          onChange={(rows) => onChange({ thresholds: rows })}
        />
      )}
      <h3>Resources</h3>
      <div className="grid2" style={{ gap: "0.4rem" }}>
        {(
          [
            ["cpus", "CPUs", "number"],
            ["memory", "Memory (512m, 2g)", "text"],
            ["timeout_seconds", "Timeout (s)", "number"],
          ] as const
        ).map(([key, label, kind]) => (
          <div key={key}>
            <label htmlFor={fid(`res-${key}`)}>{label}</label>
            <input
              id={fid(`res-${key}`)}
              type={kind}
              min={kind === "number" ? 0 : undefined}
              step="any"
              value={data.resources[key] ?? ""}
              onChange={(e) => onChange({ resources: { ...data.resources, [key]: e.target.value } })}
              style={{ width: "100%" }}
            />
          </div>
        ))}
      </div>
      <p style={{ marginTop: "1rem" }}>
        <button type="button" className="danger" onClick={onRemove}>
          Remove step
        </button>
      </p>
    </form>
  );
}

function PairList({
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
      <button type="button" onClick={() => onChange([...rows, { name: "", value: "" }])}>
        Add {title.toLowerCase()}
      </button>
    </fieldset>
  );
}

function Thresholds({
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
