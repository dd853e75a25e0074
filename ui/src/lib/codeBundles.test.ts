import { describe, expect, it } from "vitest";
import type { CodeBundle } from "../api";
import { bundleLabel, byteSize, codeChoice } from "./codeBundles";

const bundle = (sha256: string, stored = true): CodeBundle => ({
  sha256,
  size: 1536,
  versions: [1, 3],
  first_version: 1,
  stored,
  files: ["features.py", "models.py"],
});
const A = "a".repeat(64);

describe("codeChoice", () => {
  const file = new Blob(["zip"]);
  it("sends a picked bundle by its sha256, not the file", () => {
    expect(codeChoice(file, A, [bundle(A)])).toEqual({ kind: "pick", sha256: A });
  });
  it("sends the file when nothing is picked", () => {
    expect(codeChoice(file, "", [bundle(A)])).toEqual({ kind: "upload", file });
  });
  it("ignores a pick that is not listed or whose zip is gone", () => {
    expect(codeChoice(null, "b".repeat(64), [bundle(A)])).toEqual({ kind: "none" });
    expect(codeChoice(file, A, [bundle(A, false)])).toEqual({ kind: "upload", file });
    expect(codeChoice(null, "", [])).toEqual({ kind: "none" });
  });
});

describe("bundleLabel", () => {
  it("names the versions, the short sha256, the size and the files", () => {
    expect(bundleLabel(bundle(A))).toBe(`v1, v3 · ${"a".repeat(12)} · 1.5 KB · features.py, models.py`);
  });
  it("cuts long file lists and says when the zip is missing", () => {
    const many = { ...bundle(A, false), files: ["a.py", "b.py", "c.py"] };
    expect(bundleLabel(many, 2)).toBe(`v1, v3 · ${"a".repeat(12)} · 1.5 KB · a.py, b.py +1 more · missing from the store`);
  });
});

describe("byteSize", () => {
  it("reads as B, KB, MB", () => {
    expect([byteSize(812), byteSize(3482), byteSize(1258291)]).toEqual(["812 B", "3.4 KB", "1.2 MB"]);
  });
});
