import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, getJson, sendJson, setCsrfToken, whenSignedOut } from "./http";

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/problem+json" } });
}

afterEach(() => {
  whenSignedOut(null);
  setCsrfToken(null);
  vi.unstubAllGlobals();
});

describe("request", () => {
  it("tells the app a 401 ended the session and forgets the CSRF token", async () => {
    const fetch = vi.fn().mockResolvedValue(answer(401, { detail: "GET /api/runs needs a signed-in user" }));
    vi.stubGlobal("fetch", fetch);
    const ended: string[] = [];
    whenSignedOut((reason) => ended.push(reason));
    setCsrfToken("csrf-1");
    await expect(getJson("/api/runs")).rejects.toBeInstanceOf(ApiError);
    expect(ended).toEqual(["GET /api/runs needs a signed-in user"]);
    fetch.mockResolvedValue(answer(200, {}));
    await sendJson("POST", "/api/runs", {});
    expect(new Headers(fetch.mock.calls[1][1].headers).get("X-CSRF-Token")).toBeNull();
  });

  it("leaves a refused sign-in and a 403 to the page that asked", async () => {
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(answer(401, { detail: "unknown user or wrong password" })));
    const ended: string[] = [];
    whenSignedOut((reason) => ended.push(reason));
    await expect(sendJson("POST", "/api/auth/login", {})).rejects.toThrow("unknown user or wrong password");
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(answer(403, { detail: "needs role runner" })));
    await expect(sendJson("POST", "/api/runs", {})).rejects.toThrow("needs role runner");
    expect(ended).toEqual([]);
  });

  it("sends the CSRF token with writes only", async () => {
    const fetch = vi.fn().mockImplementation(() => Promise.resolve(answer(200, {})));
    vi.stubGlobal("fetch", fetch);
    setCsrfToken("csrf-2");
    await getJson("/api/runs");
    await sendJson("DELETE", "/api/deployments/d1");
    expect(new Headers(fetch.mock.calls[0][1].headers).get("X-CSRF-Token")).toBeNull();
    expect(new Headers(fetch.mock.calls[1][1].headers).get("X-CSRF-Token")).toBe("csrf-2");
  });
});
