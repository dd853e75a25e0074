import { describe, expect, it } from "vitest";
import { bindParams, compact, declaredParams, missingPrefix, sortRows, toTerm } from "./sparqlText";

const QUERY = `# Metrics of one run.
# @param run iri
# @param limit integer
SELECT ?m WHERE { GRAPH $run { $run ?p ?m } } LIMIT $limit`;

describe("named query parameters", () => {
  it("reads the @param header", () => {
    expect(declaredParams(QUERY)).toEqual([
      { name: "run", type: "iri" },
      { name: "limit", type: "integer" },
    ]);
  });
  it("binds every placeholder in the body, not in comments", () => {
    const text = bindParams(QUERY, { run: "https://w3id.org/ontolab/id/run/abc", limit: "5" });
    expect(text).toContain("GRAPH <https://w3id.org/ontolab/id/run/abc> { <https://w3id.org/ontolab/id/run/abc> ?p ?m }");
    expect(text).toContain("LIMIT 5");
    expect(text).toContain("# @param run iri");
  });
  it("refuses a missing or ill-typed value", () => {
    expect(() => bindParams(QUERY, { run: "x:y" })).toThrow(/limit/);
    expect(() => bindParams(QUERY, { run: "not an iri", limit: "1" })).toThrow(/not an absolute IRI/);
    expect(() => toTerm("run", "iri", "http://a/>} DELETE")).toThrow(/not an absolute IRI/);
    expect(() => toTerm("n", "integer", "1; DROP")).toThrow(/not an integer/);
  });
  it("escapes strings and binds lists", () => {
    expect(toTerm("s", "string", 'a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
    expect(toTerm("r", "iris", "http://a/1, http://a/2")).toBe("<http://a/1> <http://a/2>");
    expect(toTerm("r", "strings", "")).toBe("");
  });
});

describe("prefixes", () => {
  it("compacts known namespaces only", () => {
    expect(compact("https://w3id.org/ontolab/ns#Run")).toBe("ol:Run");
    expect(compact("http://www.w3.org/ns/dcat#Dataset")).toBe("dcat:Dataset");
    expect(compact("https://example.org/x")).toBeNull();
  });
  it("adds a PREFIX line only when missing", () => {
    expect(missingPrefix("SELECT *", "mls")).toBe("PREFIX mls: <http://www.w3.org/ns/mls#>\n");
    expect(missingPrefix("PREFIX mls: <http://www.w3.org/ns/mls#>\nSELECT *", "mls")).toBeNull();
  });
});

describe("sorting results", () => {
  const rows = [{ v: { value: "10", iri: false } }, { v: null }, { v: { value: "9", iri: false } }];
  it("sorts numbers as numbers with empty cells last", () => {
    expect(sortRows(rows, "v", false).map((r) => r.v?.value ?? null)).toEqual(["9", "10", null]);
    expect(sortRows(rows, "v", true).map((r) => r.v?.value ?? null)).toEqual(["10", "9", null]);
  });
});
