import { useEffect } from "react";

const APP = "Ontolab";

/** A long id cut to its first characters, as in the run pages' titles ("Run 1a2b3c4d…"). */
export function shortId(id: string, keep = 8): string {
  return id.length > keep ? `${id.slice(0, keep)}…` : id;
}

/** The tab's text for a page: "Runs · Ontolab"; an empty page name leaves only the app's. */
export function pageTitle(page: string): string {
  const name = page.trim();
  return name ? `${name} · ${APP}` : APP;
}

/** Sets document.title while the calling page is shown. */
export function useTitle(page: string): void {
  useEffect(() => {
    document.title = pageTitle(page);
  }, [page]);
}
