import { createContext, useContext } from "react";
import type { Me } from "../api";

/** The roles, each including the ones before it (server/auth/roles.py). */
export const ROLES = ["viewer", "runner", "editor", "admin"] as const;
export type RoleName = (typeof ROLES)[number];
/** What a write is about: an experiment (its runs too) or a registered model. */
export type Scope = { kind: "experiment" | "model"; resource: string };

const rank = (role: string | null | undefined) => ROLES.indexOf((role ?? "") as RoleName) + 1;

/** The highest role `me` holds on `scope` (global grants count everywhere), capped by a token's
 * scope, as the server decides it (server/auth/principal.py `role_on`); null when none. */
export function heldRole(me: Me, scope?: Scope): RoleName | null {
  let held = 0;
  for (const grant of me.grants ?? []) {
    if (grant.kind === "global" || (scope && grant.kind === scope.kind && grant.resource === scope.resource)) {
      held = Math.max(held, rank(grant.role));
    }
  }
  if (me.token_scope) held = Math.min(held, rank(me.token_scope));
  return held > 0 ? ROLES[held - 1] : null;
}

/** Null when `me` may do what needs `need` (always, with auth off); else why not, in the
 * server's words, with the grant an admin would give. The server decides in the end: this
 * only keeps a button from offering what would be refused. */
export function refusal(me: Me, need: RoleName, scope?: Scope): string | null {
  if (!me.auth) return null;
  const held = heldRole(me, scope);
  if (rank(held) >= rank(need)) return null;
  const on = scope ? ` on ${scope.kind} ${scope.resource}` : "";
  const grant = scope ? ` --${scope.kind} ${scope.resource}` : "";
  const user = me.user ?? "you";
  return (
    `Needs role ${need}${on}; ${user} has ${held ?? "none"}` +
    (me.token_scope ? " (capped by the token's scope)" : "") +
    `. An admin grants it: ontolab users grant ${user} ${need}${grant}`
  );
}

const NO_AUTH: Me = { auth: false, signed_in: false, user: null };
/** Who is signed in, for every page (the app's root provides it). */
export const MeContext = createContext<Me>(NO_AUTH);

/** `refusal` for the signed-in user: `const why = useRefusal("runner", {kind: "experiment", resource: id})`,
 * then `<button disabled={!!why} title={why ?? undefined}>`. */
export function useRefusal(need: RoleName, scope?: Scope): string | null {
  return refusal(useContext(MeContext), need, scope);
}
