import { Handle, Position, type NodeProps } from "@xyflow/react";
import type { StepNode } from "./state";

/** A step on the canvas: fixed size; its problems are a count here and listed in the side panel. */
export function StepBox({ data, selected }: NodeProps<StepNode>) {
  const problems = data.problems ?? 0;
  return (
    <div className={`step-node${selected ? " selected" : ""}${problems ? " has-errors" : ""}`} data-step={data.stepId} title={data.stepId}>
      <Handle type="target" position={Position.Left} aria-label={`input of ${data.stepId}`} />
      <div className="type">{data.stepType}</div>
      <strong className="step-id">{data.stepId}</strong>
      {problems > 0 && (
        <span className="problem-count" aria-label={`${problems} problem(s) of ${data.stepId}`}>
          {problems} problem{problems === 1 ? "" : "s"}
        </span>
      )}
      <Handle type="source" position={Position.Right} aria-label={`output of ${data.stepId}`} />
    </div>
  );
}

export const NODE_TYPES = { step: StepBox };
