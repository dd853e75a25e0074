import { describe, expect, it } from "vitest";
import { parsePrometheus, sumOf, traffic } from "./prometheus";

const TEXT = `# HELP ontolab_model_requests_total HTTP requests.
# TYPE ontolab_model_requests_total counter
ontolab_model_requests_total{endpoint="health",status="200"} 2.0
ontolab_model_requests_total{endpoint="predict",status="200"} 10.0
ontolab_model_requests_total{endpoint="predict",status="400"} 1.0
ontolab_model_request_duration_seconds_bucket{endpoint="predict",le="+Inf"} 11.0
ontolab_model_request_duration_seconds_count{endpoint="predict"} 11.0
ontolab_model_request_duration_seconds_sum{endpoint="predict"} 0.022
ontolab_model_info{model="a \\"quoted\\" name",version="1"} 1.0
ontolab_model_rows_per_request_count 3 1700000000000

garbage line here
`;

describe("parsePrometheus", () => {
  const samples = parsePrometheus(TEXT);
  it("reads names, labels and values, skipping comments and junk", () => {
    expect(samples).toHaveLength(8);
    expect(samples[1]).toEqual({
      name: "ontolab_model_requests_total",
      labels: { endpoint: "predict", status: "200" },
      value: 10,
    });
  });
  it("reads +Inf bounds, escaped quotes and timestamps", () => {
    expect(samples[3].labels.le).toBe("+Inf");
    expect(samples[6].labels.model).toBe('a "quoted" name');
    expect(samples[7]).toEqual({ name: "ontolab_model_rows_per_request_count", labels: {}, value: 3 });
  });
  it("sums over matching labels", () => {
    expect(sumOf(samples, "ontolab_model_requests_total", { endpoint: "predict" })).toBe(11);
    expect(sumOf(samples, "ontolab_model_requests_total")).toBe(13);
    expect(sumOf(samples, "missing")).toBe(0);
  });
});

describe("traffic", () => {
  const before = { at: 0, samples: parsePrometheus(TEXT) };
  const after = {
    at: 2000,
    samples: parsePrometheus(
      TEXT.replace('status="200"} 10.0', 'status="200"} 18.0')
        .replace('_count{endpoint="predict"} 11.0', '_count{endpoint="predict"} 19.0')
        .replace('_sum{endpoint="predict"} 0.022', '_sum{endpoint="predict"} 0.038'),
    ),
  };
  it("gives request rate and mean latency between two scrapes", () => {
    const t = traffic(before, after);
    expect(t.rate).toBeCloseTo(4);
    expect(t.latencyMs).toBeCloseTo(2);
    expect(t.errorRate).toBe(0);
  });
  it("gives no latency when nothing was requested, and never a negative rate", () => {
    expect(traffic(before, { at: 1000, samples: before.samples }).latencyMs).toBeNull();
    expect(traffic(after, { at: 3000, samples: before.samples }).rate).toBe(0);
  });
});

describe("p95 and error share", () => {
  const scrape = (at: number, ok: number, bad: number, buckets: [string, number][]) => ({
    at,
    samples: parsePrometheus(
      [
        `ontolab_model_requests_total{endpoint="predict",status="200"} ${ok}`,
        `ontolab_model_requests_total{endpoint="predict",status="422"} ${bad}`,
        ...buckets.map(([le, n]) => `ontolab_model_request_duration_seconds_bucket{endpoint="predict",le="${le}"} ${n}`),
      ].join("\n"),
    ),
  });
  const before = scrape(0, 0, 0, [["0.001", 0], ["0.01", 0], ["0.1", 0], ["+Inf", 0]]);
  it("interpolates the 95th percentile inside its bucket, from the requests between scrapes", () => {
    // 100 requests: 50 under 1 ms, 40 more under 10 ms, 10 more under 100 ms.
    const after = scrape(1000, 95, 5, [["0.001", 50], ["0.01", 90], ["0.1", 100], ["+Inf", 100]]);
    const t = traffic(before, after);
    expect(t.p95Ms).toBeCloseTo(55); // 10 ms + (100-10) ms × (95-90)/(100-90)
    expect(t.errorShare).toBeCloseTo(0.05);
    expect(t.errorRate).toBeCloseTo(5);
  });
  it("has no p95 or error share without requests, and caps at the last finite bound", () => {
    expect(traffic(before, before).p95Ms).toBeNull();
    expect(traffic(before, before).errorShare).toBeNull();
    const slow = scrape(1000, 10, 0, [["0.001", 0], ["0.01", 0], ["0.1", 0], ["+Inf", 10]]);
    expect(traffic(before, slow).p95Ms).toBeCloseTo(100);
  });
});
