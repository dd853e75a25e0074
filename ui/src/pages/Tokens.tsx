import { useState } from "react";
import { createToken, errorText, listTokens, revokeToken, useApi, type Me, type NewToken } from "../api";
import { ErrorBox, Guard } from "../components/State";
import { TableHead } from "../components/TableHead";

const SCOPES = ["viewer", "runner", "editor", "admin"];

/** Who am I, and my API tokens: create (the secret is shown once) and revoke. */
export function Tokens({ me }: { me: Me }) {
  const tokens = useApi(listTokens, []);
  const [name, setName] = useState("");
  const [scope, setScope] = useState("viewer");
  const [days, setDays] = useState("90");
  const [made, setMade] = useState<NewToken | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function create() {
    setError(null);
    try {
      setMade(await createToken(name, scope, days ? Number(days) : null));
      tokens.reload();
    } catch (e) {
      setError(errorText(e));
    }
  }
  async function revoke(tokenId: string) {
    setError(null);
    try {
      await revokeToken(tokenId);
      tokens.reload();
    } catch (e) {
      setError(errorText(e));
    }
  }
  return (
    <>
      <h1>Account</h1>
      <section className="panel">
        <h2>Who am I</h2>
        <p>
          Signed in as <strong>{me.user}</strong>
          {me.role ? ` (${me.role} everywhere)` : ""}.
        </p>
        {(me.grants ?? []).filter((g) => g.kind !== "global").map((g) => (
          <p key={`${g.principal}/${g.kind}/${g.resource}`} className="small">
            {g.role} on {g.kind} {g.resource} ({g.principal})
          </p>
        ))}
      </section>
      <section className="panel">
        <h2>API tokens</h2>
        <p className="small muted">For the SDK, the CLI and scripts: send as Authorization: Bearer TOKEN (or set ONTOLAB_TOKEN).</p>
        <div className="row">
          <input aria-label="Token name" placeholder="what it is for" value={name} onChange={(e) => setName(e.target.value)} />
          <select aria-label="Scope" value={scope} onChange={(e) => setScope(e.target.value)}>
            {SCOPES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <input aria-label="Days" type="number" min="1" value={days} onChange={(e) => setDays(e.target.value)} />
          <button className="primary" onClick={create}>
            Create token
          </button>
        </div>
        {made && (
          <div className="state" role="status">
            New token (shown this once): <code data-testid="new-token">{made.token}</code>
          </div>
        )}
        {error && <ErrorBox error={error} />}
        <Guard loaded={tokens} what="tokens" isEmpty={(d) => d.tokens.length === 0} empty="No tokens yet.">
          {(d) => (
            <table>
              <TableHead columns={["Id", "Name", "Scope", "Created", "Expires", ""]} />
              <tbody>
                {d.tokens.map((t) => (
                  <tr key={t.token_id}>
                    <td>{t.token_id}</td>
                    <td>{t.name}</td>
                    <td>{t.scope}</td>
                    <td>{t.created}</td>
                    <td>{t.expires ?? "never"}</td>
                    <td>{t.revoked ? "revoked" : <button onClick={() => revoke(t.token_id)}>Revoke</button>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Guard>
      </section>
    </>
  );
}
