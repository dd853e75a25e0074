import { lazy, Suspense, useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { errorText, listQueries, runNamedQuery, runSparql, useApi, type SparqlAnswer } from "../api";
import { ParamPickers } from "../components/sparql/ParamPickers";
import { ResourceView, ResultTable } from "../components/sparql/Results";
import { ErrorBox, Guard, Loading } from "../components/State";
import { deleteMyQuery, loadMyQueries, saveMyQuery, type MyQuery } from "../lib/myQueries";
import { bindParams, compact, declaredParams } from "../lib/sparqlText";

const SparqlEditor = lazy(() => import("../components/sparql/SparqlEditor"));

const EDITOR_LABEL = "Query (read-only SPARQL 1.1; all graphs are the default graph)";
const STARTER = `PREFIX ol: <https://w3id.org/ontolab/ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
# Every run with its experiment and status
SELECT ?run ?status WHERE {
  ?run ol:status ?status .
}
LIMIT 100`;

async function loadTerms() {
  const answer = await runNamedQuery("ontology_terms", {});
  if (!("rows" in answer)) return [];
  return answer.rows.flatMap((row) => {
    const name = compact(String(row.term));
    return name && !name.endsWith(":") ? [{ name, label: row.label as string | null, comment: row.comment as string | null }] : [];
  });
}

export function SparqlConsole() {
  const saved = useApi(listQueries, []);
  const terms = useApi(loadTerms, []);
  const [search, setSearch] = useSearchParams();
  const [text, setText] = useState(STARTER);
  const [picked, setPicked] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [mine, setMine] = useState<MyQuery[]>(() => loadMyQueries());
  const [myName, setMyName] = useState("");
  const [answer, setAnswer] = useState<SparqlAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const query = useMemo(() => saved.data?.queries.find((q) => q.name === picked) ?? null, [saved.data, picked]);
  const params = useMemo(() => declaredParams(text), [text]);
  const resource = search.get("resource");
  const open = (iri: string) => setSearch({ resource: iri });

  /** Run the editor's text as it stands, its declared `$parameters` bound from the pickers. */
  async function run() {
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      setAnswer(await runSparql(params.length ? bindParams(text, values) : text));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  function load(name: string, body: string) {
    setPicked(name);
    setValues({});
    setText(body);
  }

  return (
    <>
      <h1>SPARQL console</h1>
      <div className="grid2" style={{ gridTemplateColumns: "2fr 1fr" }}>
        <section className="panel">
          <p className="small" id="sparql-editor-label">
            {EDITOR_LABEL}
          </p>
          <Suspense fallback={<Loading what="Loading the editor" />}>
            <SparqlEditor value={text} onChange={setText} onRun={run} terms={terms.data ?? []} label={EDITOR_LABEL} />
          </Suspense>
          <div className="row" style={{ marginTop: "0.5rem" }}>
            <button className="primary" onClick={run} disabled={busy || !text.trim()}>
              Run query
            </button>
            <span className="muted small">Ctrl+Enter runs it; Ctrl+Space completes prefixes and ontology terms</span>
          </div>
          {params.length > 0 && (
            <fieldset style={{ marginTop: "0.5rem" }}>
              <legend>Parameters (from the query's # @param lines)</legend>
              <ParamPickers params={params} values={values} onChange={setValues} />
            </fieldset>
          )}
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
                  onChange={(e) => load(e.target.value, d.queries.find((q) => q.name === e.target.value)?.text ?? text)}
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
                    <div className="row" style={{ marginTop: "0.5rem" }}>
                      <button className="primary" onClick={run} disabled={busy}>
                        Run saved query
                      </button>
                      <button onClick={() => load(query.name, query.text)} disabled={text === query.text}>
                        Undo my edits
                      </button>
                    </div>
                    <p className="muted small">Runs the text in the editor, your edits included.</p>
                  </>
                )}
              </>
            )}
          </Guard>
          <h2>My queries</h2>
          <p className="muted small">Kept in this browser only (localStorage).</p>
          <div className="row">
            <label htmlFor="my-query-name">Name</label>
            <input id="my-query-name" value={myName} onChange={(e) => setMyName(e.target.value)} />
            <button onClick={() => (setMine(saveMyQuery(mine, { name: myName.trim(), text })), setMyName(""))} disabled={!myName.trim()}>
              Save as my query
            </button>
          </div>
          <ul aria-label="My queries">
            {mine.map((q) => (
              <li key={q.name}>
                <button type="button" className="link" onClick={() => load("", q.text)}>
                  {q.name}
                </button>{" "}
                <button type="button" onClick={() => setMine(deleteMyQuery(mine, q.name))} aria-label={`Delete ${q.name}`}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        </section>
      </div>
      {resource && <ResourceView iri={resource} open={open} close={() => setSearch({})} />}
      <section className="panel" aria-live="polite">
        <h2>Results</h2>
        {busy && <Loading what="Running the query" />}
        {error && <ErrorBox error={error} title="The query failed" />}
        {!busy && !error && !answer && <p className="muted">Run a query to see its results here.</p>}
        {answer?.kind === "boolean" && <p className="state ok">ASK answered {answer.value ? "true" : "false"}.</p>}
        {answer?.kind === "graph" && <pre>{answer.text}</pre>}
        {answer?.kind === "table" && <ResultTable table={answer.table} open={open} />}
      </section>
    </>
  );
}
