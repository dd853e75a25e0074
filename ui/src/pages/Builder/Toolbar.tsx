import type { Dispatch } from "react";
import type { CodeBundle, Vocabulary } from "../../api";
import { CodeSource } from "../../components/CodeSource";
import { Refusal } from "../../components/Refusal";
import { useRefusal } from "../../lib/access";
import type { Action, BuilderState } from "./state";
import { PROVISIONERS } from "../../lib/pipeline";

/** The experiment's fields and what to do with the canvas: validate, save, run, arrange. */
export function Toolbar({
  state,
  vocab,
  dispatch,
  code,
  busy,
  dirty,
  actions,
}: {
  state: BuilderState;
  vocab: Vocabulary;
  dispatch: Dispatch<Action>;
  code: { shown: boolean; bundles: CodeBundle[]; picked: string; onFile: (file: File | null) => void };
  busy: boolean;
  dirty: boolean;
  actions: { validate: () => void; save: () => void; run: () => void; layout: () => void; discard: () => void };
}) {
  const { experiment, nodes, base } = state;
  const empty = nodes.length === 0;
  // Storing a version needs editor (experiments.create is global); running it, runner on it.
  const cannotSave = useRefusal("editor");
  const cannotRun = useRefusal("runner", { kind: "experiment", resource: base?.identifier ?? experiment.id });
  const why = cannotSave ?? cannotRun;
  return (
    <>
    <div className="panel row">
      <label htmlFor="exp-id" className="inline">
        Experiment id
      </label>
      <input id="exp-id" value={experiment.id} placeholder="iris_ui" onChange={(e) => dispatch({ type: "experiment", change: { id: e.target.value } })} />
      <label htmlFor="exp-label" className="inline">
        Label
      </label>
      <input id="exp-label" value={experiment.label} placeholder="Iris from the builder" onChange={(e) => dispatch({ type: "experiment", change: { label: e.target.value } })} />
      <label htmlFor="exp-task" className="inline">
        Task
      </label>
      <select id="exp-task" value={experiment.task} onChange={(e) => dispatch({ type: "task", task: e.target.value, vocab })}>
        {vocab.task.map((t) => (
          <option key={t}>{t}</option>
        ))}
      </select>
      <label htmlFor="exp-provisioner" className="inline">
        Runs on
      </label>
      <select
        id="exp-provisioner"
        title="where this experiment's runs run (ol:provisioner); default: the platform's ONTOLAB_PROVISIONER"
        value={experiment.provisioner ?? ""}
        onChange={(e) => dispatch({ type: "experiment", change: { provisioner: e.target.value || undefined } })}
      >
        <option value="">default</option>
        {PROVISIONERS.map((p) => (
          <option key={p}>{p}</option>
        ))}
      </select>
      {code.shown && <CodeSource bundles={code.bundles} picked={code.picked} onFile={code.onFile} onPick={(sha256) => dispatch({ type: "pick", sha256 })} />}
      <span className="spacer" />
      <span className="small muted" data-testid="saved-state">
        {base ? `v${base.version} of ${base.identifier}` : "new"}
        {dirty ? " · unsaved changes" : ""}
      </span>
      {dirty && (
        <button onClick={actions.discard} disabled={busy}>
          Discard changes
        </button>
      )}
      <button onClick={actions.layout} disabled={empty}>
        Auto-layout
      </button>
      <button onClick={actions.validate} disabled={busy || empty}>
        Validate
      </button>
      <button className="primary" onClick={actions.save} disabled={busy || empty || !experiment.id.trim() || !!cannotSave} title={cannotSave ?? undefined}>
        Save as new version
      </button>
      <button className="primary" onClick={actions.run} disabled={busy || !base || dirty || !!cannotRun} title={cannotRun ?? undefined}>
        Run
      </button>
    </div>
    <Refusal why={why} />
    </>
  );
}
