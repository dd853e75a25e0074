import type { WindowEvaluation } from "../../api";
import { formatValue } from "../../lib/compare";
import { shortTime } from "../../lib/monitoring";

/** The current window at a glance: its rows, the drift share and verdict, the live measures. */
export function WindowSummary({ evaluation }: { evaluation: WindowEvaluation }) {
  const { window, drift, performance } = evaluation;
  const metrics = Object.entries(performance.metrics).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="cards" role="group" aria-label="Current window">
      <div className="card">
        <div className="muted small">Window {window.spec}</div>
        <div className="big">{window.rows} rows</div>
        <div className="small">
          {shortTime(window.start)} → {shortTime(window.end)} UTC
        </div>
      </div>
      <div className="card" data-testid="drift-share">
        <div className="muted small">Drift share</div>
        {drift ? (
          <>
            <div className="big">{(drift.drift_share * 100).toFixed(0)}%</div>
            <div className="small">
              <span className={`badge status-${drift.verdict}`}>{drift.verdict === "drift" ? "drift" : "no drift"}</span>{" "}
              {drift.drifted_features.length} of {drift.features.length} features drifted
            </div>
          </>
        ) : (
          <div className="small">not computed</div>
        )}
      </div>
      <div className="card" data-testid="live-performance">
        <div className="muted small">Live performance ({performance.labelled_rows} labelled rows)</div>
        {metrics.length ? (
          <div className="row">
            {metrics.map(([name, value]) => (
              <div key={name}>
                <div className="big">{formatValue(value)}</div>
                <div className="small">{name}</div>
              </div>
            ))}
          </div>
        ) : (
          <div className="small">{performance.note ?? "no feedback yet"}</div>
        )}
      </div>
    </div>
  );
}
