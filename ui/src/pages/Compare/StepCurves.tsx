import { getTrackedRun } from "../../api";
import { useApi } from "../../api";
import { Chart } from "../../components/Chart";
import { runColour, stepCurves } from "../../lib/compare";
import { lines } from "./charts";

/** Metric curves over steps for the metrics runs logged per step (runs recorded from code keep
 * each metric's history; a run the platform executed has one value per metric and no curve). */
export function StepCurves({ runs }: { runs: string[] }) {
  const histories = useApi(
    () =>
      Promise.all(runs.map((id) => getTrackedRun(id).then((t) => [id, t.metric_history] as const, () => [id, {}] as const))).then(
        (pairs) => Object.fromEntries(pairs),
      ),
    [runs],
  );
  if (!histories.data) return null;
  const curves = stepCurves(histories.data);
  const metrics = Object.keys(curves).sort();
  if (metrics.length === 0) return null;
  return (
    <>
      <h3>Metrics per step</h3>
      <div className="grid3">
        {metrics.map((m) => (
          <Chart
            key={m}
            label={`curve of ${m} per step`}
            height={240}
            option={lines(
              m,
              runs.filter((r) => curves[m][r]).map((r) => ({ name: r.slice(0, 8), points: curves[m][r], colour: runColour(runs.indexOf(r)) })),
              { type: "value", name: "step" },
              m,
            )}
          />
        ))}
      </div>
    </>
  );
}
