import { describe, expect, it } from "vitest";
import { pageTitle, shortId } from "./title";

describe("page titles", () => {
  it("names the page, then the app", () => {
    expect(pageTitle("Runs")).toBe("Runs · Ontolab");
    expect(pageTitle("  ")).toBe("Ontolab");
  });
  it("cuts long ids and keeps short ones", () => {
    expect(shortId("1a2b3c4d5e6f")).toBe("1a2b3c4d…");
    expect(shortId("iris")).toBe("iris");
  });
});
