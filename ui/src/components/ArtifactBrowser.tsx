import { useState } from "react";
import { artifactUrl, getArtifactPreview, useApi, type ArtifactPreview, type RunDetails } from "../api";
import { ProfileView } from "./ProfileView";
import { Guard } from "./State";
import { RowsTable } from "./RowsTable";

type Artifact = RunDetails["artifacts"][number];

/** Every artifact of a run, with a preview of the one picked (bounded by the server). */
export function ArtifactBrowser({ run }: { run: RunDetails }) {
  const [picked, setPicked] = useState<string | null>(null);
  const current = run.artifacts.find((a) => a.sha256 === picked) ?? null;
  if (run.artifacts.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="artifacts-h">
      <h2 id="artifacts-h">Artifacts</h2>
      <div className="grid2" style={{ gridTemplateColumns: "1fr 3fr" }}>
        <ul className="artifact-list" aria-label="Run artifacts">
          {run.artifacts.map((a) => (
            <li key={a.sha256 + a.kind}>
              <button type="button" className="sort" aria-pressed={a.sha256 === picked} onClick={() => setPicked(a.sha256)}>
                {a.kind}
              </button>{" "}
              <span className="small muted">
                {a.step_id} · {(a.size / 1024).toFixed(1)} KiB
              </span>
            </li>
          ))}
        </ul>
        <div>{current ? <Preview run={run} artifact={current} /> : <p className="muted">Pick an artifact to preview it.</p>}</div>
      </div>
    </section>
  );
}

function Preview({ run, artifact }: { run: RunDetails; artifact: Artifact }) {
  const loaded = useApi(() => getArtifactPreview(run.run_id, artifact.sha256), [run.run_id, artifact.sha256]);
  return (
    <div aria-label={`Preview of ${artifact.kind}`} role="region">
      <p className="small">
        <strong>{artifact.kind}</strong> from step {artifact.step_id} · {artifact.media_type} ·{" "}
        <span className="mono" title={artifact.sha256}>
          {artifact.sha256.slice(0, 12)}
        </span>{" "}
        ·{" "}
        <a href={artifactUrl(artifact.sha256)} download>
          download
        </a>
      </p>
      <Guard loaded={loaded} what="the preview">
        {(preview) => <PreviewBody preview={preview} />}
      </Guard>
    </div>
  );
}

function PreviewBody({ preview }: { preview: ArtifactPreview }) {
  const note = preview.truncated && (
    <p className="small muted" data-testid="preview-truncated">
      Showing the head only{preview.total_rows !== undefined ? ` (${preview.rows?.length} of ${preview.total_rows} rows)` : ""}; download the file for all of it.
    </p>
  );
  if (preview.preview === "json" && preview.kind === "profile" && isProfile(preview.value)) {
    return (
      <>
        <ProfileView profile={preview.value} />
        <details>
          <summary>JSON</summary>
          <pre>{preview.text}</pre>
        </details>
      </>
    );
  }
  if (preview.preview === "table") {
    return (
      <>
        <RowsTable label="Artifact rows" columns={preview.columns ?? []} rows={preview.rows ?? []} />
        {note}
      </>
    );
  }
  if (preview.preview === "json" || preview.preview === "text") {
    return (
      <>
        <pre className="artifact-text" aria-label="Artifact text">
          {preview.text}
        </pre>
        {note}
      </>
    );
  }
  return <p className="muted">{preview.reason}</p>;
}

function isProfile(value: unknown): value is Parameters<typeof ProfileView>[0]["profile"] {
  return typeof value === "object" && value !== null && Array.isArray((value as { columns?: unknown }).columns);
}
