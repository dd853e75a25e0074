// Every answer and body of the Ontolab API the UI uses, once. Keys are snake_case, as on the wire.

export type Scalar = string | number | boolean;

// ── health ────────────────────────────────────────────────────────────────────
export interface Health {
  status: string;
  version: string;
  store: { backend: string; reachable: boolean };
  provisioner: { name: string };
  active_runs: number;
}

// ── vocabulary (the builder's palette and forms, from the SHACL shapes) ───────
export interface VocabularyField {
  /** The snake_case key a pipeline document uses (`target_column`). */
  name: string;
  /** The ontology term (`ol:targetColumn`). */
  path: string;
  label: string;
  comment?: string | null;
  datatype?: string;
  in?: Scalar[];
  min_inclusive?: number;
  min_exclusive?: number;
  max_inclusive?: number;
  max_exclusive?: number;
  pattern?: string;
  required: boolean;
  multiple: boolean;
  /** 0: this kind of step must not have the property (e.g. an AutoML step's estimator). */
  max_count?: number;
  message?: string;
}
export interface VocabularyStep {
  type: string;
  label: string;
  comment?: string | null;
  phase: string | null;
  consumes: { min: number; max: number | null };
  parameters: VocabularyField[];
  /** The structured values the step class may carry: resources, hyper_parameter, search_space, threshold. */
  structures: string[];
}
export interface Vocabulary {
  task: string[];
  steps: VocabularyStep[];
  resources: VocabularyField[];
  hyper_parameter: VocabularyField[];
  search_space: VocabularyField[];
  threshold: VocabularyField[];
  /** Per parameter name, per task: the values that fit (estimators, threshold metrics). */
  choices_by_task: Record<string, Record<string, string[]>>;
  /** The bundled datasets an extract step may read (`sklearn:iris`, …). */
  sources: string[];
}

// ── experiments ───────────────────────────────────────────────────────────────
export interface PipelineStep {
  id: string;
  type: string;
  consumes?: string[];
  depends_on?: string[];
  parameters?: Record<string, Scalar | Scalar[]>;
  hyper_parameters?: Record<string, unknown>;
  search_space?: Record<string, unknown[]>;
  thresholds?: { metric: string; min?: number; max?: number }[];
  resources?: Record<string, string | number>;
  columns?: unknown[];
}
export interface PipelineDocument {
  id: string;
  label?: string;
  task: string;
  /** The experiment's ol:provisioner (left out: the platform's default). */
  provisioner?: string;
  steps: PipelineStep[];
}
export interface ExperimentRow {
  identifier: string;
  versions: number;
  label?: string;
  task: string;
  updated: string;
}
export interface ExperimentVersion {
  identifier: string;
  version: number;
  iri: string;
  experiment: string;
  content_hash: string;
  created: string;
}
export interface StoredVersion extends ExperimentVersion {
  created_new_version: boolean;
}
export interface VersionWithTurtle extends ExperimentVersion {
  turtle: string;
}
export interface Experiment {
  identifier: string;
  versions: VersionWithTurtle[];
}
export interface PlannedStep {
  id: string;
  phase: string;
  depends_on: string[];
  inputs: Record<string, string>;
}
export interface Validation {
  valid: boolean;
  identifier: string;
  task: string;
  steps: PlannedStep[];
  waves: string[][];
}
export interface Violation {
  node: string;
  path: string | null;
  message: string;
  value?: unknown;
}
export interface Leaderboard {
  experiment: string;
  metric: string;
  higher_is_better: boolean | null;
  runs: { run: string; run_id: string; value: number }[];
}

// ── runs ──────────────────────────────────────────────────────────────────────
export interface RunStarted {
  run_id: string;
  status: string;
  experiment: string;
  version: number;
  steps: { id: string; phase: string; status: string }[];
  url: string;
  resumes?: string;
}
export interface RunSummary {
  run_id: string;
  number?: number | null;
  experiment: string;
  version: number;
  status: string;
  started: string;
  ended?: string | null;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  /** The tags and note people gave the run (PUT /api/runs/ID/annotations). */
  tags?: Record<string, string>;
  note?: string;
}
export interface RunList {
  total: number;
  offset: number;
  runs: RunSummary[];
}
export interface RunSelection {
  experiment?: string;
  status?: string;
  filter?: string;
  /** A field; `-field` for descending. */
  sort?: string;
  limit?: number;
  offset?: number;
}
export interface StepRow {
  step_run: string;
  step_id: string;
  phase: string;
  status: string;
  started?: string;
  ended?: string;
  duration?: number;
  cache_hit: boolean;
  reused_from?: string;
  worker?: string;
  error_type?: string;
  error_message?: string;
  /** The ids of the steps this one waits for: the edges of the run's plan. */
  depends_on: string[];
}
export interface RunDetails {
  run_id: string;
  status: string;
  started: string;
  ended?: string;
  identifier: string;
  version: number;
  provisioner: string;
  error?: string;
  resumes?: string;
  resumed_by?: string;
  steps: StepRow[];
  metrics: { step_id: string; metric: string; value: number; model?: string }[];
  hyperparameters: { step_id: string; name: string; value: unknown }[];
  artifacts: { step_id: string; artifact: string; kind: string; sha256: string; size: number; media_type: string }[];
  models: { model: string; name: string }[];
  /** The threshold checks its validate steps made. */
  thresholds?: ThresholdCheck[];
  /** The registry versions registered from it. */
  model_versions?: { name: string; number: number; passed?: boolean }[];
}
/** One trial an AutoML step evaluated (GET /api/runs/ID/trials). */
export interface Trial {
  step_id: string;
  number: number;
  kind?: "baseline" | "default" | "search";
  estimator?: string;
  status?: "succeeded" | "failed";
  scoring?: string;
  mean_score?: number;
  fit_seconds?: number;
  started?: string;
  ended?: string;
  error?: string;
  /** Its model is the step's model. */
  best: boolean;
  params: Record<string, unknown>;
  fold_scores: number[];
}
/** A code bundle an earlier version of an experiment brought (GET /api/experiments/ID/code-bundles). */
export interface CodeBundle {
  sha256: string;
  size: number;
  media_type?: string;
  /** The versions that name it, oldest first. */
  versions: number[];
  /** The version that brought it. */
  first_version: number;
  /** Its zip is in the artifact store, intact: only then can it be picked. */
  stored: boolean;
  files: string[];
}
export interface Cancelling {
  run_id: string;
  status: "cancelling";
}
/** One Server-Sent Event of /api/events: a run (`step_id` null) or step state change. */
export interface RunEvent {
  run_id: string;
  step_id: string | null;
  status: string;
  detail: string;
}
/** A compared run: its summary and the trials of its AutoML steps (empty without any). */
export interface ComparedRun extends RunSummary {
  trials: Trial[];
}
export interface Comparison {
  runs: ComparedRun[];
  metrics: string[];
  params: string[];
  differing_params: string[];
  best: Record<string, string[]>;
  /** Per scoring, the run(s) whose best AutoML trial has the highest mean score. */
  best_trials: Record<string, string[]>;
  /** Per STEP.NAME param, the default of the estimator the step fitted (when known). */
  param_defaults?: Record<string, unknown>;
}

// ── lineage ───────────────────────────────────────────────────────────────────
export interface LineageNode {
  id: string;
  kind: string;
  label: string | null;
  sha256: string | null;
}
export interface LineageGraph {
  roots: string[];
  nodes: LineageNode[];
  edges: { source: string; relation: string; target: string }[];
}

// ── datasets ──────────────────────────────────────────────────────────────────
export interface DatasetRow {
  name: string;
  versions: number;
  updated: string;
}
export interface ColumnProfile {
  name: string;
  kind: string;
  dtype: string;
  count: number;
  missing: number;
  unique?: number;
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  histogram?: { counts: number[]; edges: number[] };
  top_values?: { value: string; count: number }[];
}
export interface Profile {
  rows: number;
  target_column?: string;
  columns: ColumnProfile[];
  correlation?: { columns: string[]; matrix: (number | null)[][] };
}

// ── models and deployments ────────────────────────────────────────────────────
export interface ModelRow {
  name: string;
  task: string;
  latest_version: number;
  versions: number;
  aliases: Record<string, number>;
}
export interface ModelVersion {
  version: number;
  run_id: string;
  sha256: string;
  created: string;
  passed_validation: boolean;
  validation_note?: string;
  primary_metric?: string;
  primary_value?: number;
  metrics: Record<string, number>;
  aliases: string[];
}
export interface Model {
  name: string;
  task: string;
  aliases: Record<string, number>;
  versions: ModelVersion[];
}
export interface AliasChange {
  alias: string;
  version: number;
  previous: number | null;
}
export interface Deployment {
  id: string;
  model: string;
  version: number;
  alias: string | null;
  url: string;
  port: number;
  status: string;
  started_at: string;
}

// ── SPARQL and named queries ──────────────────────────────────────────────────
export interface NamedQuery {
  name: string;
  description: string;
  parameters: { name: string; type: string }[];
  text: string;
}
export interface Table {
  columns: string[];
  rows: Record<string, unknown>[];
  /** From /sparql: per row, each bound column's term type ("uri", "literal", "bnode"). */
  terms?: Record<string, string | null>[];
}
export type QueryAnswer = Table | { boolean: boolean };
/** The answer of /sparql: a table, a yes/no, or a graph as Turtle. */
export type SparqlAnswer = { kind: "table"; table: Table } | { kind: "boolean"; value: boolean } | { kind: "graph"; text: string };

// ── authentication ────────────────────────────────────────────────────────────
export interface Grant {
  principal: string;
  role: string;
  kind: "global" | "experiment" | "model";
  resource: string;
}
/** GET /api/auth/me: `auth` false when the platform runs without authentication. */
export interface Me {
  auth: boolean;
  signed_in: boolean;
  user: string | null;
  via?: "token" | "session" | "anonymous";
  role?: string | null;
  /** The most a bearer token's scope lets it do (null: a session, no cap). */
  token_scope?: string | null;
  grants?: Grant[];
  csrf_token?: string;
}
export interface TokenInfo {
  token_id: string;
  user: string;
  name: string;
  scope: string;
  created: string;
  expires: string | null;
  revoked: boolean;
}
export interface NewToken extends TokenInfo {
  token: string;
}
// ── monitoring (drift and live performance of a deployment's logged requests) ─
/** One feature's drift in one window (GET /api/deployments/ID/monitoring). */
export interface FeatureDrift {
  name: string;
  kind: string;
  /** `ks` (numbers) or `chi_square` (categories). */
  test: string;
  statistic: number;
  p_value: number;
  /** Corrected for testing every feature (Benjamini–Hochberg or Holm). */
  adjusted_p_value: number;
  psi: number;
  js_distance: number;
  reference_missing_rate: number;
  window_missing_rate: number;
  drifted: boolean;
}
export interface DriftThresholds {
  alpha: number;
  correction: string;
  drift_share: number;
  min_psi: number;
}
export interface DriftReport {
  rows: number;
  reference_rows: number;
  drift_share: number;
  verdict: "drift" | "no_drift";
  drifted_features: string[];
  thresholds: DriftThresholds;
  features: FeatureDrift[];
}
export interface LivePerformance {
  task: string | null;
  labelled_rows: number;
  /** accuracy and f1 (classification) or rmse and mae (regression); empty without feedback. */
  metrics: Record<string, number>;
  note: string | null;
}
export interface MonitoringWindow {
  spec: string;
  kind: "last" | "since" | "duration";
  last?: number | null;
  since?: string | null;
  duration_seconds?: number | null;
  /** Log times of the window's first and last row (null for an empty window). */
  start: string | null;
  end: string | null;
  rows: number;
}
export interface WindowEvaluation {
  deployment_id: string;
  model: string;
  version: number;
  window: MonitoringWindow;
  evaluated_at: string;
  /** null when drift cannot be computed: see drift_note. */
  drift: DriftReport | null;
  drift_note: string | null;
  performance: LivePerformance;
  /** Its node in the graph (null for an empty window). */
  evaluation: string | null;
}
/** One recorded window evaluation (GET /api/deployments/ID/monitoring/history). */
export interface RecordedEvaluation {
  evaluation: string;
  model: string;
  version: number;
  window: { spec: string; start: string; end: string; rows: number };
  evaluated_at: string;
  drift_share: number | null;
  drift_detected: boolean | null;
  drift_note?: string | null;
  drifted_features: string[];
  features: Pick<FeatureDrift, "name" | "psi" | "js_distance" | "test" | "adjusted_p_value" | "drifted">[];
  performance: { labelled_rows: number; metrics: Record<string, number> };
}
export interface MonitoringHistory {
  deployment_id: string;
  evaluations: RecordedEvaluation[];
}
export interface PredictionLogConfig {
  enabled: boolean;
  max_mb: number;
  files: number;
}
/** One logged request (GET /api/deployments/ID/predictions), with its feedback if any. */
export interface LoggedPrediction {
  request_id: string;
  time: string;
  inputs: Record<string, unknown>[];
  predictions: unknown[];
  labels: unknown[] | null;
}
export interface PredictionSample {
  prediction_log: PredictionLogConfig;
  predictions: LoggedPrediction[];
}
// ── operations (triggers, the champion and its challengers, alias history) ────
/** A trigger in force on an experiment (GET /api/experiments/ID/triggers). */
export interface Trigger {
  id: string;
  iri: string;
  kind: "schedule" | "new_data" | "drift" | "performance" | "manual";
  experiment: string;
  created: string;
  label?: string | null;
  cron?: string | null;
  dataset?: string | null;
  threshold?: number | null;
  windows?: number | null;
  metric?: string | null;
  direction?: string | null;
}
/** One firing of a trigger, newest first (GET …/triggers/T/firings). */
export interface TriggerFiring {
  id: string;
  trigger: string;
  experiment: string;
  time: string;
  outcome: "started" | "debounced" | "cooldown" | "in_flight" | "failed";
  /** What was observed and what came of it. */
  detail: string;
  run_id: string | null;
  in_flight_run: string | null;
  observed_value: number | null;
  scheduled_for: string | null;
  dataset_version: string | null;
  deployment: string | null;
  window_end: string | null;
  evaluation: string | null;
}
/** One change of an alias (GET /api/models/N/aliases/A/history), newest first. */
export interface AliasHistoryChange {
  iri: string;
  time: string;
  kind: "set" | "move" | "delete";
  cause: "manual" | "rollback" | "gate" | "trigger" | "import";
  /** The version it pointed at from then on (null: deleted). */
  version: number | null;
  previous: number | null;
  agent: string | null;
  /** The activity that led to it: a promotion decision, a trigger firing. */
  informed_by: string | null;
}
export interface AliasHistory {
  model: string;
  alias: string;
  changes: AliasHistoryChange[];
  /** The version a rollback would return the alias to; null when there is none. */
  rollback_to: number | null;
}
/** One decision of the promotion policy (GET /api/models/N/decisions), newest first. */
export interface PromotionDecision {
  iri: string;
  time: string;
  /** The challenger. */
  version: number;
  outcome: "promoted" | "refused";
  reason: string;
  metric: string | null;
  challenger_value: number | null;
  champion: number | null;
  champion_value: number | null;
  informed_by: string | null;
}
/** A rollback's answer: the alias change and the deployments that followed it. */
export interface AliasMoved extends AliasChange {
  model: string;
  switches: { deployment?: string; outcome: string; reason?: string; to_version?: number }[];
}

// ── the builder's load (GET /api/experiments/ID/versions/N/document) ─────────
export interface VersionDocument {
  identifier: string;
  version: number;
  document: PipelineDocument;
  code_sha256: string | null;
  provisioner: string | null;
}

// ── run annotations and tracked runs ──────────────────────────────────────────
export interface RunAnnotations {
  run_id: string;
  tags: Record<string, string>;
  note: string;
}
export interface MetricPointJson {
  value: number;
  step: number;
  timestamp: number | null;
}
/** A run recorded from code (GET /api/tracking/runs/ID): its metrics' whole history. */
export interface TrackedRun {
  run_id: string;
  experiment: string;
  name: string | null;
  status: string;
  metric_history: Record<string, MetricPointJson[]>;
}

// ── model signature and try-it predictions ──
export interface InputColumn {
  name: string;
  type: "number" | "string";
  dtype: string;
  nullable: boolean;
}
export interface InputSchema {
  version: number;
  model: string;
  task: string;
  target: string | null;
  columns: InputColumn[];
  classes: (string | number)[] | null;
  formats: string[];
  record_schema: Record<string, unknown>;
}
export interface Prediction {
  predictions: (string | number)[];
  probabilities?: number[][];
  classes?: (string | number)[];
  model: { name: string; version?: number; alias?: string };
}

// ── run summary and dataset pages ─────────────────────────────────────────────
export interface ThresholdCheck {
  step_id: string;
  metric: string;
  min?: number;
  max?: number;
  value?: number;
  passed?: boolean;
}
/** GET /api/runs/ID/artifacts/SHA256/preview: bounded by the server (bytes, rows, columns). */
export interface ArtifactPreview {
  sha256: string;
  kind: string;
  step_id: string;
  media_type: string;
  size: number;
  preview: "json" | "table" | "text" | "none";
  value?: unknown;
  text?: string;
  columns?: string[];
  rows?: unknown[][];
  total_rows?: number;
  reason?: string;
  truncated: boolean;
}
export interface DatasetVersion {
  name: string;
  number: number;
  iri: string;
  sha256: string;
  size: number;
  rows: number;
  columns: number;
  created: string;
  format: string;
}
export interface UploadedDataset extends DatasetVersion {
  /** `dataset:NAME@N`, what an extract step's source takes. */
  source: string;
  profile_error?: string;
}
export interface DatasetPreview {
  columns: string[];
  rows: unknown[][];
  total_rows: number;
}
