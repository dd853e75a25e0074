import { describe, expect, it } from "vitest";
import { toCsv } from "./csv";

describe("toCsv", () => {
  it("quotes what needs quoting", () => {
    expect(toCsv(["a", "b"], [{ a: 'say "hi", ok', b: null }, { a: 1, b: true }])).toBe(
      'a,b\r\n"say ""hi"", ok",\r\n1,true\r\n',
    );
  });
});
