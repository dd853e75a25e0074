import { useState } from "react";
import { errorText, saveAnnotations, type RunSummary } from "../../api";
import { ErrorBox } from "../../components/State";
import { useRefusal } from "../../lib/access";

/** "key=value, key" as tags (a key alone: an empty value). */
export function parseTags(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of text.split(",")) {
    const [key, ...value] = part.split("=");
    if (key.trim()) tags[key.trim()] = value.join("=").trim();
  }
  return tags;
}

const tagsText = (tags: Record<string, string> = {}) =>
  Object.entries(tags)
    .map(([k, v]) => (v ? `${k}=${v}` : k))
    .join(", ");

/** Edit one run's tags and note; the server's answer (or its refusal) is shown. */
export function RunNotes({ run, onSaved }: { run: RunSummary; onSaved: () => void }) {
  const [open, setOpen] = useState(false);
  const [tags, setTags] = useState(tagsText(run.tags));
  const [note, setNote] = useState(run.note ?? "");
  const [error, setError] = useState<string | null>(null);
  const why = useRefusal("runner", { kind: "experiment", resource: run.experiment });
  if (!open)
    return (
      <button className="small" aria-label={`edit tags and note of ${run.run_id}`} disabled={!!why} title={why ?? undefined} onClick={() => setOpen(true)}>
        Edit
      </button>
    );
  const save = async () => {
    try {
      await saveAnnotations(run.run_id, parseTags(tags), note);
      setError(null);
      setOpen(false);
      onSaved();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <form
      className="run-notes"
      aria-label={`tags and note of ${run.run_id}`}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label>
        Tags <input value={tags} placeholder="baseline, team=vision" onChange={(e) => setTags(e.target.value)} />
      </label>
      <label>
        Note <textarea rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      {error && <ErrorBox error={error} title="Not saved" />}
      <div className="row">
        <button className="primary" type="submit">
          Save
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
