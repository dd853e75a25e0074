// Values for a query's declared parameters: runs, models and experiments picked by name where
// the parameter's name says which it takes, a typed text field otherwise.
import { listExperiments, listModels, listRuns, useApi } from "../../api";
import type { Param } from "../../lib/sparqlText";

const ID = "https://w3id.org/ontolab/id/";
/** Like Python's quote(text, safe="-_.~"), as the platform's IRIs are made. */
const quote = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
export const runIri = (runId: string) => `${ID}run/${quote(runId)}`;
export const modelIri = (name: string) => `${ID}model/${quote(name)}`;

type Kind = "run" | "model" | "model-name" | "experiment" | null;

function kindOf(p: Param): Kind {
  if (p.type === "iri" && /^run(_\w+)?$/.test(p.name)) return "run";
  if (p.type === "iri" && p.name === "model") return "model";
  if (p.type === "string" && p.name === "name") return "model-name";
  if (p.type === "string" && (p.name === "experiment" || p.name === "identifier")) return "experiment";
  return null;
}

export function ParamPickers({
  params,
  values,
  onChange,
}: {
  params: Param[];
  values: Record<string, string>;
  onChange: (values: Record<string, string>) => void;
}) {
  const kinds = new Set(params.map(kindOf));
  const runs = useApi(kinds.has("run") ? () => listRuns({ limit: 500 }) : null, [kinds.has("run")]);
  const models = useApi(kinds.has("model") || kinds.has("model-name") ? listModels : null, [kinds.has("model") || kinds.has("model-name")]);
  const experiments = useApi(kinds.has("experiment") ? listExperiments : null, [kinds.has("experiment")]);

  function choices(kind: Kind): [string, string][] | null {
    if (kind === "run")
      return (runs.data?.runs ?? []).map((r) => [runIri(r.run_id), `${r.experiment} #${r.number ?? r.run_id.slice(0, 8)} · ${r.status}`]);
    if (kind === "model") return (models.data?.models ?? []).map((m) => [modelIri(m.name), m.name]);
    if (kind === "model-name") return (models.data?.models ?? []).map((m) => [m.name, m.name]);
    if (kind === "experiment") return (experiments.data?.experiments ?? []).map((e) => [e.identifier, e.identifier]);
    return null;
  }

  return (
    <>
      {params.map((p) => {
        const options = choices(kindOf(p));
        const id = `param-${p.name}`;
        const set = (v: string) => onChange({ ...values, [p.name]: v });
        return (
          <div key={p.name}>
            <label htmlFor={id}>
              {p.name} <span className="muted small">({p.type})</span>
            </label>
            {options ? (
              <select id={id} value={values[p.name] ?? ""} onChange={(e) => set(e.target.value)} style={{ width: "100%" }}>
                <option value="">— pick one —</option>
                {options.map(([value, text]) => (
                  <option key={value} value={value}>
                    {text}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                value={values[p.name] ?? ""}
                placeholder={p.type === "iris" || p.type === "strings" ? "comma-separated" : undefined}
                onChange={(e) => set(e.target.value)}
                style={{ width: "100%" }}
              />
            )}
          </div>
        );
      })}
    </>
  );
}
