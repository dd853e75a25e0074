// The one place that calls fetch: every failure becomes an ApiError carrying the problem's words.
// Only the client (client.ts) uses these; pages call its functions.

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

// The session's CSRF token (auth on, signed in by cookie): sent with every write.
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

// Told when the platform answers 401 (the session expired or was ended): the app shows the
// sign-in form again. The sign-in call itself is left out: its 401 is the form's own error.
let onSignedOut: ((reason: string) => void) | null = null;
export function whenSignedOut(listener: ((reason: string) => void) | null): void {
  onSignedOut = listener;
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  if (csrfToken && !SAFE_METHODS.has((init.method ?? "GET").toUpperCase())) {
    const headers = new Headers(init.headers);
    headers.set("X-CSRF-Token", csrfToken);
    init = { ...init, headers };
  }
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, `the platform did not answer (${String(error)}); is \`ontolab serve\` running?`);
  }
  if (!response.ok) {
    const error = await failure(response);
    if (response.status === 401 && path !== "/api/auth/login" && onSignedOut) {
      csrfToken = null;
      onSignedOut(error.message);
    }
    throw error;
  }
  if (!SAFE_METHODS.has((init.method ?? "GET").toUpperCase()) && !path.endsWith("/predict")) announceChange();
  return response;
}

/** Fired on `window` after every successful write (predictions aside): lists shown elsewhere reload. */
export const CHANGED_EVENT = "ontolab:changed";
function announceChange(): void {
  if (typeof window !== "undefined") window.dispatchEvent(new Event(CHANGED_EVENT));
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request(path, { headers: { Accept: "application/json" } })).json() as Promise<T>;
}

export async function getText(path: string): Promise<string> {
  return (await request(path)).text();
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await request(path, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json() as Promise<T>;
}

/** A path segment, escaped. */
export function segment(value: string | number): string {
  return encodeURIComponent(String(value));
}

/** `?a=1&b=2` from the given values (undefined and "" left out), or "". */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A form POSTed with XMLHttpRequest, whose upload progress (0..1) `onProgress` follows; the
 * answer's JSON, or an ApiError carrying the problem's words. */
export function postFormWithProgress<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Accept", "application/json");
    if (csrfToken) xhr.setRequestHeader("X-CSRF-Token", csrfToken);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.upload.onload = () => onProgress(1);
    xhr.onerror = () => reject(new ApiError(0, "the platform did not answer the upload; is `ontolab serve` running?"));
    xhr.onload = () => {
      const answer = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText });
      if (xhr.status >= 200 && xhr.status < 300) answer.json().then((body) => resolve(body as T), reject);
      else failure(answer).then(reject, reject);
    };
    xhr.send(form);
  });
}
