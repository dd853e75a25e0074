import { useState, type ReactNode } from "react";
import { deleteAlias, setAlias, type Model } from "../api";
import { ConfirmDialog } from "./ConfirmDialog";
import { Refusal } from "./Refusal";
import { useRefusal } from "../lib/access";
import { CHAMPION, aliasProblem, demotedChampion } from "../lib/signature";

type Act = (what: string, action: () => Promise<string>) => Promise<void>;

interface Pending {
  demoted: number;
  alias: string;
  version: number | null;
  run: () => void;
}

/**
 * `guard(aliases, alias, version, run)` runs `run` at once, unless it would demote the champion
 * (move `champion` off its version, or delete it when `version` is null): then it asks first.
 */
export function useChampionGuard(model: string): {
  dialog: ReactNode;
  guard: (aliases: Record<string, number>, alias: string, version: number | null, run: () => void) => void;
} {
  const [pending, setPending] = useState<Pending | null>(null);
  function guard(aliases: Record<string, number>, alias: string, version: number | null, run: () => void) {
    const demoted = demotedChampion(aliases, alias, version);
    if (demoted === null) run();
    else setPending({ demoted, alias, version, run });
  }
  const dialog = (
    <ConfirmDialog
      open={pending !== null}
      title={`Demote the champion of ${model}?`}
      confirm={pending?.version === null ? "Delete champion" : "Demote"}
      onCancel={() => setPending(null)}
      onConfirm={() => {
        pending?.run();
        setPending(null);
      }}
    >
      {pending && (
        <p>
          v{pending.demoted} is the champion: deployments that follow it switch{" "}
          {pending.version === null ? "no more (the alias goes away)" : `to v${pending.version}`}.
        </p>
      )}
    </ConfirmDialog>
  );
  return { dialog, guard };
}

/** Point any alias at a version, or delete one; champion changes are confirmed first. */
export function AliasControls({ model, act, busy }: { model: Model; act: Act; busy: boolean }) {
  const [alias, setAliasName] = useState("");
  const [version, setVersion] = useState(model.versions[model.versions.length - 1]?.version ?? 1);
  const [touched, setTouched] = useState(false);
  const { dialog, guard } = useChampionGuard(model.name);
  const problem = touched ? aliasProblem(alias) : null;
  const why = useRefusal("editor", { kind: "model", resource: model.name });
  const gated = { disabled: busy || !!why, "aria-describedby": why ? "alias-refusal" : undefined };
  function submit(event: React.FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (aliasProblem(alias)) return;
    guard(model.aliases, alias, version, () =>
      act("Setting the alias", async () => {
        const change = await setAlias(model.name, alias, version);
        return `${change.alias} → v${change.version}${change.previous ? ` (was v${change.previous})` : ""}`;
      }),
    );
  }
  function remove(name: string) {
    guard(model.aliases, name, null, () =>
      act("Deleting the alias", async () => {
        const removed = await deleteAlias(model.name, name);
        return `alias ${removed.alias} deleted (it pointed at v${removed.version})`;
      }),
    );
  }
  return (
    <section aria-label="Aliases">
      <h3>Aliases</h3>
      <ul className="aliases">
        {Object.entries(model.aliases).map(([a, v]) => (
          <li key={a}>
            <strong>{a}</strong> → v{v}{" "}
            <button className={a === CHAMPION ? "danger" : ""} {...gated} onClick={() => remove(a)}>
              Delete alias {a}
            </button>
          </li>
        ))}
      </ul>
      <form className="row" onSubmit={submit} aria-label="Set an alias">
        <label>
          Alias{" "}
          <input
            name="alias"
            value={alias}
            placeholder="e.g. staging"
            aria-invalid={problem !== null}
            aria-describedby="alias-problem"
            onChange={(e) => setAliasName(e.target.value)}
            onBlur={() => setTouched(alias !== "")}
          />
        </label>
        <label>
          Version{" "}
          <select name="version" value={version} onChange={(e) => setVersion(Number(e.target.value))}>
            {[...model.versions].reverse().map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" {...gated}>
          Set alias
        </button>
      </form>
      <Refusal why={why} id="alias-refusal" />
      {problem && (
        <p id="alias-problem" className="state error small" role="alert">
          {problem}
        </p>
      )}
      {dialog}
    </section>
  );
}
