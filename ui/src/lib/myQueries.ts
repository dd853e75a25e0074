// The user's own SPARQL queries, kept in this browser's localStorage (not on the platform).
export interface MyQuery {
  name: string;
  text: string;
}

const KEY = "ontolab.sparql.my-queries";

export function loadMyQueries(storage: Pick<Storage, "getItem"> = localStorage): MyQuery[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((q): q is MyQuery => typeof q?.name === "string" && typeof q?.text === "string") : [];
  } catch {
    return [];
  }
}

/** The list with `query` saved (one by a name: saving again replaces it), sorted by name. */
export function saveMyQuery(list: MyQuery[], query: MyQuery, storage: Pick<Storage, "setItem"> = localStorage): MyQuery[] {
  const next = [...list.filter((q) => q.name !== query.name), query].sort((a, b) => a.name.localeCompare(b.name));
  storage.setItem(KEY, JSON.stringify(next));
  return next;
}

export function deleteMyQuery(list: MyQuery[], name: string, storage: Pick<Storage, "setItem"> = localStorage): MyQuery[] {
  const next = list.filter((q) => q.name !== name);
  storage.setItem(KEY, JSON.stringify(next));
  return next;
}
