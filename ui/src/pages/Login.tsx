import { useState, type FormEvent } from "react";
import { errorText, login, type Me } from "../api";
import { ErrorBox } from "../components/State";
import { useTitle } from "../lib/title";

/** The sign-in form, shown in place of every page while the platform asks for a user. */
export function Login({ onSignedIn, notice = null }: { onSignedIn: (me: Me) => void; notice?: string | null }) {
  useTitle("Sign in");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await login(username, password));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section className="panel" style={{ maxWidth: "24rem", margin: "3rem auto" }}>
      <h1>Sign in</h1>
      {notice && <p role="status">{notice}</p>}
      <form onSubmit={submit}>
        <label htmlFor="login-user">User</label>
        <input id="login-user" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <div className="row" style={{ marginTop: "0.5rem" }}>
          <button className="primary" type="submit" disabled={busy || !username || !password}>
            Sign in
          </button>
        </div>
      </form>
      {error && <ErrorBox error={error} title="Not signed in" />}
    </section>
  );
}
