import { ReactFlow, Background, Controls, MarkerType, Position, type Edge, type Node } from "@xyflow/react";
import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { artifactUrl, getLineage, listModels, useApi, type LineageGraph, type LineageNode } from "../api";
import { runIdOf } from "../lib/iri";
import { LabeledSelect } from "../components/LabeledSelect";
import { Guard } from "../components/State";

/** Columns by distance from the roots: the model on the right, its sources on the left. */
function layout(graph: LineageGraph): { nodes: Node[]; edges: Edge[] } {
  const depth = new Map<string, number>(graph.roots.map((r) => [r, 0]));
  const queue = [...graph.roots];
  while (queue.length) {
    const at = queue.shift()!;
    for (const e of graph.edges.filter((x) => x.source === at)) {
      if (!depth.has(e.target)) {
        depth.set(e.target, depth.get(at)! + 1);
        queue.push(e.target);
      }
    }
  }
  const maxDepth = Math.max(0, ...depth.values());
  const perColumn = new Map<number, number>();
  const nodes: Node[] = graph.nodes.map((n) => {
    const d = depth.get(n.id) ?? maxDepth + 1;
    const row = perColumn.get(d) ?? 0;
    perColumn.set(d, row + 1);
    return {
      id: n.id,
      position: { x: (maxDepth + 1 - d) * 230, y: row * 90 + (d % 2) * 30 },
      data: { label: <LineageLabel node={n} /> },
      className: `lin-node kind-${n.kind}`,
      type: "default",
      sourcePosition: Position.Right,
      targetPosition: Position.Left,
    };
  });
  const edges: Edge[] = graph.edges.map((e, i) => ({
    id: `e${i}`,
    source: e.target,
    target: e.source,
    label: e.relation.replace("prov:", ""),
    markerEnd: { type: MarkerType.ArrowClosed },
    style: { strokeWidth: 1.5 },
    labelStyle: { fontSize: 10 },
  }));
  return { nodes, edges };
}

function LineageLabel({ node }: { node: LineageNode }) {
  return (
    <div>
      <div className="small muted">{node.kind}</div>
      <strong>{node.label ?? node.id.replace(/^.*\//, "")}</strong>
    </div>
  );
}

export function Lineage() {
  const [params, setParams] = useSearchParams();
  const model = params.get("model") ?? "";
  const models = useApi(listModels, []);
  const graph = useApi(model ? () => getLineage({ model }) : null, [model]);
  const [picked, setPicked] = useState<string | null>(null);
  const drawn = useMemo(() => (graph.data ? layout(graph.data) : null), [graph.data]);
  const node = graph.data?.nodes.find((n) => n.id === picked) ?? null;
  return (
    <>
      <h1>Lineage</h1>
      <div className="panel row">
        <LabeledSelect
          id="lineage-model"
          label="Model"
          value={model}
          onChange={(v) => {
            setPicked(null);
            setParams(v ? { model: v } : {});
          }}
        >
          <option value="">— pick a model —</option>
          {model && !models.data?.models.some((m) => m.name === model) && <option value={model}>{model}</option>}
          {models.data?.models.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name}
            </option>
          ))}
        </LabeledSelect>
        <span className="muted small">dataset → steps → artifacts → model; click a node to open it</span>
      </div>
      {!model && <p className="state empty">Pick a model to draw where it came from.</p>}
      {model && (
        <Guard loaded={graph} what="lineage">
          {() => (
            <div className="grid2" style={{ gridTemplateColumns: "3fr 1fr" }}>
              <div className="lineage-graph" data-testid="lineage-graph">
                <ReactFlow
                  nodes={drawn!.nodes}
                  edges={drawn!.edges}
                  fitView
                  nodesConnectable={false}
                  onNodeClick={(_, n) => setPicked(n.id)}
                  proOptions={{ hideAttribution: true }}
                >
                  <Background />
                  <Controls />
                </ReactFlow>
              </div>
              <aside className="panel" aria-live="polite">
                {node ? <NodeDetail node={node} /> : <p className="muted">Click a node to see what it is.</p>}
              </aside>
            </div>
          )}
        </Guard>
      )}
    </>
  );
}

function NodeDetail({ node }: { node: LineageNode }) {
  const run = runIdOf(node.id);
  const step = /\/step\/([^/]+)$/.exec(node.id)?.[1];
  return (
    <div className="node-detail">
      <h2>
        {node.kind}: {node.label}
      </h2>
      <p className="small" style={{ wordBreak: "break-all" }}>
        {node.id}
      </p>
      {node.sha256 && node.kind === "uploaded_file" && (
        <p className="small muted">
          The file as uploaded, sha256 {node.sha256.slice(0, 12)}…; the platform keeps its Parquet form (the dataset version).
        </p>
      )}
      {node.sha256 && node.kind !== "uploaded_file" && (
        <p>
          <a href={artifactUrl(node.sha256)}>Download artifact</a> <span className="small muted">sha256 {node.sha256.slice(0, 12)}…</span>
        </p>
      )}
      {run && (
        <p>
          <Link to={`/runs/${run}${step ? `?step=${step}` : ""}`}>Open run {run}</Link>
        </p>
      )}
      {node.kind === "model" && node.label && (
        <p>
          <Link to={`/models/${node.label}`}>Open model {node.label} in the registry</Link>
        </p>
      )}
      {node.kind === "source" && <p className="muted">The data source the run read.</p>}
      {node.kind === "dataset_version" && <p className="muted">The uploaded dataset version the run read.</p>}
    </div>
  );
}
