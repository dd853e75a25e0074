import type { DriftReport } from "../../api";
import { TableHead } from "../../components/TableHead";
import { bySeverity, formatP, plain, psiBand } from "../../lib/monitoring";

const COLUMNS = ["Feature", "Drift", "PSI", "Jensen–Shannon", "Test (statistic)", "p-value", "Corrected p", "Missing: reference → window"];

/** Per-feature drift of the current window, most severe first; drifted features highlighted. */
export function FeatureTable({ drift }: { drift: DriftReport }) {
  const t = drift.thresholds;
  return (
    <>
      <p className="muted small">
        A feature drifts when its {t.correction === "holm" ? "Holm" : "Benjamini–Hochberg"}-corrected p-value is below {t.alpha}
        {t.min_psi > 0 ? ` and its PSI reaches ${t.min_psi}` : ""}; the window drifts when at least {Math.round(t.drift_share * 100)}% of
        the features do. PSI: under 0.1 stable, 0.1–0.25 moderate, above major. Compared with {drift.reference_rows} reference rows.
      </p>
      <div className="table-wrap">
        <table aria-label="Feature drift">
          <TableHead columns={COLUMNS} />
          <tbody>
            {bySeverity(drift.features).map((f) => (
              <tr key={f.name} className={f.drifted ? "drifted" : undefined} data-drifted={f.drifted}>
                <td>
                  {f.drifted ? <strong>{f.name}</strong> : f.name}
                  <div className="muted small">{f.kind}</div>
                </td>
                <td>{f.drifted ? <span className="badge status-drift">drifted</span> : <span className="muted">—</span>}</td>
                <td className="num">
                  {f.psi.toFixed(3)} <span className={`badge psi-${psiBand(f.psi)}`}>{psiBand(f.psi)}</span>
                </td>
                <td className="num">{f.js_distance.toFixed(3)}</td>
                <td className="num">
                  {f.test === "chi_square" ? "χ²" : "KS"} ({plain(f.statistic)})
                </td>
                <td className="num">{formatP(f.p_value)}</td>
                <td className="num">{formatP(f.adjusted_p_value)}</td>
                <td className="num">
                  {(f.reference_missing_rate * 100).toFixed(1)}% → {(f.window_missing_rate * 100).toFixed(1)}%
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
