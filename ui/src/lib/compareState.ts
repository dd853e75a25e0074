// The Compare page's state in its URL (a reload or a shared link shows the same runs), and the
// columns chosen for its runs table (remembered in the browser).

import { buildFilter, type Condition } from "./filter";

export interface CompareState {
  experiment: string;
  status: string;
  /** The applied filter's conditions. */
  conditions: Condition[];
  sort: { key: string; desc: boolean };
  page: number;
  /** Runs ticked in the table. */
  selected: string[];
  /** Runs shown side by side. */
  compared: string[];
}

const DEFAULT_SORT = { key: "started", desc: true };

/** The conditions a filter text (as `buildFilter` writes it) stands for. */
export function parseFilter(text: string): Condition[] {
  const parts = text.trim().split(/\s+(and|or)\s+/i);
  const out: Condition[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const match = /^(\S+)\s*(!=|>=|<=|=|>|<)\s*(.+)$/.exec(parts[i].trim());
    if (!match) continue;
    const join = (i === 0 ? "and" : parts[i - 1].toLowerCase()) as Condition["join"];
    out.push({ field: match[1], op: match[2] as Condition["op"], value: match[3], join });
  }
  return out;
}

const list = (text: string | null) => (text ? text.split(",").filter(Boolean) : []);

/** The state a URL's query holds; anything missing or unreadable falls back to the default. */
export function readState(query: URLSearchParams): CompareState {
  const sort = query.get("sort") ?? "";
  const page = Number(query.get("page") ?? "1");
  return {
    experiment: query.get("experiment") ?? "",
    status: query.get("status") ?? "",
    conditions: parseFilter(query.get("filter") ?? ""),
    sort: sort ? { key: sort.replace(/^-/, ""), desc: sort.startsWith("-") } : DEFAULT_SORT,
    page: Number.isInteger(page) && page > 1 ? page - 1 : 0,
    selected: list(query.get("selected")),
    compared: list(query.get("compare")),
  };
}

/** The query for a state; defaults are left out so links stay short. */
export function writeState(state: CompareState): URLSearchParams {
  const query = new URLSearchParams();
  if (state.experiment) query.set("experiment", state.experiment);
  if (state.status) query.set("status", state.status);
  const filter = buildFilter(state.conditions);
  if (filter) query.set("filter", filter);
  if (state.sort.key !== DEFAULT_SORT.key || state.sort.desc !== DEFAULT_SORT.desc)
    query.set("sort", `${state.sort.desc ? "-" : ""}${state.sort.key}`);
  if (state.page > 0) query.set("page", String(state.page + 1));
  if (state.selected.length) query.set("selected", state.selected.join(","));
  if (state.compared.length) query.set("compare", state.compared.join(","));
  return query;
}

/** The runs table's optional columns: metrics and params by plain name, and the runs' tags. */
export interface Columns {
  metrics: string[];
  params: string[];
  tags: boolean;
}

const COLUMNS_KEY = "ontolab.compare.columns";

/** The columns chosen before, or null when none were. */
export function loadColumns(storage: Pick<Storage, "getItem"> = localStorage): Columns | null {
  try {
    const saved = JSON.parse(storage.getItem(COLUMNS_KEY) ?? "null") as Partial<Columns> | null;
    if (!saved || !Array.isArray(saved.metrics) || !Array.isArray(saved.params)) return null;
    return { metrics: saved.metrics.map(String), params: saved.params.map(String), tags: saved.tags !== false };
  } catch {
    return null;
  }
}

export function saveColumns(columns: Columns, storage: Pick<Storage, "setItem"> = localStorage): void {
  storage.setItem(COLUMNS_KEY, JSON.stringify(columns));
}
