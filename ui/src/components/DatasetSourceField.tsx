// What the builder's extract step offers from uploaded datasets: `dataset:NAME@V` among the
// sources, and the target column picked from that version's columns.
import { getDatasetPreview, listDatasets, listDatasetVersions, useApi } from "../api";
import { parseDatasetSource } from "../lib/datasets";

async function datasetSources(): Promise<string[]> {
  const { datasets } = await listDatasets();
  const all = await Promise.all(datasets.map((d) => listDatasetVersions(d.name)));
  return all.flatMap((d) => d.versions.map((v) => `dataset:${d.name}@${v.number}`));
}

/** The datalist of sources: the bundled ones, then every uploaded dataset version. */
export function SourceOptions({ id, bundled }: { id: string; bundled: string[] }) {
  const uploaded = useApi(datasetSources, []);
  return (
    <datalist id={id}>
      {[...bundled, ...(uploaded.data ?? [])].map((s) => (
        <option key={s} value={s} />
      ))}
    </datalist>
  );
}

/** The target column: a choice among the dataset's columns when the source is an uploaded
 * dataset version, else free text. */
export function TargetColumnField({
  id,
  value,
  source,
  required,
  invalid,
  onChange,
}: {
  id: string;
  value: string;
  source: string;
  required?: boolean;
  invalid?: boolean;
  onChange: (value: string) => void;
}) {
  const dataset = parseDatasetSource(source);
  const columns = useApi(dataset ? () => getDatasetPreview(dataset.name, dataset.version, 1) : null, [dataset?.name, dataset?.version]);
  const names = dataset ? columns.data?.columns : undefined;
  if (!names) {
    return (
      <input
        id={id}
        value={value}
        placeholder="target"
        aria-invalid={invalid || undefined}
        onChange={(e) => onChange(e.target.value)}
        aria-required={required}
      />
    );
  }
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-required={required}>
      <option value="">— a column of {dataset!.name} v{dataset!.version} —</option>
      {value && !names.includes(value) && <option value={value}>{value} (not a column)</option>}
      {names.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
    </select>
  );
}
