import { type Deployment, getModel, getRun, useApi } from "../../api";
import { Guard } from "../../components/State";
import { ChampionChallenger } from "./ChampionChallenger";
import { TriggerHistory } from "./TriggerHistory";

/** The operations around a deployment's model: its aliases (champion, challenger) with their
 * history, the last gate decision and a rollback; the firings of its experiment's triggers.
 * `refresh` changes when they should be read again (after a rollback, after each evaluation). */
export function Operations({
  deployment,
  refresh,
  onChanged,
}: {
  deployment: Deployment;
  refresh: string;
  onChanged: (message: string) => void;
}) {
  const model = useApi(() => getModel(deployment.model), [deployment.model, refresh]);
  const runId = model.data?.versions.find((v) => v.version === deployment.version)?.run_id ?? null;
  const run = useApi(runId ? () => getRun(runId) : null, [runId]);
  return (
    <>
      <section className="panel" aria-labelledby="aliases-h">
        <h2 id="aliases-h">Champion and challenger</h2>
        <Guard loaded={model} what="the model">
          {(m) => <ChampionChallenger model={m} deployment={deployment} tick={refresh} onChanged={onChanged} />}
        </Guard>
      </section>
      <section className="panel" aria-labelledby="triggers-h">
        <h2 id="triggers-h">Trigger history</h2>
        <Guard loaded={run} what="the run that built the deployed version">
          {(r) => <TriggerHistory experiment={r.identifier} tick={refresh} />}
        </Guard>
      </section>
    </>
  );
}
