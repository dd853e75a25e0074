// The run filter builder: rows of conditions → the `filter=` text /api/runs reads
// ("status = succeeded and metrics.accuracy >= 0.9 or experiment = iris").

import type { RunSelection } from "../api/types";

export const OPERATORS = ["=", "!=", ">", ">=", "<", "<="] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Condition {
  field: string;
  op: Operator;
  value: string;
  /** How this condition joins the one before it. */
  join: "and" | "or";
}

const FIELD = /^(status|experiment|version|started|(metrics|params)\.[A-Za-z0-9_.-]+)$/;

/** Why a condition cannot be sent, or null when it is fine. */
export function conditionProblem(c: Condition): string | null {
  if (!FIELD.test(c.field.trim()))
    return `“${c.field}” is not a field; use status, experiment, version, started, metrics.NAME or params.NAME`;
  if (!c.value.trim()) return `give a value to compare ${c.field} with`;
  if (/\s(and|or)\s/i.test(` ${c.value} `)) return "a value cannot contain the words “and” or “or”";
  return null;
}

/** The filter text for the complete conditions (incomplete ones are left out). */
export function buildFilter(conditions: Condition[]): string {
  const usable = conditions.filter((c) => conditionProblem(c) === null);
  return usable
    .map((c, i) => `${i === 0 ? "" : ` ${c.join} `}${c.field.trim()} ${c.op} ${c.value.trim()}`)
    .join("");
}

/** One page of runs in an order: sorted and paged by the server, which reads only that page's values. */
export interface RunsPage {
  sort: string;
  descending: boolean;
  limit: number;
  offset: number;
}

/** What to ask `listRuns` (GET /api/runs) for: unset fields are left out. */
export function runsSelection(conditions: Condition[], experiment = "", status = "", page?: RunsPage): RunSelection {
  const selection: RunSelection = {};
  if (experiment) selection.experiment = experiment;
  if (status) selection.status = status;
  const filter = buildFilter(conditions);
  if (filter) selection.filter = filter;
  if (page) {
    selection.sort = `${page.descending ? "-" : ""}${page.sort}`;
    selection.limit = page.limit;
    selection.offset = page.offset;
  }
  return selection;
}
