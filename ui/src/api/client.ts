// One function per endpoint of the Ontolab API: the only module that knows its URLs.
import { getJson, getText, postFormWithProgress, query, request, segment, sendJson, setCsrfToken } from "./http";
import type {
  AliasChange,
  AliasHistory,
  AliasMoved,
  PromotionDecision,
  Trigger,
  TriggerFiring,
  Cancelling,
  CodeBundle,
  Comparison,
  DatasetRow,
  Deployment,
  Experiment,
  ExperimentRow,
  Health,
  Me,
  NewToken,
  TokenInfo,
  Leaderboard,
  LineageGraph,
  MonitoringHistory,
  PredictionSample,
  WindowEvaluation,
  Model,
  ModelRow,
  NamedQuery,
  PipelineDocument,
  Profile,
  QueryAnswer,
  RunDetails,
  RunEvent,
  RunList,
  RunSelection,
  RunStarted,
  SparqlAnswer,
  StoredVersion,
  Table,
  Trial,
  Validation,
  VersionWithTurtle,
  Vocabulary,
  VersionDocument,
  RunAnnotations,
  TrackedRun,
  ArtifactPreview,
  DatasetPreview,
  DatasetVersion,
  UploadedDataset,
} from "./types";

// ── platform ──────────────────────────────────────────────────────────────────
export const getHealth = () => getJson<Health>("/api/health");
export const getVocabulary = () => getJson<Vocabulary>("/api/vocabulary");

// ── experiments ───────────────────────────────────────────────────────────────
export const listExperiments = () => getJson<{ experiments: ExperimentRow[] }>("/api/experiments");
export const getExperiment = (id: string) => getJson<Experiment>(`/api/experiments/${segment(id)}`);
export const getExperimentVersion = (id: string, version: number) =>
  getJson<VersionWithTurtle>(`/api/experiments/${segment(id)}/versions/${segment(version)}`);
/** A stored version as a pipeline document: what the builder loads. */
export const getVersionDocument = (id: string, version: number) =>
  getJson<VersionDocument>(`/api/experiments/${segment(id)}/versions/${segment(version)}/document`);
/** Store a pipeline document as a new version (or find the identical one). */
export const createExperiment = (document: PipelineDocument) => sendJson<StoredVersion>("POST", "/api/experiments", document);
/** Plan a pipeline document without storing it; violations come back as an ApiError's `problem`. */
export const validateExperiment = (document: PipelineDocument) =>
  sendJson<Validation>("POST", "/api/experiments/validate", document);
/** A pipeline document with its code (code steps): multipart parts `definition` and `code` (the
 * folder zipped) or the field `code_sha256` (a bundle an earlier version brought, not sent
 * again), to `POST /api/experiments` or, with `validate`, to its validate route. */
export async function sendWithCode<T>(document: PipelineDocument, code: Blob | { sha256: string }, validate = false): Promise<T> {
  const form = new FormData();
  form.append("definition", new Blob([JSON.stringify(document)], { type: "application/json" }), "definition.json");
  if (code instanceof Blob) form.append("code", code, "code.zip");
  else form.append("code_sha256", code.sha256);
  const path = validate ? "/api/experiments/validate" : "/api/experiments";
  const response = await request(path, { method: "POST", body: form, headers: { Accept: "application/json" } });
  return response.json() as Promise<T>;
}
/** The code bundles the experiment's stored versions brought, the newest version's first. */
export const listCodeBundles = (id: string) =>
  getJson<{ identifier: string; code_bundles: CodeBundle[] }>(`/api/experiments/${segment(id)}/code-bundles`);
export const getLeaderboard = (id: string, metric: string, limit?: number) =>
  getJson<Leaderboard>(`/api/experiments/${segment(id)}/leaderboard${query({ metric, limit })}`);

// ── runs ──────────────────────────────────────────────────────────────────────
export const listRuns = (selection: RunSelection = {}) => getJson<RunList>(`/api/runs${query({ ...selection })}`);
export const getRun = (runId: string) => getJson<RunDetails>(`/api/runs/${segment(runId)}`);
export const startRun = (experiment: string, version?: number, useCache?: boolean) =>
  sendJson<RunStarted>("POST", "/api/runs", { experiment, version, use_cache: useCache });
export const cancelRun = (runId: string) => sendJson<Cancelling>("POST", `/api/runs/${segment(runId)}/cancel`);
export const resumeRun = (runId: string) => sendJson<RunStarted>("POST", `/api/runs/${segment(runId)}/resume`, {});
export const rerunRun = (runId: string, useCache?: boolean) =>
  sendJson<RunStarted>("POST", `/api/runs/${segment(runId)}/rerun`, useCache === undefined ? {} : { use_cache: useCache });
export const getTrials = (runId: string) => getJson<{ run_id: string; trials: Trial[] }>(`/api/runs/${segment(runId)}/trials`);
/** The run as standalone code (a zip: pipeline.py, verify.py, requirements, data manifest). */
export const exportUrl = (runId: string) => `/api/runs/${segment(runId)}/export`;
export const getStepLog = (runId: string, stepId: string) =>
  getText(`/api/runs/${segment(runId)}/steps/${segment(stepId)}/log`);
export const compareRuns = (runIds: string[]) => getJson<Comparison>(`/api/compare${query({ runs: runIds.join(",") })}`);

/** Follow a run's state changes (Server-Sent Events); close the returned stream when done. */
export function followRun(
  runId: string,
  on: { open?: () => void; error?: () => void; run?: (e: RunEvent) => void; step?: (e: RunEvent) => void },
): EventSource {
  const source = new EventSource(`/api/events${query({ run: runId })}`);
  if (on.open) source.onopen = on.open;
  if (on.error) source.onerror = on.error;
  for (const kind of ["run", "step"] as const) {
    const handler = on[kind];
    if (handler) source.addEventListener(kind, (e) => handler(JSON.parse((e as MessageEvent).data) as RunEvent));
  }
  return source;
}

// ── lineage, artifacts, datasets ──────────────────────────────────────────────
export const getLineage = (of: { model?: string; run?: string; entity?: string }) =>
  getJson<LineageGraph>(`/api/lineage${query(of)}`);
/** Where the browser downloads an artifact (a link's href). */
export const artifactUrl = (sha256: string) => `/api/artifacts/${segment(sha256)}`;
/** A profile artifact (the explore step's JSON). */
export const getProfileArtifact = (sha256: string) => getJson<Profile>(artifactUrl(sha256));
export const listDatasets = () => getJson<{ datasets: DatasetRow[] }>("/api/datasets");
export const getDatasetProfile = (name: string) => getJson<Profile>(`/api/datasets/${segment(name)}/profile`);

// ── models and deployments ────────────────────────────────────────────────────
export const listModels = () => getJson<{ models: ModelRow[] }>("/api/models");
export const getModel = (name: string) => getJson<Model>(`/api/models/${segment(name)}`);
export const promoteModel = (name: string, version: number, alias: string, mustBeatCurrent: boolean) =>
  sendJson<AliasChange>("POST", `/api/models/${segment(name)}/versions/${segment(version)}/promote`, {
    alias,
    must_beat_current: mustBeatCurrent,
  });
export const listDeployments = () => getJson<{ deployments: Deployment[] }>("/api/deployments");
export const deployModel = (model: string, version: number) => sendJson<Deployment>("POST", "/api/deployments", { model, version });
export const stopDeployment = (id: string) => request(`/api/deployments/${segment(id)}`, { method: "DELETE" }).then(() => undefined);
/** A deployment's Prometheus text. */
export const getDeploymentMetrics = (id: string) => getText(`/api/deployments/${segment(id)}/metrics`);
export const getDeployment = (id: string) => getJson<Deployment>(`/api/deployments/${segment(id)}`);
/** Evaluate one window of the deployment's logged requests now (`last:N`, `since:TIME`, `duration:D`). */
export const getMonitoring = (id: string, window?: string) =>
  getJson<WindowEvaluation>(`/api/deployments/${segment(id)}/monitoring${query({ window })}`);
/** The recorded window evaluations, newest window first. */
export const getMonitoringHistory = (id: string, limit?: number) =>
  getJson<MonitoringHistory>(`/api/deployments/${segment(id)}/monitoring/history${query({ limit })}`);
/** The last logged requests, newest first, with their feedback. */
export const getPredictionSample = (id: string, limit?: number) =>
  getJson<PredictionSample>(`/api/deployments/${segment(id)}/predictions${query({ limit })}`);

// ── SPARQL and named queries ──────────────────────────────────────────────────
export const listQueries = () => getJson<{ queries: NamedQuery[] }>("/api/queries");
export const runNamedQuery = (name: string, values: Record<string, string>) =>
  getJson<QueryAnswer>(`/api/queries/${segment(name)}${query(values)}`);

interface SparqlJson {
  head: { vars?: string[] };
  boolean?: boolean;
  results?: { bindings: Record<string, { value: string; type: string }>[] };
}

/** A read-only SPARQL query at /sparql: a table, a yes/no, or a graph as Turtle. */
export async function runSparql(text: string): Promise<SparqlAnswer> {
  const response = await request("/sparql", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Accept: "application/sparql-results+json, text/turtle;q=0.9",
    },
    body: new URLSearchParams({ query: text }).toString(),
  });
  const type = response.headers.get("Content-Type") ?? "";
  if (!type.includes("json")) return { kind: "graph", text: await response.text() };
  const json = (await response.json()) as SparqlJson;
  if (typeof json.boolean === "boolean") return { kind: "boolean", value: json.boolean };
  const columns = json.head.vars ?? [];
  const bindings = json.results?.bindings ?? [];
  const rows = bindings.map((b) => Object.fromEntries(columns.map((c) => [c, b[c]?.value ?? null])));
  const terms = bindings.map((b) => Object.fromEntries(columns.map((c) => [c, b[c]?.type ?? null])));
  const table: Table = { columns, rows, terms };
  return { kind: "table", table };
}

// ── authentication ────────────────────────────────────────────────────────────
/** Who am I (auth off: `auth` false). Keeps the session's CSRF token for the writes that follow. */
export async function getMe(): Promise<Me> {
  const me = await getJson<Me>("/api/auth/me");
  setCsrfToken(me.csrf_token ?? null);
  return me;
}
export async function login(username: string, password: string): Promise<Me> {
  await getMe(); // a session still valid (signed in elsewhere) makes this a cookie write: its CSRF token
  await sendJson<{ user: string; csrf_token: string }>("POST", "/api/auth/login", { username, password });
  return getMe();
}
export async function logout(): Promise<void> {
  await sendJson<{ signed_in: boolean }>("POST", "/api/auth/logout", {});
  setCsrfToken(null);
}
export const listTokens = () => getJson<{ tokens: TokenInfo[] }>("/api/auth/tokens");
/** A new API token; its secret is in this answer only. */
export const createToken = (name: string, scope: string, days: number | null) =>
  sendJson<NewToken>("POST", "/api/auth/tokens", { name, scope, days });
export const revokeToken = (tokenId: string) =>
  sendJson<{ token_id: string; revoked: boolean }>("DELETE", `/api/auth/tokens/${segment(tokenId)}`);

// ── operations: triggers, promotion decisions, alias history, rollback ────────
/** The experiment's triggers in force, oldest first. */
export const listTriggers = (experiment: string) =>
  getJson<{ triggers: Trigger[] }>(`/api/experiments/${segment(experiment)}/triggers`);
/** A trigger's firings, newest first. */
export const listTriggerFirings = (experiment: string, triggerId: string, limit?: number) =>
  getJson<{ firings: TriggerFiring[] }>(
    `/api/experiments/${segment(experiment)}/triggers/${segment(triggerId)}/firings${query({ limit })}`,
  );
/** Every change of an alias, newest first, and where a rollback would return it. */
export const getAliasHistory = (model: string, alias: string) =>
  getJson<AliasHistory>(`/api/models/${segment(model)}/aliases/${segment(alias)}/history`);
/** The promotion decisions on the model's versions (refused ones too), newest first. */
export const listDecisions = (model: string, limit?: number) =>
  getJson<{ model: string; decisions: PromotionDecision[] }>(`/api/models/${segment(model)}/decisions${query({ limit })}`);
/** Return an alias to its previous version; the deployments following it switch first. */
export const rollbackAlias = (model: string, alias: string) =>
  sendJson<AliasMoved>("POST", `/api/models/${segment(model)}/aliases/${segment(alias)}/rollback`);
// ── run annotations, tracked runs ─────────────────────────────────────────────
export const getAnnotations = (runId: string) => getJson<RunAnnotations>(`/api/runs/${segment(runId)}/annotations`);
/** Replace the run's tags and note. */
export const saveAnnotations = (runId: string, tags: Record<string, string>, note: string) =>
  sendJson<RunAnnotations>("PUT", `/api/runs/${segment(runId)}/annotations`, { tags, note });
/** A run recorded from code, with each metric's history (a native run: 404). */
export const getTrackedRun = (runId: string) => getJson<TrackedRun>(`/api/tracking/runs/${segment(runId)}`);

// ── model signature, try-it predictions, any alias, removing a stopped deployment ──
import type { InputSchema, Prediction } from "./types";
/** What predict accepts for a version: its columns in training order and a JSON Schema of a row. */
export const getInputSchema = (model: string, version: number) =>
  getJson<InputSchema>(`/api/models/${segment(model)}/versions/${segment(version)}/schema`);
/** Predictions of one version for the rows of `payload` (`{"dataframe_records": [...]}`). */
export const predictVersion = (model: string, version: number, payload: unknown) =>
  sendJson<Prediction>("POST", `/api/models/${segment(model)}/versions/${segment(version)}/predict`, payload);
/** Point an alias (any name the server accepts) at a version; champion goes through the gate. */
export const setAlias = (model: string, alias: string, version: number) =>
  sendJson<AliasChange>("PUT", `/api/models/${segment(model)}/aliases/${segment(alias)}`, { version });
export const deleteAlias = (model: string, alias: string) =>
  sendJson<{ model: string; alias: string; version: number; deleted: boolean }>(
    "DELETE",
    `/api/models/${segment(model)}/aliases/${segment(alias)}`,
  );
/** Forget a stopped deployment (its record and prediction log); a running one is refused (409). */
export const removeDeployment = (id: string) =>
  sendJson<{ id: string; removed: boolean }>("DELETE", `/api/deployments/${segment(id)}/record`);
// ── run summary and dataset pages ─────────────────────────────────────────────
/** A bounded preview of one artifact the run recorded. */
export const getArtifactPreview = (runId: string, sha256: string, rows?: number) =>
  getJson<ArtifactPreview>(`/api/runs/${segment(runId)}/artifacts/${segment(sha256)}/preview${query({ rows })}`);
/** Where the browser reads a step's raw log (a link's href). */
export const stepLogUrl = (runId: string, stepId: string) => `/api/runs/${segment(runId)}/steps/${segment(stepId)}/log`;
export const listDatasetVersions = (name: string) =>
  getJson<{ name: string; versions: DatasetVersion[] }>(`/api/datasets/${segment(name)}`);
export const getDatasetPreview = (name: string, version?: number, rows?: number) =>
  getJson<DatasetPreview>(`/api/datasets/${segment(name)}/preview${query({ version, rows })}`);
export const getDatasetVersionProfile = (name: string, version?: number) =>
  getJson<Profile>(`/api/datasets/${segment(name)}/profile${query({ version })}`);
/** Upload a CSV or Parquet file as a new version of `name` (default: the file's name). */
export function uploadDataset(file: File, name: string, onProgress: (fraction: number) => void): Promise<UploadedDataset> {
  const form = new FormData();
  form.append("file", file, file.name);
  if (name) form.append("name", name);
  return postFormWithProgress<UploadedDataset>("/api/datasets", form, onProgress);
}
