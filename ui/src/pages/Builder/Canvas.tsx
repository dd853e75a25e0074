import { Background, Controls, ReactFlow, useReactFlow } from "@xyflow/react";
import { useEffect, useMemo, useReducer, useState, type DragEvent, type KeyboardEvent } from "react";
import { useNavigate } from "react-router-dom";
import {
  ApiError,
  createExperiment,
  errorText,
  listCodeBundles,
  sendWithCode,
  startRun,
  useApi,
  validateExperiment,
  type PipelineDocument,
  type StoredVersion,
  type Validation,
  type Violation,
  type Vocabulary,
} from "../../api";
import { ErrorBox } from "../../components/State";
import { codeChoice } from "../../lib/codeBundles";
import { localProblems } from "../../lib/fieldChecks";
import { toPipelineDocument, violationsByStep } from "../../lib/pipeline";
import { draftKey, writeDraft } from "./draft";
import { DRAG_TYPE, Palette } from "./Palette";
import { ProblemList, toProblems } from "./Problems";
import { StepForm } from "./StepForm";
import { NODE_TYPES } from "./StepNode";
import { Toolbar } from "./Toolbar";
import { emptyState, isDirty, reducer } from "./state";
import { useLeaveGuard } from "./useLeaveGuard";
import { useVersionLoader } from "./useVersionLoader";

/** The builder: palette, canvas and the side panel (the selected step's form, or every problem). */
export function Canvas({ vocab, experimentParam, versionParam }: { vocab: Vocabulary; experimentParam: string | null; versionParam: string | null }) {
  const [state, dispatch] = useReducer(reducer, vocab.task[0] ?? "classification", emptyState);
  const [violations, setViolations] = useState<Violation[]>([]);
  const [failure, setFailure] = useState<{ title: string; text: string } | null>(null);
  const [success, setSuccess] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The code folder, zipped, for code steps: sent with the definition as a multipart part.
  const [code, setCode] = useState<File | null>(null);
  const flow = useReactFlow();
  const navigate = useNavigate();
  const fitSoon = () => window.requestAnimationFrame(() => void flow.fitView({ padding: 0.2, maxZoom: 1 }));
  const load = useVersionLoader(experimentParam, versionParam, state.experiment.task, dispatch, fitSoon);
  const dirty = isDirty(state);
  const key = draftKey(experimentParam);
  useLeaveGuard(dirty);
  // Kept in the tab while unsaved; only once the canvas shows what the URL names.
  useEffect(() => {
    if (load.ready) writeDraft(key, dirty ? state : null);
  }, [state, dirty, key, load.ready]);

  const { experiment, nodes, edges } = state;
  const byStep = useMemo(() => violationsByStep(violations, nodes.map((n) => n.data.stepId)), [violations, nodes]);
  const local = useMemo(() => localProblems(experiment.id, nodes, vocab), [experiment.id, nodes, vocab]);
  const problems = [...toProblems(byStep), ...local];
  const shownNodes = useMemo(
    () =>
      nodes.map((n) => {
        const count = (byStep.get(n.data.stepId)?.length ?? 0) + local.filter((p) => p.step === n.data.stepId).length;
        return { ...n, selected: n.id === state.selectedId, data: { ...n.data, problems: count } };
      }),
    [nodes, byStep, local, state.selectedId],
  );
  const selected = nodes.find((n) => n.id === state.selectedId) ?? null;

  const hasCode = nodes.some((n) => n.data.stepType === "CodeStep");
  const codeId = hasCode ? experiment.id.trim() : "";
  const stored = useApi(codeId ? () => listCodeBundles(codeId) : null, [codeId, state.base?.version]);
  // A new experiment (404) or one without code has nothing to pick.
  const bundles = !stored.error && stored.data?.identifier === codeId ? stored.data.code_bundles : [];
  const choice = codeChoice(code, state.picked, bundles);

  async function send<T>(title: string, call: (document: PipelineDocument) => Promise<T>): Promise<T | null> {
    setFailure(null);
    setSuccess(null);
    setViolations([]);
    if (local.length) {
      setFailure({ title, text: `fix the ${local.length} problem(s) listed beside the canvas first; nothing was sent` });
      return null;
    }
    setBusy(true);
    try {
      return await call(toPipelineDocument(experiment, nodes, edges));
    } catch (e) {
      if (e instanceof ApiError && Array.isArray(e.problem?.violations)) setViolations(e.problem.violations as Violation[]);
      setFailure({ title, text: errorText(e) }); // the server's detail, always
      return null;
    } finally {
      setBusy(false);
    }
  }
  function withCode<T>(d: PipelineDocument, validate: boolean): Promise<T> | null {
    if (!hasCode || choice.kind === "none") return null;
    return sendWithCode<T>(d, choice.kind === "upload" ? choice.file : { sha256: choice.sha256 }, validate);
  }
  async function validate() {
    const answer = await send("Not valid", (d) => withCode<Validation>(d, true) ?? validateExperiment(d));
    if (answer) setSuccess(`Valid: ${answer.steps.length} steps in ${answer.waves.length} waves.`);
  }
  async function save() {
    const answer = await send("Not saved", (d) => withCode<StoredVersion>(d, false) ?? createExperiment(d));
    if (!answer) return;
    const base = { identifier: answer.identifier, version: answer.version };
    dispatch({ type: "saved", base });
    writeDraft(key, null);
    load.expect(base);
    navigate(`/builder?experiment=${encodeURIComponent(base.identifier)}&version=${base.version}`, { replace: true });
    setSuccess(
      answer.created_new_version
        ? `Saved as version ${answer.version} of ${answer.identifier}.`
        : `Unchanged: this is version ${answer.version} of ${answer.identifier}.`,
    );
  }
  async function run() {
    if (!state.base) return;
    setBusy(true);
    try {
      const started = await startRun(state.base.identifier, state.base.version);
      navigate(`/runs/${started.run_id}`);
    } catch (e) {
      setFailure({ title: "Not started", text: errorText(e) });
      setBusy(false);
    }
  }
  function discard() {
    if (!window.confirm("Discard the unsaved changes?")) return;
    writeDraft(key, null);
    setViolations([]);
    load.reload();
  }
  const addStep = (stepType: string, position?: { x: number; y: number }) => {
    const vocabStep = vocab.steps.find((s) => s.type === stepType);
    dispatch({ type: "addStep", stepType, idBase: vocabStep?.phase ?? stepType.toLowerCase(), position });
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    const stepType = event.dataTransfer.getData(DRAG_TYPE);
    if (stepType) addStep(stepType, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };
  const openForm = (nodeId: string) => {
    dispatch({ type: "select", id: nodeId });
    window.requestAnimationFrame(() => document.querySelector<HTMLElement>('aside[aria-label="Step form"] form input, aside[aria-label="Step form"] form select')?.focus());
  };
  // A focused node (Tab reaches them) opens its form with Enter or Space.
  const onKeyDown = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    if ((event.key === "Enter" || event.key === " ") && target.classList.contains("react-flow__node")) {
      event.preventDefault();
      const id = target.getAttribute("data-id");
      if (id) openForm(id);
    }
  };

  return (
    <>
      <Toolbar
        state={state}
        vocab={vocab}
        dispatch={dispatch}
        code={{ shown: hasCode, bundles, picked: choice.kind === "pick" ? choice.sha256 : "", onFile: setCode }}
        busy={busy}
        dirty={dirty}
        actions={{ validate, save, run, discard, layout: () => (dispatch({ type: "layout" }), fitSoon()) }}
      />
      {load.restored && (
        <p className="notice" role="note">
          Restored the unsaved draft kept in this tab{state.base ? ` (based on version ${state.base.version})` : ""}. Save it, or use "Discard changes".
        </p>
      )}
      {load.error && <ErrorBox error={load.error} title="Could not load the version" />}
      {state.notice && (
        <p className="notice" role="alert">
          {state.notice}
        </p>
      )}
      {failure && <ErrorBox error={failure.text} title={failure.title} />}
      {success && (
        <p className="state ok" role="status">
          {success}
        </p>
      )}
      <div className="builder">
        <Palette types={vocab.steps.filter((s) => s.phase)} onAdd={(t) => addStep(t)} />
        <div className="canvas" data-testid="canvas" onKeyDown={onKeyDown} onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }}>
          <ReactFlow
            nodes={shownNodes}
            edges={edges}
            nodeTypes={NODE_TYPES}
            onNodesChange={(changes) => dispatch({ type: "nodeChanges", changes })}
            onEdgesChange={(changes) => dispatch({ type: "edgeChanges", changes })}
            onConnect={(c) => dispatch({ type: "connect", source: c.source, target: c.target })}
            onNodeClick={(_, n) => dispatch({ type: "select", id: n.id })}
            onPaneClick={() => dispatch({ type: "select", id: null })}
            fitView={false}
            defaultViewport={{ x: 0, y: 0, zoom: 1 }}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls />
          </ReactFlow>
          {load.loading && <div className="state loading canvas-note">Loading {experimentParam}…</div>}
          {nodes.length === 0 && !load.loading && (
            <div className="state empty canvas-note">
              Drag a step here from the palette. An edge from A's right handle to B's left handle means B consumes A's output.
            </div>
          )}
        </div>
        <aside className="panel side" aria-label="Step form">
          {selected ? (
            <StepForm key={selected.id} node={selected} nodes={nodes} edges={edges} vocab={vocab} task={experiment.task} errors={byStep.get(selected.data.stepId) ?? []} dispatch={dispatch} />
          ) : (
            <p className="muted">Select a step (click it, or Tab to it and press Enter) to edit its parameters.</p>
          )}
          <ProblemList
            problems={selected ? problems.filter((p) => p.step !== selected.data.stepId) : problems}
            onOpen={(stepId) => {
              const node = nodes.find((n) => n.data.stepId === stepId);
              if (node) openForm(node.id);
            }}
          />
        </aside>
      </div>
    </>
  );
}
