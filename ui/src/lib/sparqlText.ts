// SPARQL text on the SPARQL page: the `# @param` header of a named query, binding its `$name`
// placeholders as RDF terms (as server/graph/queries.py does), prefixes, and result tables.

export interface Param {
  name: string;
  type: string;
}

const PARAM_LINE = /^#\s*@param\s+(\w+)\s+(\w+)\s*$/;
const BAD_IRI = /[\s<>"{}|^`\\]/;
const LISTS: Record<string, string> = { iris: "iri", strings: "string" };

/** The parameters a query's text declares in its `# @param NAME TYPE` header lines. */
export function declaredParams(text: string): Param[] {
  const found: Param[] = [];
  for (const line of text.split("\n")) {
    const match = PARAM_LINE.exec(line.trim());
    if (match && !found.some((p) => p.name === match[1])) found.push({ name: match[1], type: match[2] });
  }
  return found;
}

function literal(text: string): string {
  return JSON.stringify(text); // "…" with \" \\ \n escaped: a valid SPARQL string
}

/** One value as a SPARQL term of its declared type; throws an Error that names the parameter. */
export function toTerm(name: string, type: string, value: string): string {
  const v = value.trim();
  const fail = (why: string) => {
    throw new Error(`parameter ${name} (${type}): ${why}`);
  };
  if (type in LISTS) {
    const items = v ? v.split(",").map((item) => item.trim()).filter(Boolean) : [];
    return items.map((item) => toTerm(name, LISTS[type], item)).join(" ");
  }
  switch (type) {
    case "iri":
      if (!/^[a-z][a-z0-9+.-]*:/i.test(v) || BAD_IRI.test(v)) fail(`${JSON.stringify(v)} is not an absolute IRI`);
      return `<${v}>`;
    case "string":
      return literal(value);
    case "integer":
      if (!/^[+-]?\d+$/.test(v)) fail(`${JSON.stringify(v)} is not an integer`);
      return v;
    case "decimal":
      if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(v)) fail(`${JSON.stringify(v)} is not a decimal`);
      return `${literal(v)}^^<http://www.w3.org/2001/XMLSchema#decimal>`;
    case "boolean":
      if (v !== "true" && v !== "false") fail("give true or false");
      return v;
    case "datetime":
      if (Number.isNaN(Date.parse(v))) fail(`${JSON.stringify(v)} is not a date and time`);
      return `${literal(v)}^^<http://www.w3.org/2001/XMLSchema#dateTime>`;
    default:
      return fail("unknown parameter type");
  }
}

/** The text with each declared `$name` replaced by its value as a term (every one must be given). */
export function bindParams(text: string, values: Record<string, string>): string {
  const params = declaredParams(text);
  const terms = new Map<string, string>();
  for (const p of params) {
    const value = values[p.name] ?? "";
    if (!value.trim() && !(p.type in LISTS)) throw new Error(`parameter ${p.name} (${p.type}) has no value`);
    terms.set(p.name, toTerm(p.name, p.type, value));
  }
  // Header comments keep their `$` words; only the body's placeholders are bound.
  return text
    .split("\n")
    .map((line) => (line.trim().startsWith("#") ? line : line.replace(/\$(\w+)/g, (m, n: string) => terms.get(n) ?? m)))
    .join("\n");
}

export const PREFIXES: Record<string, string> = {
  ol: "https://w3id.org/ontolab/ns#",
  mls: "http://www.w3.org/ns/mls#",
  olm: "https://w3id.org/ontolab/metric#",
  olp: "https://w3id.org/ontolab/param#",
  prov: "http://www.w3.org/ns/prov#",
  dcat: "http://www.w3.org/ns/dcat#",
  dcterms: "http://purl.org/dc/terms/",
  rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  rdfs: "http://www.w3.org/2000/01/rdf-schema#",
  owl: "http://www.w3.org/2002/07/owl#",
  xsd: "http://www.w3.org/2001/XMLSchema#",
};

/** `prefix:local` for an IRI in a known namespace, else null. */
export function compact(iri: string): string | null {
  for (const [prefix, ns] of Object.entries(PREFIXES)) {
    if (iri.startsWith(ns) && /^[\w.-]*$/.test(iri.slice(ns.length))) return `${prefix}:${iri.slice(ns.length)}`;
  }
  return null;
}

/** The PREFIX line a prefixed name needs, when the text does not declare it yet. */
export function missingPrefix(text: string, prefix: string): string | null {
  const ns = PREFIXES[prefix];
  if (!ns || new RegExp(`PREFIX\\s+${prefix}:`, "i").test(text)) return null;
  return `PREFIX ${prefix}: <${ns}>\n`;
}

export type Cell = { value: string; iri: boolean } | null;

/** Rows sorted by one column (numbers as numbers, empty cells last); a stable copy. */
export function sortRows(rows: Record<string, Cell>[], column: string, descending: boolean): Record<string, Cell>[] {
  const key = (cell: Cell) => (cell === null ? null : cell.value);
  return [...rows].sort((a, b) => {
    const x = key(a[column] ?? null);
    const y = key(b[column] ?? null);
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    const nx = Number(x);
    const ny = Number(y);
    const order = x.trim() !== "" && y.trim() !== "" && !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y);
    return descending ? -order : order;
  });
}
