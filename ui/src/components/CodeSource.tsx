import type { CodeBundle } from "../api";
import { bundleLabel } from "../lib/codeBundles";

/** A code step's code: the folder zipped (uploaded with the definition), or a bundle an earlier
 * version of the experiment brought, picked and sent by its sha256 (the file input is off
 * while one is picked). The picker shows only when the experiment has stored bundles. */
export function CodeSource({
  bundles,
  picked,
  onFile,
  onPick,
}: {
  bundles: CodeBundle[];
  picked: string;
  onFile: (file: File | null) => void;
  onPick: (sha256: string) => void;
}) {
  return (
    <>
      <label htmlFor="exp-code" className="inline" title="The folder your code steps import from, zipped: stored by its sha256 with the version">
        Code (.zip)
      </label>
      <input id="exp-code" type="file" accept=".zip,application/zip" disabled={picked !== ""} onChange={(e) => onFile(e.target.files?.[0] ?? null)} />
      {bundles.length > 0 && (
        <>
          <label htmlFor="exp-code-pick" className="inline" title="A code bundle an earlier version of this experiment brought, reused by its sha256 without uploading it again">
            or reuse
          </label>
          <select id="exp-code-pick" aria-label="Stored code bundle" value={picked} onChange={(e) => onPick(e.target.value)}>
            <option value="">(upload a zip)</option>
            {bundles.map((b) => (
              <option key={b.sha256} value={b.sha256} disabled={!b.stored}>
                {bundleLabel(b)}
              </option>
            ))}
          </select>
        </>
      )}
    </>
  );
}
