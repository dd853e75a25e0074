import { describe, expect, it } from "vitest";
import { query } from "../api/http";
import { buildFilter, conditionProblem, runsSelection, type Condition } from "./filter";

/** The query string the client sends for a selection. */
const runsQuery = (...args: Parameters<typeof runsSelection>) => query({ ...runsSelection(...args) });

const c = (field: string, op: Condition["op"], value: string, join: Condition["join"] = "and"): Condition => ({
  field,
  op,
  value,
  join,
});

describe("buildFilter", () => {
  it("joins conditions with and / or as the server reads them", () => {
    expect(
      buildFilter([c("status", "=", "succeeded"), c("metrics.accuracy", ">=", "0.9"), c("experiment", "=", "iris", "or")]),
    ).toBe("status = succeeded and metrics.accuracy >= 0.9 or experiment = iris");
  });
  it("leaves out incomplete conditions", () => {
    expect(buildFilter([c("metrics.accuracy", ">", ""), c("status", "!=", " failed ")])).toBe("status != failed");
    expect(buildFilter([])).toBe("");
  });
});

describe("conditionProblem", () => {
  it("names what is wrong", () => {
    expect(conditionProblem(c("accuracy", "=", "1"))).toMatch(/not a field/);
    expect(conditionProblem(c("status", "=", ""))).toMatch(/give a value/);
    expect(conditionProblem(c("experiment", "=", "a or b"))).toMatch(/cannot contain/);
    expect(conditionProblem(c("params.build.C", "<", "1"))).toBeNull();
  });
});

describe("runsSelection", () => {
  it("encodes experiment, status and filter", () => {
    expect(runsQuery([c("metrics.f1", ">", "0.5")], "iris", "succeeded")).toBe(
      "?experiment=iris&status=succeeded&filter=metrics.f1+%3E+0.5",
    );
    expect(runsQuery([])).toBe("");
  });
  it("asks the server for one sorted page", () => {
    const page = { sort: "metrics.accuracy", descending: true, limit: 50, offset: 100 };
    expect(runsQuery([], "iris", "", page)).toBe(
      "?experiment=iris&sort=-metrics.accuracy&limit=50&offset=100",
    );
    expect(runsQuery([], "", "", { ...page, descending: false, offset: 0 })).toBe(
      "?sort=metrics.accuracy&limit=50&offset=0",
    );
  });
});
