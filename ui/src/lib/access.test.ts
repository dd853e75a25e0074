import { describe, expect, it } from "vitest";
import type { Me } from "../api";
import { heldRole, refusal } from "./access";

const user = (grants: Me["grants"], token_scope: string | null = null): Me => ({
  auth: true,
  signed_in: true,
  user: "viola",
  grants,
  token_scope,
});
const global = (role: string) => ({ principal: "user:viola", role, kind: "global" as const, resource: "" });
const on = (kind: "experiment" | "model", resource: string, role: string) => ({ principal: "group:lab", role, kind, resource });
const IRIS = { kind: "experiment" as const, resource: "iris" };

describe("what a signed-in user may do", () => {
  it("allows everything with auth off", () => {
    expect(refusal({ auth: false, signed_in: false, user: null }, "admin")).toBeNull();
  });
  it("ranks roles: a runner may run, not edit", () => {
    const runner = user([global("runner")]);
    expect(refusal(runner, "viewer")).toBeNull();
    expect(refusal(runner, "runner", IRIS)).toBeNull();
    expect(refusal(runner, "editor")).toBe(
      "Needs role editor; viola has runner. An admin grants it: ontolab users grant viola editor",
    );
  });
  it("counts a grant on the resource only there", () => {
    const viewer = user([global("viewer"), on("experiment", "iris", "runner")]);
    expect(heldRole(viewer, IRIS)).toBe("runner");
    expect(heldRole(viewer, { kind: "experiment", resource: "wine" })).toBe("viewer");
    expect(heldRole(viewer, { kind: "model", resource: "iris" })).toBe("viewer");
    expect(refusal(viewer, "runner", { kind: "experiment", resource: "wine" })).toContain(
      "on experiment wine; viola has viewer. An admin grants it: ontolab users grant viola runner --experiment wine",
    );
  });
  it("caps by a token's scope and says so", () => {
    const capped = user([global("admin")], "viewer");
    expect(heldRole(capped)).toBe("viewer");
    expect(refusal(capped, "runner")).toContain("has viewer (capped by the token's scope)");
  });
  it("says none when nothing is granted", () => {
    expect(refusal(user([]), "viewer")).toContain("viola has none");
  });
});
