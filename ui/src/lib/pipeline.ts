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
  resources: { cpus?: string; memory?: string; timeout_seconds?: string; image?: string; placement?: string };
  /** Kept as loaded, sent back as they were: what the canvas does not edit. */
  dependsOn?: string[];
  columns?: unknown[];
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
  /** Where its runs run: "local", "docker", "swarm"; empty or absent: the platform's default. */
  provisioner?: string;
}
/** The provisioners an experiment may name (ontology/shapes.ttl). */
export const PROVISIONERS = ["local", "docker", "swarm"] as const;

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
    if (data.resources.placement?.trim()) resources.placement = data.resources.placement.trim();
    if (Object.keys(resources).length) step.resources = resources;
    if (data.dependsOn?.length) step.depends_on = data.dependsOn;
    if (data.columns?.length) step.columns = data.columns;
    return step;
  });
  const doc: PipelineDocument = { id: experiment.id.trim(), task: experiment.task, steps };
  if (experiment.label.trim()) doc.label = experiment.label.trim();
  if (experiment.provisioner) doc.provisioner = experiment.provisioner;
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

/** A value as the builder's text fields hold it: what `parseValue` reads back as the same value. */
function asText(value: unknown): string {
  return typeof value === "string" && parseValue(value) === value ? value : JSON.stringify(value);
}

/** The canvas a pipeline document describes (the inverse of `toPipelineDocument`), nodes at
 * the origin: `layeredPositions` places them. Node ids are `n1`, `n2`, … in document order. */
export function fromPipelineDocument(doc: PipelineDocument): {
  experiment: Experiment;
  nodes: CanvasNode[];
  edges: CanvasEdge[];
} {
  const nodeId = new Map(doc.steps.map((s, i) => [s.id, `n${i + 1}`]));
  const nodes = doc.steps.map((s): CanvasNode => {
    const params: Record<string, Scalar> = {};
    for (const [key, value] of Object.entries(s.parameters ?? {})) {
      params[key] = Array.isArray(value) ? value.map(String).join(",") : value;
    }
    const data: StepData = {
      stepId: s.id,
      stepType: s.type,
      params,
      hyperParameters: Object.entries(s.hyper_parameters ?? {}).map(([name, value]) => ({ name, value: asText(value) })),
      searchSpace: Object.entries(s.search_space ?? {}).map(([name, values]) => ({ name, value: values.map(asText).join(",") })),
      thresholds: (s.thresholds ?? []).map((t) => ({
        metric: t.metric,
        min: t.min === undefined ? "" : String(t.min),
        max: t.max === undefined ? "" : String(t.max),
      })),
      resources: Object.fromEntries(Object.entries(s.resources ?? {}).map(([k, v]) => [k, String(v)])),
    };
    if (s.depends_on?.length) data.dependsOn = [...s.depends_on];
    if (s.columns?.length) data.columns = s.columns;
    return { id: nodeId.get(s.id)!, data };
  });
  const edges = doc.steps.flatMap((s) =>
    (s.consumes ?? []).filter((c) => nodeId.has(c)).map((c) => ({ source: nodeId.get(c)!, target: nodeId.get(s.id)! })),
  );
  const experiment: Experiment = { id: doc.id, label: doc.label ?? "", task: doc.task };
  if (doc.provisioner) experiment.provisioner = doc.provisioner;
  return { experiment, nodes, edges };
}

/** Positions in layers, left to right: a step's layer is the longest path of inputs before it;
 * steps of one layer stack top to bottom in the given order. */
export function layeredPositions(
  nodeIds: string[],
  edges: CanvasEdge[],
  spacing = { x: 230, y: 110 },
): Map<string, { x: number; y: number }> {
  const inputs = new Map<string, string[]>();
  for (const e of edges) inputs.set(e.target, [...(inputs.get(e.target) ?? []), e.source]);
  const layer = new Map<string, number>();
  const depth = (id: string, seen: Set<string>): number => {
    if (layer.has(id)) return layer.get(id)!;
    if (seen.has(id)) return 0; // a cycle (the canvas refuses them): stop
    seen.add(id);
    const d = Math.max(-1, ...(inputs.get(id) ?? []).map((i) => depth(i, seen))) + 1;
    layer.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  const out = new Map<string, { x: number; y: number }>();
  for (const id of nodeIds) {
    const d = depth(id, new Set());
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    out.set(id, { x: 40 + d * spacing.x, y: 40 + row * spacing.y });
  }
  return out;
}
