// Prometheus text exposition → samples, and request rate / latency between two scrapes.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/g;

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}

function parseNumber(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  return Number(text);
}

/** Every sample in the text; comments, blank and unreadable lines are skipped. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const m of (match[3] ?? "").matchAll(LABEL)) labels[m[1]] = unescape(m[2]);
    const value = parseNumber(match[4]);
    if (Number.isNaN(value) && match[4] !== "NaN") continue;
    samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `where`. */
export function sumOf(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

export interface Scrape {
  at: number; // ms since epoch
  samples: Sample[];
}

export interface Traffic {
  /** Requests per second between the scrapes. */
  rate: number;
  /** Mean latency of the requests between the scrapes, in ms (null when there were none). */
  latencyMs: number | null;
  /** Requests answered with a 4xx/5xx per second. */
  errorRate: number;
  /** The share of the requests between the scrapes answered with a 4xx/5xx (null when none). */
  errorShare: number | null;
  /** 95th percentile latency between the scrapes, in ms, from the histogram's buckets. */
  p95Ms: number | null;
}

const REQUESTS = "ontolab_model_requests_total";
const DURATION = "ontolab_model_request_duration_seconds";

/** Predict traffic between two scrapes of a model server's /metrics. */
export function traffic(before: Scrape, after: Scrape, endpoint = "predict"): Traffic {
  const seconds = Math.max((after.at - before.at) / 1000, 1e-9);
  const delta = (name: string, where: Record<string, string>) =>
    Math.max(sumOf(after.samples, name, where) - sumOf(before.samples, name, where), 0);
  const requests = delta(REQUESTS, { endpoint });
  const statuses = new Set(
    after.samples.filter((s) => s.name === REQUESTS && /^[45]/.test(s.labels.status ?? "")).map((s) => s.labels.status),
  );
  const errors = [...statuses].map((status) => delta(REQUESTS, { endpoint, status })).reduce((a, b) => a + b, 0);
  const count = delta(`${DURATION}_count`, { endpoint });
  const sum = delta(`${DURATION}_sum`, { endpoint });
  const buckets = bucketDeltas(before, after, `${DURATION}_bucket`, endpoint);
  const p95 = quantile(0.95, buckets);
  return {
    rate: requests / seconds,
    latencyMs: count > 0 ? (sum / count) * 1000 : null,
    errorRate: errors / seconds,
    errorShare: requests > 0 ? errors / requests : null,
    p95Ms: p95 === null ? null : p95 * 1000,
  };
}

/** Cumulative bucket counts gained between two scrapes, by upper bound, ascending. */
function bucketDeltas(before: Scrape, after: Scrape, name: string, endpoint: string): [number, number][] {
  const bounds = new Set(after.samples.filter((s) => s.name === name && s.labels.endpoint === endpoint).map((s) => s.labels.le));
  return [...bounds]
    .map((le): [number, number] => {
      const where = { endpoint, le };
      return [parseNumber(le), Math.max(sumOf(after.samples, name, where) - sumOf(before.samples, name, where), 0)];
    })
    .sort((a, b) => a[0] - b[0]);
}

/**
 * The q-quantile of a cumulative histogram, interpolated inside its bucket as Prometheus'
 * histogram_quantile does; the highest finite bound when it falls in the +Inf bucket.
 */
export function quantile(q: number, buckets: [number, number][]): number | null {
  const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(bound)) return lower;
      return count === below ? bound : lower + ((bound - lower) * (rank - below)) / (count - below);
    }
    lower = bound;
    below = count;
  }
  return lower;
}
