// The SPARQL page's answers: a table paged and sorted in the browser whose IRIs open the
// resource view, and that view (a node's triples out and in, from the named query
// resource_triples).
import { useMemo, useState } from "react";
import { runNamedQuery, useApi, type Table } from "../../api";
import { toCsv } from "../../lib/csv";
import { compact, sortRows, type Cell } from "../../lib/sparqlText";
import { Guard } from "../State";

const PAGE_SIZES = [25, 100, 500];
/** resource_triples.rq's LIMIT. */
const TRIPLE_CAP = 2000;

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

/** Rows of cells: from /sparql the term types say which values are IRIs; else none are. */
function cellsOf(table: Table): Record<string, Cell>[] {
  return table.rows.map((row, i) =>
    Object.fromEntries(
      table.columns.map((c) => {
        const v = row[c];
        if (v === null || v === undefined) return [c, null];
        return [c, { value: String(v), iri: table.terms?.[i]?.[c] === "uri" }];
      }),
    ),
  );
}

export function IriLink({ iri, open }: { iri: string; open: (iri: string) => void }) {
  return (
    <button type="button" className="link iri" title={iri} onClick={() => open(iri)}>
      {compact(iri) ?? iri}
    </button>
  );
}

export function ResultTable({ table, open, label = "Query results" }: { table: Table; open: (iri: string) => void; label?: string }) {
  const [sort, setSort] = useState<{ column: string; descending: boolean } | null>(null);
  const [size, setSize] = useState(PAGE_SIZES[0]);
  const [page, setPage] = useState(0);
  const cells = useMemo(() => cellsOf(table), [table]);
  const sorted = useMemo(() => (sort ? sortRows(cells, sort.column, sort.descending) : cells), [cells, sort]);
  const pages = Math.max(1, Math.ceil(sorted.length / size));
  const current = Math.min(page, pages - 1);
  const shown = sorted.slice(current * size, (current + 1) * size);

  function sortBy(column: string) {
    setSort(sort?.column === column ? { column, descending: !sort.descending } : { column, descending: false });
    setPage(0);
  }

  return (
    <>
      <div className="row">
        <span>
          {table.rows.length} row{table.rows.length === 1 ? "" : "s"}
        </span>
        <span className="spacer" />
        <label className="small">
          Rows per page{" "}
          <select value={size} onChange={(e) => (setSize(Number(e.target.value)), setPage(0))}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button onClick={() => setPage(current - 1)} disabled={current === 0}>
          Previous page
        </button>
        <span className="small" aria-live="polite">
          Page {current + 1} of {pages}
        </span>
        <button onClick={() => setPage(current + 1)} disabled={current >= pages - 1}>
          Next page
        </button>
        <button onClick={() => download("query-results.csv", toCsv(table.columns, table.rows))}>Download CSV</button>
      </div>
      {table.rows.length === 0 ? (
        <p className="state empty">The query matched nothing.</p>
      ) : (
        <div className="table-wrap">
          <table className="results" aria-label={label}>
            <thead>
              <tr>
                {table.columns.map((c) => (
                  <th key={c} aria-sort={sort?.column === c ? (sort.descending ? "descending" : "ascending") : "none"}>
                    <button type="button" className="link" onClick={() => sortBy(c)}>
                      {c}
                      {sort?.column === c ? (sort.descending ? " ▼" : " ▲") : ""}
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((row, i) => (
                <tr key={current * size + i}>
                  {table.columns.map((c) => {
                    const cell = row[c];
                    return <td key={c}>{cell === null ? "" : cell.iri ? <IriLink iri={cell.value} open={open} /> : cell.value}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

interface Triple {
  direction: string;
  predicate: string;
  other: string;
  other_is_iri: boolean;
  graph: string;
}

/** A node's triples, out (it is the subject) and in (it is the object), each IRI a link on. */
export function ResourceView({ iri, open, close }: { iri: string; open: (iri: string) => void; close: () => void }) {
  const triples = useApi(async () => {
    const answer = await runNamedQuery("resource_triples", { node: iri });
    if (!("rows" in answer)) throw new Error("resource_triples gave no table");
    return answer.rows as unknown as Triple[];
  }, [iri]);
  return (
    <section className="panel" aria-label="Resource view">
      <div className="row">
        <h2 style={{ margin: 0 }}>
          Resource <code>{compact(iri) ?? iri}</code>
        </h2>
        <span className="spacer" />
        <button onClick={close}>Close resource view</button>
      </div>
      <p className="muted small">{iri}</p>
      {triples.data && triples.data.length >= TRIPLE_CAP && (
        <p className="state empty">Only the first {TRIPLE_CAP} triples are shown; query the rest in the editor.</p>
      )}
      <Guard loaded={triples} what="the node's triples" isEmpty={(rows) => rows.length === 0}>
        {(rows) => (
          <>
            {(["out", "in"] as const).map((direction) => {
              const mine = rows.filter((r) => r.direction === direction);
              return (
                <div key={direction}>
                  <h3>
                    {direction === "out" ? "Out (this node as subject)" : "In (this node as object)"}: {mine.length}
                  </h3>
                  <table className="results" aria-label={direction === "out" ? "Triples out" : "Triples in"}>
                    <thead>
                      <tr>
                        <th>predicate</th>
                        <th>{direction === "out" ? "object" : "subject"}</th>
                        <th>graph</th>
                      </tr>
                    </thead>
                    <tbody>
                      {mine.map((r, i) => (
                        <tr key={i}>
                          <td>
                            <IriLink iri={r.predicate} open={open} />
                          </td>
                          <td>{r.other_is_iri ? <IriLink iri={r.other} open={open} /> : r.other}</td>
                          <td>
                            <IriLink iri={r.graph} open={open} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              );
            })}
          </>
        )}
      </Guard>
    </section>
  );
}

