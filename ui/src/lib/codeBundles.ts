// The builder's code step: upload the code folder as a zip, or pick a bundle an earlier version
// of the experiment brought (sent by its sha256 only).

import type { CodeBundle } from "../api/types";

/** What to send with the definition: a zip, a picked bundle's sha256, or no code. */
export type CodeChoice = { kind: "upload"; file: Blob } | { kind: "pick"; sha256: string } | { kind: "none" };

/** The choice the builder's state makes: a picked bundle wins over a chosen file; a pick the
 * experiment does not list (its id changed) or whose zip is gone counts as no pick. */
export function codeChoice(file: Blob | null, picked: string, bundles: CodeBundle[]): CodeChoice {
  if (picked && bundles.some((b) => b.sha256 === picked && b.stored)) return { kind: "pick", sha256: picked };
  return file ? { kind: "upload", file } : { kind: "none" };
}

/** A size as people read it: 812 B, 3.4 KB, 1.2 MB. */
export function byteSize(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}

/** One bundle as an option of the picker: the versions naming it, its short sha256, size and
 * files, e.g. "v1, v3 · 3f2a9c1b0d4e · 1.2 KB · features.py, models.py". */
export function bundleLabel(bundle: CodeBundle, maxFiles = 4): string {
  const versions = bundle.versions.map((v) => `v${v}`).join(", ");
  const more = bundle.files.length > maxFiles ? ` +${bundle.files.length - maxFiles} more` : "";
  const files = bundle.files.slice(0, maxFiles).join(", ") + more;
  const missing = bundle.stored ? "" : " · missing from the store";
  return `${versions} · ${bundle.sha256.slice(0, 12)} · ${byteSize(bundle.size)}${files ? ` · ${files}` : ""}${missing}`;
}
