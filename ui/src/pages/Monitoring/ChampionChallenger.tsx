import { useState } from "react";
import {
  type AliasHistory,
  type ApiError,
  type Deployment,
  type Model,
  type PromotionDecision,
  getAliasHistory,
  listDecisions,
  rollbackAlias,
  useApi,
} from "../../api";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Empty, ErrorBox, Guard } from "../../components/State";
import { formatValue } from "../../lib/compare";
import { shortTime } from "../../lib/monitoring";
import { aliasOrder, informedBy } from "../../lib/operations";
import { AliasHistoryTable } from "./AliasHistoryTable";
import { useRefusal } from "../../lib/access";

const DECISIONS = 20;

/** Which version each alias of the model points at, the last gate decision, the aliases'
 * history, and a rollback per alias. `onChanged` is called after a rollback moved an alias. */
export function ChampionChallenger({
  model,
  deployment,
  tick,
  onChanged,
}: {
  model: Model;
  deployment: Deployment;
  tick: string;
  onChanged: (message: string) => void;
}) {
  const aliases = aliasOrder(model.aliases, [deployment.alias]).filter((a) => a in model.aliases);
  const loaded = useApi(async () => {
    const [histories, decisions] = await Promise.all([
      Promise.all(aliases.map((a) => getAliasHistory(model.name, a))),
      listDecisions(model.name, DECISIONS),
    ]);
    return { histories, decisions: decisions.decisions };
  }, [model.name, aliases.join(","), tick]);
  const [asking, setAsking] = useState<AliasHistory | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const why = useRefusal("editor", { kind: "model", resource: model.name });
  const rollback = async (history: AliasHistory) => {
    setBusy(true);
    setError(null);
    try {
      const moved = await rollbackAlias(model.name, history.alias);
      const switched = moved.switches.map((s) => `${s.deployment ?? "a deployment"} ${s.outcome}`).join(", ");
      onChanged(`${history.alias} rolled back from v${moved.previous} to v${moved.version}${switched ? `; ${switched}` : ""}`);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
      setAsking(null);
    }
  };
  if (aliases.length === 0) return <Empty>Model {model.name} has no alias yet: promote or challenge a version on the Models page.</Empty>;
  return (
    <Guard loaded={loaded} what="the aliases' history">
      {({ histories, decisions }) => (
        <>
          {error && <ErrorBox error={error} title="Could not roll back" />}
          <div className="cards" role="group" aria-label="Aliases">
            {histories.map((h) => (
              <div key={h.alias} className="card" data-alias={h.alias}>
                <div className="muted small">
                  {h.alias}
                  {deployment.alias === h.alias && " · this deployment follows it"}
                </div>
                <div className="big">v{model.aliases[h.alias]}</div>
                <div className="small">since {shortTime(h.changes[0]?.time)} UTC</div>
                {h.rollback_to !== null && (
                  <button type="button" className="danger" onClick={() => setAsking(h)} disabled={busy || !!why} title={why ?? undefined}>
                    Roll back {h.alias} to v{h.rollback_to}
                  </button>
                )}
              </div>
            ))}
            <LastDecision decision={decisions[0] ?? null} />
          </div>
          <h3>Alias history</h3>
          <AliasHistoryTable histories={histories} decisions={decisions} />
          <ConfirmDialog
            open={asking !== null}
            title={asking ? `Roll back ${asking.alias}?` : "Roll back?"}
            confirm="Roll back"
            busy={busy}
            onConfirm={() => asking && void rollback(asking)}
            onCancel={() => setAsking(null)}
          >
            {asking && (
              <p>
                {model.name}'s {asking.alias} returns from v{model.aliases[asking.alias]} to v{asking.rollback_to}. Every deployment
                following {asking.alias} switches to v{asking.rollback_to}: its new model server starts and is checked before
                traffic moves.
              </p>
            )}
          </ConfirmDialog>
        </>
      )}
    </Guard>
  );
}

function LastDecision({ decision }: { decision: PromotionDecision | null }) {
  if (decision === null)
    return (
      <div className="card" data-testid="last-decision">
        <div className="muted small">Last gate decision</div>
        <div className="small">none yet: challenge a version (POST …/versions/V/challenge)</div>
      </div>
    );
  const informed = informedBy(decision.informed_by);
  return (
    <div className="card" data-testid="last-decision">
      <div className="muted small">Last gate decision · {shortTime(decision.time)} UTC</div>
      <div className="row">
        <span className={`badge status-${decision.outcome === "promoted" ? "ok" : "failed"}`}>{decision.outcome}</span>
        <strong>v{decision.version}</strong>
        {decision.champion !== null && <span className="small">against champion v{decision.champion}</span>}
      </div>
      {decision.metric && (
        <div className="small">
          {decision.metric}: {formatValue(decision.challenger_value)} vs {formatValue(decision.champion_value)}
        </div>
      )}
      <p className="small">{decision.reason}</p>
      {informed && <div className="muted small">informed by {informed}</div>}
    </div>
  );
}
