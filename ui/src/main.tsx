import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, NavLink, Route, Routes } from "react-router-dom";
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { Dashboard } from "./pages/Dashboard";
import { Experiments } from "./pages/Experiments";
import { Builder } from "./pages/Builder";
import { RunView } from "./pages/RunView";
import { Explore } from "./pages/Explore";
import { Compare } from "./pages/Compare";
import { Lineage } from "./pages/Lineage";
import { Models } from "./pages/Models";
import { SparqlConsole } from "./pages/SparqlConsole";
import { Login } from "./pages/Login";
import { Tokens } from "./pages/Tokens";
import { Empty, ErrorBox, Loading } from "./components/State";
import { errorText, getMe, logout, whenSignedOut, type Me } from "./api";
import { Monitoring } from "./pages/Monitoring";
import { Datasets } from "./pages/Datasets";

const PAGES = [
  ["/", "Dashboard"],
  ["/experiments", "Experiments"],
  ["/builder", "Pipeline builder"],
  ["/explore", "Exploration"],
  ["/datasets", "Datasets"],
  ["/compare", "Compare"],
  ["/lineage", "Lineage"],
  ["/models", "Models"],
  ["/query", "SPARQL"],
] as const;

/** Who is signed in: with auth on and nobody signed in, the sign-in form stands for every page. */
function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    getMe().then(setMe, (e: unknown) => setError(errorText(e)));
    // A 401 from any call (the session expired or was ended elsewhere): back to the sign-in
    // form, on the same URL, so signing in again returns to the page.
    whenSignedOut(() => {
      setEnded(true);
      setMe((current) => current && { ...current, signed_in: false, user: null });
    });
    return () => whenSignedOut(null);
  }, []);
  if (error) return <ErrorBox error={error} title="The platform did not answer" />;
  if (me === null) return <Loading what="Connecting" />;
  if (me.auth && !me.signed_in) {
    const signedIn = (next: Me) => {
      setEnded(false);
      setMe(next);
    };
    return <Login onSignedIn={signedIn} notice={ended ? "Your session has ended; sign in again to go on." : null} />;
  }
  function signOut() {
    logout()
      .then(getMe)
      .then((next) => {
        setEnded(false);
        setMe(next);
      }, (e: unknown) => setError(errorText(e)));
  }
  return (
    <BrowserRouter>
      <header className="topbar">
        <span className="brand">Ontolab</span>
        <nav aria-label="Main">
          {PAGES.map(([to, label]) => (
            <NavLink key={to} to={to} end={to === "/"}>
              {label}
            </NavLink>
          ))}
        </nav>
        {me.auth && (
          <span className="account">
            <NavLink to="/account">{me.user}</NavLink>{" "}
            <button onClick={signOut}>Sign out</button>
          </span>
        )}
      </header>
      <main>
        <Routes>
          <Route path="/" element={<Dashboard />} />
          <Route path="/experiments" element={<Experiments />} />
          <Route path="/experiments/:id" element={<Experiments />} />
          <Route path="/builder" element={<Builder />} />
          <Route path="/runs/:id" element={<RunView />} />
          <Route path="/explore" element={<Explore />} />
          <Route path="/compare" element={<Compare />} />
          <Route path="/lineage" element={<Lineage />} />
          <Route path="/models" element={<Models />} />
          <Route path="/models/:name" element={<Models />} />
          <Route path="/query" element={<SparqlConsole />} />
          {me.auth && <Route path="/account" element={<Tokens me={me} />} />}
          <Route path="/deployments/:id/monitoring" element={<Monitoring />} />
          <Route path="/datasets" element={<Datasets />} />
          <Route path="/datasets/:name" element={<Datasets />} />
          <Route path="*" element={<Empty>No page here. Pick one from the bar above.</Empty>} />
        </Routes>
      </main>
    </BrowserRouter>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
