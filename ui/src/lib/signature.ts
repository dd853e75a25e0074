// The registry page's pure logic: alias names as the server checks them, champion demotions,
// and a model's example request built from its input schema.
import type { InputColumn } from "../api";

/** The server's alias name rule (server/registry/model.py ALIAS_NAME). */
export const ALIAS_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
export const CHAMPION = "champion";

/** Why `alias` is not an alias name, in the server's words, or null when it is one. */
export function aliasProblem(alias: string): string | null {
  if (ALIAS_NAME.test(alias)) return null;
  return `"${alias}" is not an alias name; use a lower-case name starting with a letter, such as champion or challenger ([a-z][a-z0-9_.-]*, at most 64)`;
}

/** The champion version a change would demote: `alias` moved off it (or deleted when `version` is null). */
export function demotedChampion(aliases: Record<string, number>, alias: string, version: number | null): number | null {
  const current = aliases[CHAMPION];
  if (alias !== CHAMPION || current === undefined) return null;
  return current === version ? null : current;
}

/** A placeholder value per column: what the form starts with and the example request shows. */
export function exampleValue(column: InputColumn): number | string {
  return column.type === "number" ? 0 : "";
}

/** A form's texts as one request row: numbers where the column is numeric, null when empty. */
export function requestRow(columns: InputColumn[], texts: Record<string, string>): Record<string, number | string | null> {
  const row: Record<string, number | string | null> = {};
  for (const column of columns) {
    const text = (texts[column.name] ?? "").trim();
    if (text === "") row[column.name] = null;
    else if (column.type === "number" && text !== "" && Number.isFinite(Number(text))) row[column.name] = Number(text);
    else row[column.name] = text; // the server names the field it refuses
  }
  return row;
}

/** The example request body for one row. */
export function exampleRequest(columns: InputColumn[], texts: Record<string, string>): string {
  return JSON.stringify({ dataframe_records: [requestRow(columns, texts)] }, null, 2);
}
