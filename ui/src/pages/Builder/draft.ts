// An unsaved canvas kept in the tab's sessionStorage, one per experiment ("" for a new one),
// so Back, a reload or a detour to another page does not lose it.

import type { BuilderState } from "./state";

const PREFIX = "ontolab.builder.draft:";

export function draftKey(experiment: string | null): string {
  return PREFIX + (experiment ?? "");
}

export function readDraft(key: string): BuilderState | null {
  try {
    const text = window.sessionStorage.getItem(key);
    const draft = text ? (JSON.parse(text) as BuilderState) : null;
    return draft && Array.isArray(draft.nodes) && Array.isArray(draft.edges) ? draft : null;
  } catch {
    return null; // storage off or a draft from an older build: start from the server
  }
}

export function writeDraft(key: string, state: BuilderState | null): void {
  try {
    if (state === null) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, JSON.stringify({ ...state, notice: null, selectedId: null }));
  } catch {
    // a full or disabled storage: the leave guard still asks before the draft is lost
  }
}
