import { runColour } from "../../lib/compare";

/** Which colour is which run (the same in every chart of the comparison). */
export function Legend({ runs, label }: { runs: string[]; label: string }) {
  return (
    <ul className="legend" aria-label={label}>
      {runs.map((run, i) => (
        <li key={run}>
          <span className="swatch" style={{ background: runColour(i) }} aria-hidden="true" />
          <span data-colour={runColour(i)}>{run}</span>
        </li>
      ))}
    </ul>
  );
}
