"""Every route × every caller against the permission matrix below.

The matrix is written here, apart from ``server/auth/rules.py``, so a rule changed by mistake
fails; a route added without a line in both fails with the line to add. Requests go through
the app's real hooks; a hook after the permission check answers 299 in place of the view, so
nothing the views do (streams, runs) happens.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Response
from werkzeug.routing import Rule as UrlRule

from server.auth.rules import rule_for
from tests.unit.server.auth.conftest import AuthApp

REACHED = 299

# endpoint → who may call it: "public", "signed_in", or "ROLE" / "ROLE@experiment" /
# "ROLE@model" (a role granted globally, or on the experiment or model the request is about);
# "ROLE|listing": a global role, or any experiment or model grant (the list is cut to what
# they reach). Deployment routes are "@model": the model the deployment serves.
MATRIX: dict[str, str] = {
    "health.health": "public",
    "mlflow.health": "public",
    "openapi.openapi": "public",
    "ui.index": "public",
    "ui.assets": "public",
    "auth.login": "public",
    "auth.logout": "public",
    "auth.me": "public",
    "auth.list_tokens": "signed_in",
    "auth.create_token": "signed_in",
    "auth.revoke_token": "signed_in",
    "sparql.sparql": "signed_in",
    "auth.list_users": "admin",
    "users.list_users": "admin",
    "users.create_user": "admin",
    "users.get_user": "admin",
    "users.disable_user": "admin",
    "users.enable_user": "admin",
    "users.reset_password": "admin",
    "users.grant_user": "admin",
    "users.revoke_user": "admin",
    "users.user_tokens": "admin",
    "users.revoke_user_token": "admin",
    "users.list_groups": "admin",
    "users.add_member": "admin",
    "users.remove_member": "admin",
    "users.grant_group": "admin",
    "users.revoke_group": "admin",
    "metrics.metrics": "viewer",
    "vocabulary.vocabulary": "viewer",
    "events.events": "viewer",
    "compare.compare": "viewer|listing",
    "lineage.lineage": "viewer|listing",
    "queries.list_queries": "viewer",
    "queries.run_with_query_string": "viewer",
    "queries.run_with_json": "viewer",
    "artifacts.download": "viewer",
    "artifacts.upload": "runner",
    "experiments.list_experiments": "viewer|listing",
    "experiments.validate": "viewer",
    "experiments.create": "editor",
    "experiments.get": "viewer@experiment",
    "experiments.get_version": "viewer@experiment",
    "experiments.leaderboard": "viewer@experiment",
    "code_bundles.list_bundles": "viewer@experiment",
    "experiments.delete": "admin@experiment",
    "experiment_documents.get_document": "viewer@experiment",
    "runs.list_runs": "viewer@experiment",  # ?experiment=ID
    "runs.start": "runner@experiment",
    "runs.get": "viewer@experiment",
    "runs.step_log": "viewer@experiment",
    "run_artifacts.preview": "viewer@experiment",
    "trials.trials": "viewer@experiment",
    "exports.export": "viewer@experiment",
    "runs.cancel": "runner@experiment",
    "runs.rerun": "runner@experiment",
    "runs.resume": "runner@experiment",
    "run_annotations.get": "viewer@experiment",
    "run_annotations.put": "runner@experiment",
    "tracking.start": "runner",
    "tracking.get": "viewer@experiment",
    "tracking.get_artifact": "viewer@experiment",
    "tracking.put_artifact": "runner@experiment",
    "tracking.batch": "runner@experiment",
    "tracking.end": "runner@experiment",
    "tracking.put_model": "runner@experiment",
    "datasets.list_datasets": "viewer",
    "datasets.versions": "viewer",
    "datasets.preview": "viewer",
    "datasets.profile": "viewer",
    "datasets.upload": "runner",
    "models.list_models": "viewer|listing",
    "models.get_model": "viewer@model",
    "models.get_version": "viewer@model",
    "models.get_alias": "viewer@model",
    "models.get_input_schema": "viewer@model",
    "models.predict_latest": "runner@model",
    "models.predict_version": "runner@model",
    "models.predict_alias": "runner@model",
    "models.put_alias": "editor@model",
    "models.delete_alias": "editor@model",
    "models.promote": "editor@model",
    "deployments.list_deployments": "viewer|listing",
    "deployments.get_deployment": "viewer@model",
    "deployments.deployment_metrics": "viewer@model",
    "deployments.predictions": "viewer@model",
    "deployments.feedback": "runner@model",
    "deployments.deploy": "editor",
    "deployments.stop_deployment": "editor",
    "deployments.remove_deployment": "editor",
    "monitoring.evaluate": "viewer@model",
    "monitoring.history": "viewer@model",
    "triggers.create": "editor@experiment",
    "triggers.list_triggers": "viewer@experiment",
    "triggers.get": "viewer@experiment",
    "triggers.remove": "editor@experiment",
    "triggers.fire": "runner@experiment",
    "triggers.firings": "viewer@experiment",
    "model_operations.post_challenge": "editor@model",
    "model_operations.post_rollback": "editor@model",
    "model_operations.get_history": "viewer@model",
    "model_operations.get_at": "viewer@model",
    "model_operations.get_why": "viewer@model",
    "model_operations.get_decisions": "viewer@model",
    # The MLflow-compatible API: on the experiment named by experiment_id (query string or
    # body) or the run_id's; the artifact routes' run is part 1 of EXPERIMENT/RUN/artifacts/…
    **{
        f"mlflow.{prefix}_{call}": need
        for prefix in ("api_2_0_mlflow", "ajax_api_2_0_mlflow")
        for call, need in {
            "POST_experiments_create": "runner",
            "GET_experiments_get": "viewer@experiment",
            "GET_experiments_get_by_name": "viewer|listing",
            "GET_experiments_search": "viewer|listing",
            "POST_experiments_search": "viewer|listing",
            "POST_runs_create": "runner@experiment",
            "GET_runs_get": "viewer@experiment",
            "POST_runs_update": "runner@experiment",
            "POST_runs_delete": "editor@experiment",
            "POST_runs_search": "viewer|listing",
            "POST_runs_log_batch": "runner@experiment",
            "POST_runs_log_metric": "runner@experiment",
            "POST_runs_log_parameter": "runner@experiment",
            "POST_runs_set_tag": "runner@experiment",
            "GET_metrics_get_history": "viewer@experiment",
            "POST_logged_models_search": "viewer|listing",
        }.items()
    },
    "mlflow.tracking_list_artifacts": "viewer@experiment",
    "mlflow.download_artifact": "viewer@experiment",
    "mlflow.upload_artifact": "runner@experiment",
    "mlflow.list_artifacts": "viewer@experiment",
    # Any other MLflow path only answers an error naming the call
    **{
        f"mlflow.{kind}__{prefix}": "signed_in"
        for kind in ("refuse", "refuse_root")
        for prefix in (
            "api_2_0_mlflow",
            "ajax_api_2_0_mlflow",
            "api_3_0_mlflow",
            "ajax_api_3_0_mlflow",
            "api_2_0_mlflow_artifacts",
            "ajax_api_2_0_mlflow_artifacts",
        )
    },
}
ROLES = ("viewer", "runner", "editor", "admin")
# alice: editor on experiment exp-a (through group team-a), viewer on model model-a.
ALICE = {"experiment": "editor", "model": "viewer"}
CALLERS = (None, *ROLES, "alice")


def expected(endpoint: str) -> str:
    try:
        return MATRIX[endpoint]
    except KeyError:
        raise AssertionError(
            f"route {endpoint} is not in the permission matrix; add its line to MATRIX here "
            "and to RULES in server/auth/rules.py"
        ) from None


def allowed(who: str | None, need: str, about: str) -> bool:
    """Whether ``who`` may call a route needing ``need`` on resources named ``…-{about}``."""
    if need == "public":
        return True
    if who is None:
        return False
    if need == "signed_in":
        return True
    role, _, scope = need.partition("@")
    if who == "alice" and role.endswith("|listing"):
        return True
    role = role.removesuffix("|listing")
    if who == "alice":
        held = ALICE.get(scope) if about == "a" else None
        return held is not None and ROLES.index(held) >= ROLES.index(role)
    return ROLES.index(who) >= ROLES.index(role)


def url_for(rule: UrlRule, about: str) -> str:
    values: dict[str, Any] = {
        "identifier": f"exp-{about}",
        "run_id": f"run-{about}",
        "name": f"model-{about}",
        "deployment_id": f"dep-{about}",  # serves model-{about}
        "number": 1,
        "path": f"exp-{about}/run-{about}/artifacts/x",  # MLflow's artifact routes
    }
    path = rule.rule
    for argument in rule.arguments:
        value = values.get(argument, "x")
        path = path.replace(f"<{argument}>", str(value))
        for converter in ("int", "path", "experiment"):
            path = path.replace(f"<{converter}:{argument}>", str(value))
    return path


def routes(app_rules: list[UrlRule]) -> list[tuple[UrlRule, str]]:
    return [
        (rule, method)
        for rule in app_rules
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})  # type: ignore[operator]
    ]


@pytest.fixture(scope="module")
def reaching(auth_app: AuthApp) -> AuthApp:
    """The app, answering 299 from a hook after the check instead of running the view."""
    auth_app.app.before_request(lambda: Response("reached", REACHED))
    return auth_app


def test_every_route_has_a_rule_and_a_matrix_line(auth_app: AuthApp) -> None:
    rules = list(auth_app.app.url_map.iter_rules())
    missing = sorted({rule.endpoint for rule in rules if rule_for(rule.endpoint) is None})
    assert not missing, f"routes without a rule in server/auth/rules.py: {missing}"
    for rule in rules:
        expected(rule.endpoint)


@pytest.mark.parametrize("who", CALLERS, ids=lambda who: who or "anonymous")
def test_route_by_caller_matches_the_matrix(reaching: AuthApp, who: str | None) -> None:
    client = reaching.client()
    wrong = []
    for rule, method in routes(list(reaching.app.url_map.iter_rules())):
        need = expected(rule.endpoint)
        for about in ("a", "b"):
            # what a list or an MLflow call may be about (GET: the query string, else the body)
            about_this = {
                "experiment": f"exp-{about}",
                "experiment_id": f"exp-{about}",
                "run_id": f"run-{about}",
                "path": f"exp-{about}/run-{about}/artifacts",
            }
            answer = client.open(
                url_for(rule, about),
                method=method,
                json=about_this if method != "GET" else None,
                query_string=about_this,
                headers=reaching.headers(who),
            )
            reached = answer.status_code == REACHED
            if reached != allowed(who, need, about):
                wrong.append(f"{method} {rule.rule} ({about}): {answer.status_code}, need {need}")
            elif not reached:
                assert answer.status_code == (401 if who is None else 403), answer.data
    assert not wrong, "\n".join(wrong)
