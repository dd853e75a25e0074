import { describe, expect, it } from "vitest";
import { deleteMyQuery, loadMyQueries, saveMyQuery } from "./myQueries";

function memory() {
  const items = new Map<string, string>();
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
}

describe("own queries", () => {
  it("saves by name, replacing one of the same name, and reads them back sorted", () => {
    const store = memory();
    let list = saveMyQuery([], { name: "b", text: "ASK {}" }, store);
    list = saveMyQuery(list, { name: "a", text: "SELECT * {}" }, store);
    list = saveMyQuery(list, { name: "b", text: "ASK { ?s ?p ?o }" }, store);
    expect(loadMyQueries(store)).toEqual([
      { name: "a", text: "SELECT * {}" },
      { name: "b", text: "ASK { ?s ?p ?o }" },
    ]);
    expect(loadMyQueries(store)).toEqual(list);
    expect(deleteMyQuery(list, "a", store)).toEqual([{ name: "b", text: "ASK { ?s ?p ?o }" }]);
    expect(loadMyQueries(store)).toHaveLength(1);
  });
  it("ignores what is not a list of queries", () => {
    const store = memory();
    store.setItem("ontolab.sparql.my-queries", "{not json");
    expect(loadMyQueries(store)).toEqual([]);
    store.setItem("ontolab.sparql.my-queries", JSON.stringify([{ name: 1 }, { name: "ok", text: "ASK {}" }]));
    expect(loadMyQueries(store)).toEqual([{ name: "ok", text: "ASK {}" }]);
  });
});
