// Talking to the platform: every failure becomes an ApiError carrying the problem's words.
import { useCallback, useEffect, useRef, useState } from "react";

export class ApiError extends Error {
  status: number;
  problem: Record<string, unknown> | null;
  constructor(status: number, message: string, problem: Record<string, unknown> | null = null) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

async function failure(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as Record<string, unknown>;
    const detail = typeof problem.detail === "string" ? problem.detail : String(problem.title ?? text);
    return new ApiError(response.status, detail, problem);
  } catch {
    return new ApiError(response.status, text.trim() || `${response.statusText} (HTTP ${response.status})`);
  }
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, `the platform did not answer (${String(error)}); is \`ontolab serve\` running?`);
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request(path, { headers: { Accept: "application/json" } })).json() as Promise<T>;
}

export async function getText(path: string): Promise<string> {
  return (await request(path)).text();
}

export async function sendJson<T>(method: string, path: string, body: unknown): Promise<T> {
  const response = await request(path, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  return response.json() as Promise<T>;
}

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** GET `path` as JSON when it changes (null: nothing to load). */
export function useJson<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    if (path === null) {
      setData(null);
      setLoading(false);
      return;
    }
    const mine = ++latest.current;
    setLoading(true);
    getJson<T>(path)
      .then((value) => {
        if (mine === latest.current) {
          setData(value);
          setError(null);
        }
      })
      .catch((e: unknown) => {
        if (mine === latest.current) setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
      })
      .finally(() => {
        if (mine === latest.current) setLoading(false);
      });
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function shortIri(iri: string): string {
  return iri.replace(/^.*[#/]/, "");
}

/** The run id inside an IRI like https://w3id.org/ontolab/id/run/RUN/step/STEP. */
export function runIdOf(iri: string): string | null {
  const match = /\/id\/run\/([0-9a-f]{16})/.exec(iri);
  return match ? match[1] : null;
}
