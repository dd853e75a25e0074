import { describe, expect, it } from "vitest";
import { aliasProblem, demotedChampion, requestRow } from "./signature";

describe("aliasProblem", () => {
  it("accepts what the server accepts and explains the rest", () => {
    for (const ok of ["champion", "challenger", "staging-2", "a.b_c", "x".repeat(64)]) expect(aliasProblem(ok)).toBeNull();
    for (const bad of ["", "Champion", "2nd", "has space", "-x", "x".repeat(65)]) expect(aliasProblem(bad)).toMatch(/not an alias name/);
  });
});

describe("demotedChampion", () => {
  it("names the champion a move or a delete would demote", () => {
    const aliases = { champion: 2, challenger: 3 };
    expect(demotedChampion(aliases, "champion", 3)).toBe(2);
    expect(demotedChampion(aliases, "champion", null)).toBe(2);
    expect(demotedChampion(aliases, "champion", 2)).toBeNull();
    expect(demotedChampion(aliases, "challenger", 1)).toBeNull();
    expect(demotedChampion({}, "champion", 1)).toBeNull();
  });
});

describe("requestRow", () => {
  const columns = [
    { name: "a", type: "number" as const, dtype: "float64", nullable: false },
    { name: "b", type: "string" as const, dtype: "object", nullable: true },
  ];
  it("sends numbers as numbers, empty as null, and anything else as typed", () => {
    expect(requestRow(columns, { a: "1.5", b: "x" })).toEqual({ a: 1.5, b: "x" });
    expect(requestRow(columns, { a: "", b: "" })).toEqual({ a: null, b: null });
    expect(requestRow(columns, { a: "abc" })).toEqual({ a: "abc", b: null });
  });
});
