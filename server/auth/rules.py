"""Which role each route needs, on what: one line per endpoint.

A route added anywhere gets its line in ``RULES`` (the MLflow-compatible API's too: one per
call). A route without one is refused when auth is on, and
``tests/unit/server/auth/test_matrix.py`` fails until it has one.

A rule's ``kind`` says what the role is checked on:

- ``public``: anyone, signed in or not;
- ``signed_in``: any signed-in user (their own session and tokens; ``/sparql``, whose dataset
  is then cut to the graphs the caller may read);
- ``global``: a role granted globally;
- ``experiment`` / ``model``: a role granted globally or on the experiment or model named by
  ``arg``: a view argument, or (``source``) the JSON body's or the query string's key;
- ``run``: as ``experiment``, for the experiment the run ``arg`` belongs to (with ``part``
  given, ``arg`` is a ``/``-separated path and the run is its part ``part``: MLflow's
  ``EXPERIMENT/RUN/artifacts/PATH``);
- ``listing``: a global role, or any experiment or model grant: the view then lists only
  what those grants reach (``check.visible_experiments``, ``check.visible_models``); with
  ``arg`` given in the request, checked as ``experiment`` on it;
- ``deployment``: as ``model``, for the model the deployment ``arg`` serves.

An experiment grant also reads (viewer, never more) the models its runs built, and so their
deployments.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.auth.roles import Role

V, R, E, A = Role.VIEWER, Role.RUNNER, Role.EDITOR, Role.ADMIN
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Rule:
    """What one route needs."""

    kind: str
    role: Role | None = None
    arg: str = ""
    source: str = "view"  # where ``arg`` is read: "view" (path), "body" (JSON), "args"
    part: int | None = None  # ``arg`` is a path whose part ``part`` names the run


PUBLIC = Rule("public")
SIGNED_IN = Rule("signed_in")


def glob(role: Role) -> Rule:
    return Rule("global", role)


def exp(role: Role, arg: str = "identifier", source: str = "view") -> Rule:
    return Rule("experiment", role, arg, source)


def run(role: Role, arg: str = "run_id", source: str = "view") -> Rule:
    return Rule("run", role, arg, source)


def model(role: Role, arg: str = "name") -> Rule:
    return Rule("model", role, arg)


def listing(arg: str = "", source: str = "view") -> Rule:
    return Rule("listing", Role.VIEWER, arg, source)


def deployment(role: Role) -> Rule:
    return Rule("deployment", role, "deployment_id")


#: MLflow's tracking prefixes as they start its endpoints' names.
_MLFLOW_PREFIXES = ("api_2_0_mlflow", "ajax_api_2_0_mlflow")


def _mlflow_calls(calls: dict[str, Rule]) -> dict[str, Rule]:
    """The rule of each MLflow call (``METHOD_path``) under both of MLflow's prefixes."""
    return {
        f"mlflow.{prefix}_{call}": rule
        for call, rule in calls.items()
        for prefix in _MLFLOW_PREFIXES
    }


RULES: dict[str, Rule] = {
    # Open to anyone: liveness, the API description, the UI's shell, signing in
    "health.health": PUBLIC,
    "mlflow.health": PUBLIC,
    "openapi.openapi": PUBLIC,
    "ui.index": PUBLIC,
    "ui.assets": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.me": PUBLIC,
    # One's own tokens; /sparql (the dataset is restricted to readable graphs)
    "auth.list_tokens": SIGNED_IN,
    "auth.create_token": SIGNED_IN,
    "auth.revoke_token": SIGNED_IN,
    "sparql.sparql": SIGNED_IN,
    # Accounts
    "auth.list_users": glob(A),
    # The admin API (server/api/users.py), as `ontolab users`
    **{
        f"users.{view}": glob(A)
        for view in (
            "list_users",
            "create_user",
            "get_user",
            "disable_user",
            "enable_user",
            "reset_password",
            "grant_user",
            "revoke_user",
            "user_tokens",
            "revoke_user_token",
            "list_groups",
            "add_member",
            "remove_member",
            "grant_group",
            "revoke_group",
        )
    },
    # Platform-wide reads
    "metrics.metrics": glob(V),
    "vocabulary.vocabulary": glob(V),
    "events.events": glob(V),
    "compare.compare": listing(),  # only runs of experiments granted
    "lineage.lineage": listing(),  # only a run or model granted
    "queries.list_queries": glob(V),
    "queries.run_with_query_string": glob(V),
    "queries.run_with_json": glob(V),
    "artifacts.download": glob(V),
    "artifacts.upload": glob(R),
    # Experiments
    "experiments.list_experiments": listing(),
    "experiments.validate": glob(V),
    "experiments.create": glob(E),
    "experiments.get": exp(V),
    "experiments.get_version": exp(V),
    "experiments.leaderboard": exp(V),
    "code_bundles.list_bundles": exp(V),
    "experiments.delete": exp(A),
    "experiment_documents.get_document": exp(V),
    # Runs
    "runs.list_runs": listing("experiment", "args"),  # ?experiment=ID: that one's runs
    "runs.start": exp(R, "experiment", "body"),
    "runs.get": run(V),
    "runs.step_log": run(V),
    "run_artifacts.preview": run(V),
    "trials.trials": run(V),
    "exports.export": run(V),
    "runs.cancel": run(R),
    "runs.rerun": run(R),
    "runs.resume": run(R),
    "run_annotations.get": run(V),
    "run_annotations.put": run(R),
    # Runs tracked from any code (the SDK)
    "tracking.start": glob(R),
    "tracking.get": run(V),
    "tracking.get_artifact": run(V),
    "tracking.put_artifact": run(R),
    "tracking.batch": run(R),
    "tracking.end": run(R),
    "tracking.put_model": run(R),
    # Datasets
    "datasets.list_datasets": glob(V),
    "datasets.versions": glob(V),
    "datasets.preview": glob(V),
    "datasets.profile": glob(V),
    "datasets.upload": glob(R),
    # Models and the registry
    "models.list_models": listing(),
    "models.get_model": model(V),
    "models.get_version": model(V),
    "models.get_alias": model(V),
    "models.get_input_schema": model(V),
    "models.predict_latest": model(R),
    "models.predict_version": model(R),
    "models.predict_alias": model(R),
    "models.put_alias": model(E),
    "models.delete_alias": model(E),
    "models.promote": model(E),
    # Deployments
    "deployments.list_deployments": listing(),
    "deployments.get_deployment": deployment(V),
    "deployments.deployment_metrics": deployment(V),
    "deployments.predictions": deployment(V),
    "deployments.feedback": deployment(R),
    "deployments.deploy": glob(E),
    "deployments.stop_deployment": glob(E),
    "deployments.remove_deployment": glob(E),
    "monitoring.evaluate": deployment(V),
    "monitoring.history": deployment(V),
    "triggers.create": exp(E),
    "triggers.list_triggers": exp(V),
    "triggers.get": exp(V),
    "triggers.remove": exp(E),
    "triggers.fire": exp(R),
    "triggers.firings": exp(V),
    "model_operations.post_challenge": model(E),
    "model_operations.post_rollback": model(E),
    "model_operations.get_history": model(V),
    "model_operations.get_at": model(V),
    "model_operations.get_why": model(V),
    "model_operations.get_decisions": model(V),
    # MLflow-compatible API (server/api/mlflow.py): as the native API, on the experiment the
    # call names (GET: query string, POST: JSON body) or its run's; searches list only what
    # the caller's grants reach (server/interop/mlflow_api/service.py cuts them)
    **_mlflow_calls(
        {
            "POST_experiments_create": glob(R),  # a new experiment nobody holds a grant on yet
            "GET_experiments_get": exp(V, "experiment_id", "args"),
            "GET_experiments_get_by_name": listing(),  # the answer is checked on its identifier
            "GET_experiments_search": listing(),
            "POST_experiments_search": listing(),
            "POST_runs_create": exp(R, "experiment_id", "body"),
            "GET_runs_get": run(V, "run_id", "args"),
            "POST_runs_update": run(R, "run_id", "body"),
            "POST_runs_delete": run(E, "run_id", "body"),
            "POST_runs_search": listing(),  # every experiment named must be readable
            "POST_runs_log_batch": run(R, "run_id", "body"),
            "POST_runs_log_metric": run(R, "run_id", "body"),
            "POST_runs_log_parameter": run(R, "run_id", "body"),
            "POST_runs_set_tag": run(R, "run_id", "body"),
            "GET_metrics_get_history": run(V, "run_id", "args"),
            "POST_logged_models_search": listing(),  # always empty here
        }
    ),
    "mlflow.tracking_list_artifacts": run(V, "run_id", "args"),
    # The proxied artifact routes: EXPERIMENT/RUN/artifacts/PATH, the run is its part 1
    "mlflow.download_artifact": Rule("run", V, "path", "view", part=1),
    "mlflow.upload_artifact": Rule("run", R, "path", "view", part=1),
    "mlflow.list_artifacts": Rule("run", V, "path", "args", part=1),
    # Any other path under MLflow's prefixes only answers an error naming the call
    **{
        f"mlflow.{kind}__{prefix}": SIGNED_IN
        for kind in ("refuse", "refuse_root")
        for prefix in (
            *_MLFLOW_PREFIXES,
            "api_3_0_mlflow",
            "ajax_api_3_0_mlflow",
            "api_2_0_mlflow_artifacts",
            "ajax_api_2_0_mlflow_artifacts",
        )
    },
}


def rule_for(endpoint: str) -> Rule | None:
    """The rule of ``endpoint``; None when the route has none."""
    return RULES.get(endpoint)
