import { useMemo, useState } from "react";
import { errorText, listQueries, runNamedQuery, runSparql, useApi, type SparqlAnswer, type Table } from "../api";
import { ErrorBox, Guard, Loading } from "../components/State";
import { toCsv } from "../lib/csv";

const STARTER = `PREFIX ol: <https://w3id.org/ontolab/ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
# Every run with its experiment and status
SELECT ?run ?status WHERE {
  ?run ol:status ?status .
}
LIMIT 100`;

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function SparqlConsole() {
  const saved = useApi(listQueries, []);
  const [text, setText] = useState(STARTER);
  const [picked, setPicked] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [answer, setAnswer] = useState<SparqlAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const query = useMemo(() => saved.data?.queries.find((q) => q.name === picked) ?? null, [saved.data, picked]);

  async function runText() {
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      setAnswer(await runSparql(text));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  async function runSaved() {
    if (!query) return;
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      const result = await runNamedQuery(query.name, Object.fromEntries(query.parameters.map((p) => [p.name, values[p.name] ?? ""])));
      setAnswer("boolean" in result ? { kind: "boolean", value: result.boolean } : { kind: "table", table: result });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>SPARQL console</h1>
      <div className="grid2" style={{ gridTemplateColumns: "2fr 1fr" }}>
        <section className="panel">
          <label htmlFor="sparql-editor">Query (read-only SPARQL 1.1; all graphs are the default graph)</label>
          <textarea
            id="sparql-editor"
            rows={12}
            value={text}
            spellCheck={false}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) runText();
            }}
          />
          <div className="row" style={{ marginTop: "0.5rem" }}>
            <button className="primary" onClick={runText} disabled={busy || !text.trim()}>
              Run query
            </button>
            <span className="muted small">Ctrl+Enter runs it</span>
          </div>
        </section>
        <section className="panel">
          <h2>Saved queries</h2>
          <Guard loaded={saved} what="saved queries" isEmpty={(d) => d.queries.length === 0}>
            {(d) => (
              <>
                <label htmlFor="saved-query">Query</label>
                <select
                  id="saved-query"
                  value={picked}
                  onChange={(e) => {
                    setPicked(e.target.value);
                    setValues({});
                    const chosen = d.queries.find((q) => q.name === e.target.value);
                    if (chosen) setText(chosen.text);
                  }}
                >
                  <option value="">— pick a saved query —</option>
                  {d.queries.map((q) => (
                    <option key={q.name} value={q.name}>
                      {q.name}
                    </option>
                  ))}
                </select>
                {query && (
                  <>
                    <p className="small">{query.description}</p>
                    {query.parameters.map((p) => (
                      <div key={p.name}>
                        <label htmlFor={`param-${p.name}`}>
                          {p.name} <span className="muted small">({p.type})</span>
                        </label>
                        <input
                          id={`param-${p.name}`}
                          value={values[p.name] ?? ""}
                          onChange={(e) => setValues({ ...values, [p.name]: e.target.value })}
                          style={{ width: "100%" }}
                        />
                      </div>
                    ))}
                    <div className="row" style={{ marginTop: "0.5rem" }}>
                      <button className="primary" onClick={runSaved} disabled={busy}>
                        Run saved query
                      </button>
                    </div>
                  </>
                )}
              </>
            )}
          </Guard>
        </section>
      </div>
      <section className="panel" aria-live="polite">
        <h2>Results</h2>
        {busy && <Loading what="Running the query" />}
        {error && <ErrorBox error={error} title="The query failed" />}
        {!busy && !error && !answer && <p className="muted">Run a query to see its results here.</p>}
        {answer?.kind === "boolean" && <p className="state ok">ASK answered {answer.value ? "true" : "false"}.</p>}
        {answer?.kind === "graph" && <pre>{answer.text}</pre>}
        {answer?.kind === "table" && <ResultTable table={answer.table} />}
      </section>
    </>
  );
}

function ResultTable({ table }: { table: Table }) {
  const shown = table.rows.slice(0, 1000);
  return (
    <>
      <div className="row">
        <span>
          {table.rows.length} row{table.rows.length === 1 ? "" : "s"}
          {table.rows.length > shown.length && ` (first ${shown.length} shown)`}
        </span>
        <span className="spacer" />
        <button onClick={() => download("query-results.csv", toCsv(table.columns, table.rows))}>Download CSV</button>
      </div>
      {table.rows.length === 0 ? (
        <p className="state empty">The query matched nothing.</p>
      ) : (
        <div className="table-wrap">
          <table className="results">
            <thead>
              <tr>
                {table.columns.map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((row, i) => (
                <tr key={i}>
                  {table.columns.map((c) => (
                    <td key={c}>{row[c] === null || row[c] === undefined ? "" : String(row[c])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
