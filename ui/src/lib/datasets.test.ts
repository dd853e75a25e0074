import { describe, expect, it } from "vitest";
import { parseDatasetSource } from "./datasets";

describe("parseDatasetSource", () => {
  it("reads the name and version of an uploaded dataset source", () => {
    expect(parseDatasetSource("dataset:wine_small@3")).toEqual({ name: "wine_small", version: 3 });
    expect(parseDatasetSource(" dataset:a.b-c@12 ")).toEqual({ name: "a.b-c", version: 12 });
  });
  it("is null for other sources and for a name without a version", () => {
    expect(parseDatasetSource("sklearn:iris")).toBeNull();
    expect(parseDatasetSource("dataset:wine")).toBeNull();
    expect(parseDatasetSource("dataset:../x@1")).toBeNull();
  });
});
