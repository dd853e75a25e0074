// Which runs the UI offers to explore: only those whose plan has an explore step
// (ol:DataExploration), the step that writes the profile the Exploration page shows.

/** The phase of the explore step in GET /api/runs/ID's `steps`. */
export const EXPLORE_PHASE = "explore";

/** True when the run has an explore step (whatever its status), so "Explore data" can lead somewhere. */
export function hasExploreStep(steps: { phase: string }[]): boolean {
  return steps.some((s) => s.phase === EXPLORE_PHASE);
}
