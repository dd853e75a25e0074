import { StrictMode, Suspense, lazy, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import type { MouseEvent, ReactNode } from "react";
import { BrowserRouter, NavLink, Route, Routes, useParams, type Params } from "react-router-dom";
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { Login } from "./pages/Login";
import { Empty, ErrorBox, Loading } from "./components/State";
import { errorText, getMe, logout, whenSignedOut, type Me } from "./api";
import { shortId, useTitle } from "./lib/title";
import { MeContext } from "./lib/access";

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

/** Every route with its page and its tab title (required: a page without a title shows here). */
type Titled = { path: string; title: (p: Params) => string; page: (me: Me) => ReactNode; auth?: boolean };
const ROUTES: Titled[] = [
  { path: "/", title: () => "Dashboard", page: () => <Dashboard /> },
  { path: "/experiments", title: () => "Experiments", page: () => <Experiments /> },
  { path: "/experiments/:id", title: (p) => `Experiment ${p.id}`, page: () => <Experiments /> },
  { path: "/builder", title: () => "Pipeline builder", page: () => <Builder /> },
  { path: "/runs/:id", title: (p) => `Run ${shortId(p.id ?? "")}`, page: () => <RunView /> },
  { path: "/explore", title: () => "Exploration", page: () => <Explore /> },
  { path: "/compare", title: () => "Compare runs", page: () => <Compare /> },
  { path: "/lineage", title: () => "Lineage", page: () => <Lineage /> },
  { path: "/models", title: () => "Models", page: () => <Models /> },
  { path: "/models/:name", title: (p) => `Model ${p.name}`, page: () => <Models /> },
  { path: "/query", title: () => "SPARQL", page: () => <SparqlConsole /> },
  { path: "/account", title: () => "Account", page: (me) => <Tokens me={me} />, auth: true },
  { path: "/deployments/:id/monitoring", title: (p) => `Monitoring ${shortId(p.id ?? "")}`, page: () => <Monitoring /> },
  { path: "/datasets", title: () => "Datasets", page: () => <Datasets /> },
  { path: "/datasets/:name", title: (p) => `Dataset ${p.name}`, page: () => <Datasets /> },
  { path: "*", title: () => "Not found", page: () => <Empty>No page here. Pick one from the bar above.</Empty> },
];

/** Sets the tab's title from the route's parameters, then shows the page. */
function TitledPage({ route, me }: { route: Titled; me: Me }) {
  useTitle(route.title(useParams()));
  return <>{route.page(me)}</>;
}

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
    <MeContext.Provider value={me}>
    <BrowserRouter>
      <a className="skip-link" href="#main" onClick={skipToMain}>
        Skip to main content
      </a>
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
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="Loading the page" />}>
        <Routes>
          {ROUTES.filter((r) => me.auth || !r.auth).map((r) => (
            <Route key={r.path} path={r.path} element={<TitledPage route={r} me={me} />} />
          ))}
        </Routes>
        </Suspense>
      </main>
    </BrowserRouter>
    </MeContext.Provider>
  );
}

/** The skip link moves focus (not just the scroll) to the main landmark, without touching the URL. */
function skipToMain(e: MouseEvent<HTMLAnchorElement>) {
  e.preventDefault();
  const main = document.getElementById("main");
  main?.focus();
  main?.scrollIntoView();
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
