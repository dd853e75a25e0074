// The run view's graph layout: a run's steps in columns, from the dependencies GET /api/runs/ID
// gives each step (no need to plan the stored definition again).

/** Columns of a run's steps in plan order: each step one column right of the last step it waits for. */
export function waves(steps: { step_id: string; depends_on: string[] }[]): string[][] {
  const depth = new Map<string, number>();
  const byId = new Map(steps.map((s) => [s.step_id, s]));
  const visit = (id: string, seen: Set<string>): number => {
    if (depth.has(id)) return depth.get(id)!;
    if (seen.has(id)) return 0; // a cycle cannot be planned; never drawn twice
    seen.add(id);
    const deps = byId.get(id)?.depends_on.filter((d) => byId.has(d)) ?? [];
    const d = deps.length ? Math.max(...deps.map((x) => visit(x, seen))) + 1 : 0;
    depth.set(id, d);
    return d;
  };
  const columns: string[][] = [];
  for (const id of [...byId.keys()].sort()) (columns[visit(id, new Set())] ??= []).push(id);
  return columns.filter(Boolean);
}
