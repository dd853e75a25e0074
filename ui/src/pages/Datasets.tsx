import { useRef, useState, type DragEvent } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import {
  errorText,
  getDatasetPreview,
  getDatasetVersionProfile,
  listDatasets,
  listDatasetVersions,
  uploadDataset,
  useApi,
  type DatasetVersion,
  type UploadedDataset,
} from "../api";
import { ErrorBox, Guard } from "../components/State";
import { RowsTable } from "../components/RowsTable";
import { TableHead } from "../components/TableHead";
import { ProfileView } from "../components/ProfileView";
import { Refusal } from "../components/Refusal";
import { useRefusal } from "../lib/access";

/** Uploaded datasets: upload by drag and drop, versions with checksums, preview, profile. */
export function Datasets() {
  const { name = "" } = useParams();
  const listing = useApi(listDatasets, []);
  return (
    <>
      <h1>Datasets</h1>
      <Upload onUploaded={listing.reload} />
      <Guard loaded={listing} what="datasets" isEmpty={(d) => d.datasets.length === 0} empty="No dataset uploaded yet: drop a CSV or Parquet file above.">
        {(d) => (
          <section className="panel">
            <table aria-label="Datasets">
              <TableHead columns={["Name", "Versions", "Updated"]} />
              <tbody>
                {d.datasets.map((row) => (
                  <tr key={row.name} className={row.name === name ? "selected" : ""}>
                    <td>
                      <Link to={`/datasets/${encodeURIComponent(row.name)}`}>{row.name}</Link>
                    </td>
                    <td className="num">{row.versions}</td>
                    <td>{new Date(row.updated).toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
      </Guard>
      {name && <DatasetDetail key={`${name}-${listing.data?.datasets.find((d) => d.name === name)?.versions}`} name={name} />}
    </>
  );
}

function Upload({ onUploaded }: { onUploaded: () => void }) {
  const why = useRefusal("runner");
  if (why)
    return (
      <section className="panel" aria-labelledby="upload-h">
        <h2 id="upload-h">Upload</h2>
        <Refusal why={why} />
      </section>
    );
  return <UploadForm onUploaded={onUploaded} />;
}

function UploadForm({ onUploaded }: { onUploaded: () => void }) {
  const [name, setName] = useState("");
  const [over, setOver] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [done, setDone] = useState<UploadedDataset | null>(null);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const navigate = useNavigate();

  function send(file: File | undefined) {
    if (!file) return;
    setProgress(0);
    setDone(null);
    setError(null);
    uploadDataset(file, name.trim(), setProgress)
      .then((stored) => {
        setDone(stored);
        onUploaded();
        navigate(`/datasets/${encodeURIComponent(stored.name)}?version=${stored.number}`);
      })
      .catch((e: unknown) => setError(errorText(e)))
      .finally(() => setProgress(null));
  }
  function drop(event: DragEvent) {
    event.preventDefault();
    setOver(false);
    send(event.dataTransfer.files[0]);
  }
  const percent = progress === null ? null : Math.round(progress * 100);
  return (
    <section className="panel" aria-labelledby="upload-h">
      <h2 id="upload-h">Upload</h2>
      <div className="row">
        <label htmlFor="dataset-name" className="inline">
          Name
        </label>
        <input id="dataset-name" value={name} placeholder="(the file's name)" onChange={(e) => setName(e.target.value)} />
      </div>
      <div
        className={`dropzone${over ? " over" : ""}`}
        data-testid="dropzone"
        role="button"
        tabIndex={0}
        aria-label="Drop a CSV or Parquet file here, or press to pick one"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
        onClick={() => input.current?.click()}
        onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && input.current?.click()}
      >
        Drop a CSV or Parquet file here, or click to pick one.
        <input ref={input} type="file" accept=".csv,.parquet,text/csv" hidden onChange={(e) => send(e.target.files?.[0])} />
      </div>
      {percent !== null && (
        <div className="row small" aria-live="polite">
          <progress max={100} value={percent} aria-label="Upload progress" data-percent={percent} />
          {percent < 100 ? `${percent}% sent` : "Sent; profiling the data…"}
        </div>
      )}
      {done && (
        <p role="status">
          Stored <strong>{done.name}</strong> version {done.number} ({done.rows} rows, {done.columns} columns): use it as{" "}
          <code>{done.source}</code>.{done.profile_error && ` Its profile failed: ${done.profile_error}`}
        </p>
      )}
      {error && <ErrorBox error={error} title="The upload was refused" />}
    </section>
  );
}

function DatasetDetail({ name }: { name: string }) {
  const [search, setSearch] = useSearchParams();
  const versions = useApi(() => listDatasetVersions(name), [name]);
  const asked = Number(search.get("version")) || undefined;
  const newest = versions.data?.versions.reduce((n, v) => Math.max(n, v.number), 0);
  const version = asked ?? newest;
  return (
    <section className="panel" aria-labelledby="dataset-h">
      <h2 id="dataset-h">
        {name}
        {version ? ` v${version}` : ""}
      </h2>
      <Guard loaded={versions} what="its versions">
        {(v) => <Versions versions={v.versions} current={version} onPick={(n) => setSearch({ version: String(n) })} />}
      </Guard>
      {version !== undefined && <VersionData name={name} version={version} />}
    </section>
  );
}

function Versions({ versions, current, onPick }: { versions: DatasetVersion[]; current?: number; onPick: (n: number) => void }) {
  return (
    <div className="table-wrap">
    <table aria-label="Versions">
      <TableHead columns={["Version", "Source", "Rows", "Columns", "Stored size (Parquet)", "Uploaded as", "sha256 (Parquet)", "Created"]} />
      <tbody>
        {versions.map((v) => (
          <tr key={v.number} className={v.number === current ? "selected" : ""}>
            <td>
              <button type="button" className="sort" aria-pressed={v.number === current} onClick={() => onPick(v.number)}>
                v{v.number}
              </button>
            </td>
            <td className="mono">{`dataset:${v.name}@${v.number}`}</td>
            <td className="num">{v.rows}</td>
            <td className="num">{v.columns}</td>
            <td className="num">{(v.size / 1024).toFixed(1)} KiB</td>
            <td>{v.format}</td>
            <td className="mono small truncate" title={v.sha256}>
              {v.sha256}
            </td>
            <td>{new Date(v.created).toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

function VersionData({ name, version }: { name: string; version: number }) {
  const preview = useApi(() => getDatasetPreview(name, version, 20), [name, version]);
  const profile = useApi(() => getDatasetVersionProfile(name, version), [name, version]);
  return (
    <>
      <h3>Preview</h3>
      <Guard loaded={preview} what="the preview">
        {(p) => (
          <>
            <RowsTable label="Dataset preview" columns={p.columns} rows={p.rows} />
            <p className="small muted">
              First {p.rows.length} of {p.total_rows} rows.
            </p>
          </>
        )}
      </Guard>
      <h3>Profile</h3>
      <Guard loaded={profile} what="the profile">
        {(p) => <ProfileView profile={p} />}
      </Guard>
    </>
  );
}
