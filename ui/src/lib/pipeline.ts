// The pipeline builder's logic, free of React: canvas → JSON pipeline document, cycles,
// and validation errors mapped back onto the nodes they concern.

import type { PipelineDocument, PipelineStep, Scalar, Violation } from "../api/types";

export interface Threshold {
  metric: string;
  min?: string;
  max?: string;
}

export interface KeyValue {
  name: string;
  value: string;
}

export type StepData = {
  stepId: string;
  stepType: string;
  /** Form values by parameter name (the vocabulary's snake_case `name`); "" means not given. */
  params: Record<string, Scalar>;
  hyperParameters: KeyValue[];
  /** Candidate values, comma separated, per parameter name. */
  searchSpace: KeyValue[];
  thresholds: Threshold[];
  resources: { cpus?: string; memory?: string; timeout_seconds?: string; image?: string };
};

export interface CanvasNode {
  id: string;
  data: StepData;
}

/** An edge A → B: B consumes what A produces. */
export interface CanvasEdge {
  source: string;
  target: string;
}

export interface Experiment {
  id: string;
  label: string;
  task: string;
}

/** A typed value from a text field: JSON literals (1, 0.5, true, null, [..]) or the text. */
export function parseValue(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}

function number(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Parameters that take several values, held comma separated in the form (a multiple choice,
 * e.g. an AutoML step's candidate estimators, sends each value as its own). */
const LIST_PARAMS = new Set(["drop_column", "candidate_estimator"]);

function cleanParams(params: Record<string, Scalar>): Record<string, Scalar | Scalar[]> {
  const out: Record<string, Scalar | Scalar[]> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === "" || value === undefined || value === null) continue;
    if (typeof value === "string" && value.includes(",") && LIST_PARAMS.has(key)) {
      out[key] = value.split(",").map((v) => v.trim()).filter(Boolean);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** The JSON pipeline document (docs/definitions.md) the canvas describes. */
export function toPipelineDocument(
  experiment: Experiment,
  nodes: CanvasNode[],
  edges: CanvasEdge[],
): PipelineDocument {
  const steps = nodes.map(({ id, data }) => {
    const step: PipelineStep = { id: data.stepId || id, type: data.stepType };
    const consumes = edges
      .filter((e) => e.target === id)
      .map((e) => nodes.find((n) => n.id === e.source)?.data.stepId ?? e.source)
      .sort();
    if (consumes.length) step.consumes = consumes;
    const parameters = cleanParams(data.params);
    if (Object.keys(parameters).length) step.parameters = parameters;
    const hyper = Object.fromEntries(
      data.hyperParameters.filter((h) => h.name.trim()).map((h) => [h.name.trim(), parseValue(h.value)]),
    );
    if (Object.keys(hyper).length) step.hyper_parameters = hyper;
    const space = Object.fromEntries(
      data.searchSpace
        .filter((h) => h.name.trim())
        .map((h) => [h.name.trim(), h.value.split(",").filter((v) => v.trim()).map(parseValue)]),
    );
    if (Object.keys(space).length) step.search_space = space;
    const thresholds = data.thresholds
      .filter((t) => t.metric)
      .map((t) => {
        const out: { metric: string; min?: number; max?: number } = { metric: t.metric };
        const min = number(t.min);
        const max = number(t.max);
        if (min !== undefined) out.min = min;
        if (max !== undefined) out.max = max;
        return out;
      });
    if (thresholds.length) step.thresholds = thresholds;
    const resources: Record<string, string | number> = {};
    const cpus = number(data.resources.cpus);
    const timeout = number(data.resources.timeout_seconds);
    if (cpus !== undefined) resources.cpus = cpus;
    if (data.resources.memory?.trim()) resources.memory = data.resources.memory.trim();
    if (timeout !== undefined) resources.timeout_seconds = Math.round(timeout);
    if (data.resources.image?.trim()) resources.image = data.resources.image.trim();
    if (Object.keys(resources).length) step.resources = resources;
    return step;
  });
  const doc: PipelineDocument = { id: experiment.id.trim(), task: experiment.task, steps };
  if (experiment.label.trim()) doc.label = experiment.label.trim();
  return doc;
}

/**
 * The path that adding source → target would close into a cycle, or null if it is safe.
 * The path starts and ends at `source`: [source, target, …, source].
 */
export function cycleIfAdded(edges: CanvasEdge[], source: string, target: string): string[] | null {
  if (source === target) return [source, source];
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  // A path target ⇝ source plus the new edge makes the cycle.
  const parent = new Map<string, string>();
  const stack = [target];
  const seen = new Set([target]);
  while (stack.length) {
    const node = stack.pop()!;
    if (node === source) {
      const path = [source];
      let at = source;
      while (at !== target) {
        at = parent.get(at)!;
        path.push(at);
      }
      path.reverse(); // target … source
      return [source, ...path];
    }
    for (const succ of next.get(node) ?? []) {
      if (!seen.has(succ)) {
        seen.add(succ);
        parent.set(succ, node);
        stack.push(succ);
      }
    }
  }
  return null;
}

/** Violations by step id (":build" → "build"); the rest (experiment, odd nodes) under "". */
export function violationsByStep(violations: Violation[], stepIds: string[]): Map<string, Violation[]> {
  const known = new Set(stepIds);
  const out = new Map<string, Violation[]>();
  for (const v of violations) {
    const local = (v.node ?? "").replace(/^.*[#:/]/, "");
    const key = known.has(local) ? local : "";
    out.set(key, [...(out.get(key) ?? []), v]);
  }
  return out;
}

/** A fresh step id for a type: "build", then "build_2", … */
export function freshStepId(base: string, taken: string[]): string {
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}_${i}`)) return `${base}_${i}`;
}
