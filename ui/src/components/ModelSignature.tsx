import { useEffect, useState } from "react";
import { errorText, getInputSchema, predictVersion, useApi, type InputSchema, type Prediction } from "../api";
import { ErrorBox, Guard } from "./State";
import { TableHead } from "./TableHead";
import { Refusal } from "./Refusal";
import { useRefusal } from "../lib/access";
import { exampleRequest, exampleValue, requestRow } from "../lib/signature";

/** A version's signature (its input columns), an example request, and a form that calls predict. */
export function ModelSignature({ name, versions }: { name: string; versions: number[] }) {
  const latest = versions[versions.length - 1];
  const [version, setVersion] = useState(latest);
  useEffect(() => setVersion(latest), [name, latest]);
  const schema = useApi(version === undefined ? null : () => getInputSchema(name, version), [name, version]);
  return (
    <section aria-label="Signature and try it">
      <h3>Signature</h3>
      <label htmlFor="signature-version">Version</label>{" "}
      <select id="signature-version" value={version} onChange={(e) => setVersion(Number(e.target.value))}>
        {[...versions].reverse().map((v) => (
          <option key={v} value={v}>
            v{v}
          </option>
        ))}
      </select>
      <Guard loaded={schema} what="the input schema">
        {(s) => <Signature key={`${name}@${s.version}`} name={name} schema={s} />}
      </Guard>
    </section>
  );
}

function Signature({ name, schema }: { name: string; schema: InputSchema }) {
  const [texts, setTexts] = useState<Record<string, string>>(() =>
    Object.fromEntries(schema.columns.map((c) => [c.name, String(exampleValue(c))])),
  );
  const [answer, setAnswer] = useState<Prediction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const why = useRefusal("runner", { kind: "model", resource: name });
  const path = `/api/models/${encodeURIComponent(name)}/versions/${schema.version}/predict`;
  const body = exampleRequest(schema.columns, texts);
  async function tryIt(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      setAnswer(await predictVersion(name, schema.version, { dataframe_records: [requestRow(schema.columns, texts)] }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <p className="muted small">
        Task: {schema.task}
        {schema.target && <>; predicts {schema.target}</>}
        {schema.classes && <> (classes {schema.classes.join(", ")})</>}. Accepts {schema.formats.join(", ")}.
      </p>
      <div className="table-wrap">
        <table aria-label="Input schema">
          <TableHead columns={["Column", "Type", "dtype", "Nullable"]} />
          <tbody>
            {schema.columns.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td>
                <td>{c.type}</td>
                <td className="small">{c.dtype}</td>
                <td>{c.nullable ? "yes" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Example request</h3>
      <pre className="example-request" aria-label="Example request">
        {`curl -X POST ${window.location.origin}${path} \\\n  -H 'Content-Type: application/json' \\\n  -d '${body}'`}
      </pre>
      <h3>Try it</h3>
      <form className="try-it" onSubmit={tryIt} aria-label="Try it">
        <div className="grid2">
          {schema.columns.map((c) => (
            <label key={c.name} className="small">
              {c.name}
              <input
                name={c.name}
                inputMode={c.type === "number" ? "decimal" : "text"}
                value={texts[c.name] ?? ""}
                onChange={(e) => setTexts((t) => ({ ...t, [c.name]: e.target.value }))}
              />
            </label>
          ))}
        </div>
        <button className="primary" type="submit" disabled={busy || !!why} aria-describedby={why ? "predict-refusal" : undefined}>
          {busy ? "Predicting…" : `Predict with v${schema.version}`}
        </button>
      </form>
      <Refusal why={why} id="predict-refusal" />
      {error && <ErrorBox error={error} title="Predict refused" />}
      {answer && (
        <div className="state ok" role="status" aria-label="Prediction">
          Prediction: <strong data-prediction>{answer.predictions.map(String).join(", ")}</strong>
          <pre className="small">{JSON.stringify(answer, null, 2)}</pre>
        </div>
      )}
    </>
  );
}
