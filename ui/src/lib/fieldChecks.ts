// The builder's checks before any round trip: the SHACL bounds, patterns and datatypes
// `/api/vocabulary` gives, step ids (pattern, unique), and what a change of task leaves unfit.

import type { Scalar, Vocabulary, VocabularyField } from "../api/types";
import type { CanvasNode, StepData } from "./pipeline";

/** A step or experiment id the server takes (server/definitions/ui_document.py `_ID`). */
const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function boundsText(p: VocabularyField): string {
  const parts = [];
  if (p.min_inclusive !== undefined) parts.push(`≥ ${p.min_inclusive}`);
  if (p.min_exclusive !== undefined) parts.push(`> ${p.min_exclusive}`);
  if (p.max_inclusive !== undefined) parts.push(`≤ ${p.max_inclusive}`);
  if (p.max_exclusive !== undefined) parts.push(`< ${p.max_exclusive}`);
  return parts.join(", ");
}

function outOfBounds(p: VocabularyField, n: number): boolean {
  return (
    (p.min_inclusive !== undefined && n < p.min_inclusive) ||
    (p.min_exclusive !== undefined && n <= p.min_exclusive) ||
    (p.max_inclusive !== undefined && n > p.max_inclusive) ||
    (p.max_exclusive !== undefined && n >= p.max_exclusive)
  );
}

function matches(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, "u").test(text);
  } catch {
    return true; // a pattern JavaScript cannot read: the server checks it
  }
}

/** What is wrong with a form value by the field's shape, or null ("" is "not given": fine). */
export function fieldProblem(p: VocabularyField, value: Scalar | string | undefined): string | null {
  if (value === undefined || value === "") return null;
  if (p.datatype === "integer" || p.datatype === "decimal") {
    const n = typeof value === "number" ? value : Number(String(value).trim());
    if (!Number.isFinite(n)) return `${p.label} must be a number`;
    if (p.datatype === "integer" && !Number.isInteger(n)) return `${p.label} must be a whole number`;
    if (outOfBounds(p, n)) return `${p.label} must be ${boundsText(p)}; ${n} is not`;
    return null;
  }
  if (p.pattern && typeof value === "string" && !matches(p.pattern, value)) {
    return `${p.label}: ${p.message ?? `"${value}" does not match ${p.pattern}`}`;
  }
  return null;
}

/** Why an id cannot be the experiment's or a step's, or null. */
export function idProblem(id: string, what: string): string | null {
  if (!id.trim()) return `${what} is empty`;
  if (!ID.test(id)) return `${what} "${id}" may hold only letters, digits, "_", "-" and "." (not first)`;
  return null;
}

/** Why `id` cannot be the new id of the step `nodeId`: its form, or another step has it. */
export function stepIdProblem(id: string, nodeId: string, nodes: CanvasNode[]): string | null {
  const bad = idProblem(id, "A step id");
  if (bad) return bad;
  const other = nodes.find((n) => n.id !== nodeId && n.data.stepId === id);
  return other ? `Refused: another step (a ${other.data.stepType}) already has the id "${id}"` : null;
}

/** Every problem the checks above find on the canvas, by step id ("" for the experiment). */
export function localProblems(
  experimentId: string,
  nodes: CanvasNode[],
  vocab: Vocabulary,
): { step: string; message: string }[] {
  const out: { step: string; message: string }[] = [];
  if (experimentId.trim()) {
    const bad = idProblem(experimentId.trim(), "The experiment id");
    if (bad) out.push({ step: "", message: bad });
  }
  for (const n of nodes) {
    const spec = vocab.steps.find((s) => s.type === n.data.stepType);
    for (const p of spec?.parameters ?? []) {
      const bad = fieldProblem(p, n.data.params[p.name]);
      if (bad) out.push({ step: n.data.stepId, message: bad });
    }
    for (const p of vocab.resources) {
      const bad = fieldProblem(p, (n.data.resources as Record<string, string | undefined>)[p.name]);
      if (bad) out.push({ step: n.data.stepId, message: bad });
    }
  }
  return out;
}

/** The steps with the values that do not fit `task` cleared (choices by task: estimators,
 * threshold metrics), and what was cleared, in words. */
export function clearForTask(
  nodes: CanvasNode[],
  vocab: Vocabulary,
  task: string,
): { nodes: CanvasNode[]; cleared: string[] } {
  const cleared: string[] = [];
  const metrics = vocab.choices_by_task.metric_name?.[task];
  const result = nodes.map((n) => {
    const data: StepData = { ...n.data, params: { ...n.data.params } };
    for (const [name, byTask] of Object.entries(vocab.choices_by_task)) {
      const fits = byTask[task];
      const value = data.params[name];
      if (!fits || value === undefined || value === "") continue;
      const values = String(value).split(",").filter(Boolean);
      const kept = values.filter((v) => fits.includes(v));
      if (kept.length === values.length) continue;
      data.params[name] = kept.join(",");
      cleared.push(`${name.replace(/_/g, " ")} ${values.filter((v) => !kept.includes(v)).join(", ")} of ${data.stepId}`);
    }
    if (metrics) {
      const kept = data.thresholds.filter((t) => !t.metric || metrics.includes(t.metric));
      for (const t of data.thresholds) if (!kept.includes(t)) cleared.push(`the ${t.metric} threshold of ${data.stepId}`);
      data.thresholds = kept;
    }
    return { ...n, data };
  });
  return { nodes: result, cleared };
}
