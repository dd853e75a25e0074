import { useEffect, useMemo, useState } from "react";
import { errorText, getDeploymentMetrics } from "../api";
import { Chart } from "./Chart";
import { ErrorBox } from "./State";
import { parsePrometheus, traffic, type Scrape } from "../lib/prometheus";

const POLL_MS = 2000;
const KEEP = 60;

interface Point {
  at: number;
  rate: number;
  latency: number | null;
  p95: number | null;
  errorShare: number | null;
}

/** A running deployment's request rate, p95 and mean latency, and error rate, from its /metrics. */
export function LiveTraffic({ id }: { id: string }) {
  const [points, setPoints] = useState<Point[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let previous: Scrape | null = null;
    let stopped = false;
    async function poll() {
      try {
        const text = await getDeploymentMetrics(id);
        const scrape = { at: Date.now(), samples: parsePrometheus(text) };
        if (previous) {
          const t = traffic(previous, scrape);
          const point = { at: scrape.at, rate: t.rate, latency: t.latencyMs, p95: t.p95Ms, errorShare: t.errorShare };
          if (!stopped) setPoints((p) => [...p, point].slice(-KEEP));
        }
        previous = scrape;
        if (!stopped) setError(null);
      } catch (e) {
        if (!stopped) setError(errorText(e));
      }
    }
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [id]);
  const rateOption = useMemo(() => line("Requests per second", [["requests/s", points.map((p) => [p.at, p.rate])]]), [points]);
  const latencyOption = useMemo(
    () =>
      line("Latency (ms)", [
        ["p95", points.map((p) => [p.at, p.p95])],
        ["mean", points.map((p) => [p.at, p.latency])],
      ]),
    [points],
  );
  const errorOption = useMemo(
    () => line("Errors (% of requests)", [["errors", points.map((p) => [p.at, p.errorShare === null ? null : p.errorShare * 100])]]),
    [points],
  );
  const last = points.length ? points[points.length - 1] : null;
  return (
    <>
      {error && <ErrorBox error={error} title="Could not read the deployment's metrics" />}
      <dl className="row traffic-now" aria-label={`Traffic of ${id}`}>
        <Figure label="Request rate" value={last ? `${last.rate.toFixed(2)}/s` : "…"} />
        <Figure label="p95 latency" value={last?.p95 == null ? "—" : `${last.p95.toFixed(1)} ms`} />
        <Figure label="Error rate" value={last?.errorShare == null ? "—" : `${(last.errorShare * 100).toFixed(1)} %`} />
      </dl>
      <div className="grid2">
        <Chart option={rateOption} height={200} label="request rate" />
        <Chart option={latencyOption} height={200} label="latency" />
        <Chart option={errorOption} height={200} label="error rate" />
      </div>
      <p className="muted small">
        Polled every {POLL_MS / 1000} s from the model server's /metrics; p95 from its latency histogram, errors are 4xx/5xx
        answers to predict. "—" while no request came in.
      </p>
    </>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div className="card">
      <dt className="muted small">{label}</dt>
      <dd data-figure={label}>{value}</dd>
    </div>
  );
}

function line(title: string, series: [string, (number | null)[][]][]) {
  return {
    title: { text: title, textStyle: { fontSize: 13 } },
    grid: { left: 50, right: 16, top: 36, bottom: 28 },
    tooltip: { trigger: "axis" as const },
    legend: series.length > 1 ? { right: 10, top: 6 } : undefined,
    xAxis: { type: "time" as const },
    yAxis: { type: "value" as const, min: 0 },
    animation: false,
    series: series.map(([name, data]) => ({ name, type: "line" as const, data, showSymbol: false, connectNulls: false })),
  };
}
