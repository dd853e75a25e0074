const DATASET_SOURCE = /^dataset:([A-Za-z0-9][A-Za-z0-9_.-]*)@(\d+)$/;

/** `{name, version}` of a `dataset:NAME@V` source (an uploaded dataset version), or null for
 * any other source. */
export function parseDatasetSource(source: string): { name: string; version: number } | null {
  const match = DATASET_SOURCE.exec(source.trim());
  return match ? { name: match[1], version: Number(match[2]) } : null;
}
