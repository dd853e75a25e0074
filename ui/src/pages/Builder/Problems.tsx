import type { Violation } from "../../api";

export interface Problem {
  step: string;
  message: string;
  /** The ontology term the server named (violations only). */
  path?: string | null;
}

export function toProblems(byStep: Map<string, Violation[]>): Problem[] {
  return [...byStep].flatMap(([step, list]) =>
    list.map((v) => ({ step, path: v.path, message: step ? v.message : `${v.node} ${v.path ?? ""}: ${v.message}` })),
  );
}

/** Every problem on the canvas, in the side panel, each with a way to its step's form. */
export function ProblemList({ problems, onOpen }: { problems: Problem[]; onOpen: (stepId: string) => void }) {
  if (problems.length === 0) return null;
  return (
    <section aria-label="Problems">
      <h3>Problems ({problems.length})</h3>
      <ul className="problems">
        {problems.map((p, i) => (
          <li key={i} className="field-error">
            {p.step ? (
              <button type="button" className="link" onClick={() => onOpen(p.step)}>
                {p.step}
              </button>
            ) : (
              <strong>experiment</strong>
            )}
            : {p.path && p.path !== "(node)" ? `${p.path}: ` : ""}
            {p.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
