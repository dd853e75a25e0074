import { StrictMode, Suspense, lazy, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, NavLink, Route, Routes } from "react-router-dom";
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { Login } from "./pages/Login";
import { Empty, ErrorBox, Loading } from "./components/State";
import { errorText, getMe, logout, whenSignedOut, type Me } from "./api";

// Each page is its own chunk: the first load fetches only the shell and the page it opens.
const Dashboard = lazy(() => import("./pages/Dashboard").then((m) => ({ default: m.Dashboard })));
const Experiments = lazy(() => import("./pages/Experiments").then((m) => ({ default: m.Experiments })));
const Builder = lazy(() => import("./pages/Builder").then((m) => ({ default: m.Builder })));
const RunView = lazy(() => import("./pages/RunView").then((m) => ({ default: m.RunView })));
const Explore = lazy(() => import("./pages/Explore").then((m) => ({ default: m.Explore })));
const Compare = lazy(() => import("./pages/Compare").then((m) => ({ default: m.Compare })));
const Lineage = lazy(() => import("./pages/Lineage").then((m) => ({ default: m.Lineage })));
const Models = lazy(() => import("./pages/Models").then((m) => ({ default: m.Models })));
const SparqlConsole = lazy(() => import("./pages/SparqlConsole").then((m) => ({ default: m.SparqlConsole })));
const Tokens = lazy(() => import("./pages/Tokens").then((m) => ({ default: m.Tokens })));
const Monitoring = lazy(() => import("./pages/Monitoring").then((m) => ({ default: m.Monitoring })));
const Datasets = lazy(() => import("./pages/Datasets").then((m) => ({ default: m.Datasets })));

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
        <Suspense fallback={<Loading what="Loading the page" />}>
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
        </Suspense>
      </main>
    </BrowserRouter>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
