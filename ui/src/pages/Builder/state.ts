// The builder's state and the one reducer that changes it: the canvas (nodes, edges), the
// experiment's fields, the selection, and what was last loaded or saved (to tell unsaved changes).

import { MarkerType, applyEdgeChanges, applyNodeChanges, type Edge, type EdgeChange, type Node, type NodeChange } from "@xyflow/react";
import type { Vocabulary } from "../../api";
import { clearForTask } from "../../lib/fieldChecks";
import {
  cycleIfAdded,
  freshStepId,
  layeredPositions,
  toPipelineDocument,
  type CanvasEdge,
  type CanvasNode,
  type Experiment,
  type StepData,
} from "../../lib/pipeline";

export type StepNode = Node<StepData & { problems?: number }, "step">;

/** The version the canvas was loaded from or last saved as. */
export interface Base {
  identifier: string;
  version: number;
}

export interface BuilderState {
  experiment: Experiment;
  nodes: StepNode[];
  edges: Edge[];
  selectedId: string | null;
  /** A refusal or a change the builder made for you (a cycle, values cleared by a new task). */
  notice: string | null;
  base: Base | null;
  /** The sha256 of a stored code bundle to send with the definition ("" none). */
  picked: string;
  /** The content (`contentKey`) as loaded or saved: anything else is unsaved. */
  baseline: string;
  nextId: number;
}

export type Action =
  | { type: "load"; experiment: Experiment; nodes: CanvasNode[]; edges: CanvasEdge[]; base: Base; picked?: string }
  | { type: "restore"; state: BuilderState }
  | { type: "nodeChanges"; changes: NodeChange<StepNode>[] }
  | { type: "edgeChanges"; changes: EdgeChange[] }
  | { type: "addStep"; stepType: string; idBase: string; position?: { x: number; y: number } }
  | { type: "connect"; source: string; target: string }
  | { type: "disconnect"; source: string; target: string }
  | { type: "update"; id: string; change: Partial<StepData> }
  | { type: "remove"; id: string }
  | { type: "select"; id: string | null }
  | { type: "experiment"; change: Partial<Omit<Experiment, "task">> }
  | { type: "task"; task: string; vocab: Vocabulary }
  | { type: "pick"; sha256: string }
  | { type: "layout" }
  | { type: "saved"; base: Base }
  | { type: "notice"; text: string | null };

/** What saving would send: the document and the picked code bundle. */
export function contentKey(s: Pick<BuilderState, "experiment" | "nodes" | "edges" | "picked">): string {
  return JSON.stringify([toPipelineDocument(s.experiment, s.nodes, s.edges), s.picked]);
}

export function isDirty(s: BuilderState): boolean {
  return contentKey(s) !== s.baseline;
}

function edge(source: string, target: string): Edge {
  return { id: `e-${source}-${target}`, source, target, markerEnd: { type: MarkerType.ArrowClosed } };
}

export function emptyState(task: string): BuilderState {
  const state: BuilderState = {
    experiment: { id: "", label: "", task },
    nodes: [],
    edges: [],
    selectedId: null,
    notice: null,
    base: null,
    picked: "",
    baseline: "",
    nextId: 1,
  };
  return { ...state, baseline: contentKey(state) };
}

function emptyStep(stepId: string, stepType: string): StepData {
  return { stepId, stepType, params: {}, hyperParameters: [], searchSpace: [], thresholds: [], resources: {} };
}

function arranged(nodes: StepNode[], edges: Edge[]): StepNode[] {
  const at = layeredPositions(nodes.map((n) => n.id), edges);
  return nodes.map((n) => ({ ...n, position: at.get(n.id) ?? n.position }));
}

function connect(s: BuilderState, source: string, target: string): BuilderState {
  const name = (id: string) => s.nodes.find((n) => n.id === id)?.data.stepId ?? id;
  const cycle = cycleIfAdded(s.edges, source, target);
  if (cycle) {
    return { ...s, notice: `Refused: ${name(source)} → ${name(target)} would make a cycle (${cycle.map(name).join(" → ")}).` };
  }
  if (s.edges.some((e) => e.source === source && e.target === target)) return s;
  return { ...s, notice: null, edges: [...s.edges, edge(source, target)] };
}

export function reducer(s: BuilderState, a: Action): BuilderState {
  switch (a.type) {
    case "load": {
      const edges = a.edges.map((e) => edge(e.source, e.target));
      const nodes = arranged(a.nodes.map((n) => ({ id: n.id, type: "step" as const, position: { x: 0, y: 0 }, data: n.data })), edges);
      const loaded = { ...emptyState(a.experiment.task), experiment: a.experiment, nodes, edges, base: a.base, picked: a.picked ?? "" };
      return { ...loaded, nextId: nodes.length + 1, baseline: contentKey(loaded) };
    }
    case "restore":
      return a.state;
    case "nodeChanges": {
      const nodes = applyNodeChanges(a.changes, s.nodes);
      const gone = new Set(s.nodes.filter((n) => !nodes.includes(n) && !nodes.some((m) => m.id === n.id)).map((n) => n.id));
      if (!gone.size) return { ...s, nodes };
      return {
        ...s,
        nodes,
        edges: s.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)),
        selectedId: s.selectedId && gone.has(s.selectedId) ? null : s.selectedId,
      };
    }
    case "edgeChanges":
      return { ...s, edges: applyEdgeChanges(a.changes, s.edges) };
    case "addStep": {
      const stepId = freshStepId(a.idBase, s.nodes.map((n) => n.data.stepId));
      const id = `n${s.nextId}`;
      const count = s.nodes.length;
      const position = a.position ?? { x: 40 + count * 190, y: 120 + (count % 2) * 60 };
      const node: StepNode = { id, type: "step", position, data: emptyStep(stepId, a.stepType) };
      return { ...s, nodes: [...s.nodes, node], selectedId: id, nextId: s.nextId + 1 };
    }
    case "connect":
      return connect(s, a.source, a.target);
    case "disconnect":
      return { ...s, edges: s.edges.filter((e) => !(e.source === a.source && e.target === a.target)) };
    case "update":
      return { ...s, nodes: s.nodes.map((n) => (n.id === a.id ? { ...n, data: { ...n.data, ...a.change } } : n)) };
    case "remove":
      return {
        ...s,
        nodes: s.nodes.filter((n) => n.id !== a.id),
        edges: s.edges.filter((e) => e.source !== a.id && e.target !== a.id),
        selectedId: null,
      };
    case "select":
      return { ...s, selectedId: a.id };
    case "experiment":
      return { ...s, experiment: { ...s.experiment, ...a.change } };
    case "task": {
      const { nodes, cleared } = clearForTask(s.nodes, a.vocab, a.task);
      const notice = cleared.length ? `Task is now ${a.task}: cleared what does not fit it (${cleared.join("; ")}).` : null;
      return { ...s, experiment: { ...s.experiment, task: a.task }, nodes: nodes as StepNode[], notice };
    }
    case "pick":
      return { ...s, picked: a.sha256 };
    case "layout":
      return { ...s, nodes: arranged(s.nodes, s.edges) };
    case "saved":
      return { ...s, base: a.base, baseline: contentKey(s) };
    case "notice":
      return { ...s, notice: a.text };
  }
}
