import { describe, expect, it } from "vitest";
import { loadColumns, parseFilter, readState, saveColumns, writeState } from "./compareState";
import { buildFilter } from "./filter";

describe("the Compare page's URL", () => {
  it("round-trips selection, filter, sort and page", () => {
    const state = {
      experiment: "iris",
      status: "succeeded",
      conditions: [
        { field: "metrics.accuracy", op: ">=" as const, value: "0.9", join: "and" as const },
        { field: "params.C", op: "=" as const, value: "1", join: "or" as const },
      ],
      sort: { key: "metrics.accuracy", desc: false },
      page: 2,
      selected: ["a", "b", "c"],
      compared: ["a", "b"],
    };
    const query = writeState(state);
    expect(query.get("sort")).toBe("metrics.accuracy");
    expect(query.get("page")).toBe("3");
    expect(readState(new URLSearchParams(query.toString()))).toEqual(state);
  });
  it("leaves defaults out and reads an empty query as them", () => {
    const empty = readState(new URLSearchParams(""));
    expect(empty).toEqual({
      experiment: "",
      status: "",
      conditions: [],
      sort: { key: "started", desc: true },
      page: 0,
      selected: [],
      compared: [],
    });
    expect(writeState(empty).toString()).toBe("");
    expect(readState(new URLSearchParams("page=-4")).page).toBe(0);
  });
  it("parses what buildFilter writes", () => {
    const text = "status = succeeded and metrics.accuracy > 0.5 or experiment = iris";
    expect(buildFilter(parseFilter(text))).toBe(text);
    expect(parseFilter("nonsense")).toEqual([]);
  });
});

describe("the chosen columns", () => {
  it("are saved and read back; junk reads as none", () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(loadColumns(storage)).toBeNull();
    saveColumns({ metrics: ["accuracy"], params: ["C"], tags: false }, storage);
    expect(loadColumns(storage)).toEqual({ metrics: ["accuracy"], params: ["C"], tags: false });
    store.set("ontolab.compare.columns", "{not json");
    expect(loadColumns(storage)).toBeNull();
  });
});
