"""One exception base for the platform; the API turns these into RFC 7807 problem JSON and
the CLI into one clear line and a non-zero exit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class OntolabError(Exception):
    """Base of every error the platform raises on purpose. Messages end with the fix."""

    status = 500
    title = "Ontolab error"

    def to_problem(self) -> dict[str, Any]:
        """RFC 7807 problem details for this error."""
        return {
            "type": f"https://w3id.org/ontolab/problems/{type(self).__name__}",
            "title": self.title,
            "status": self.status,
            "detail": str(self),
        }


class ConfigError(OntolabError):
    title = "Invalid configuration"


class NotFoundError(OntolabError):
    status = 404
    title = "Not found"


@dataclass(frozen=True, order=True)
class Violation:
    """One failed SHACL constraint: which node, which property, why."""

    node: str
    path: str
    message: str
    value: str | None = None

    def __str__(self) -> str:
        value = f" (value: {self.value})" if self.value is not None else ""
        return f"{self.node} {self.path}: {self.message}{value}"


class DefinitionError(OntolabError):
    """The definition could not be parsed or is not a valid experiment."""

    status = 400
    title = "Invalid experiment definition"

    def __init__(self, message: str, violations: list[Violation] | None = None) -> None:
        self.violations = violations or []
        if self.violations:
            message += "\n" + "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(message)

    def to_problem(self) -> dict[str, Any]:
        problem = super().to_problem()
        problem["violations"] = [vars(v) for v in self.violations]
        return problem


class PlanError(OntolabError):
    """The steps of a definition cannot be ordered into a runnable plan."""

    status = 400
    title = "Experiment cannot be planned"


class StoreError(OntolabError):
    status = 503
    title = "Triplestore error"


class QueryError(OntolabError):
    status = 400
    title = "Invalid query"


class StepError(OntolabError):
    status = 500
    title = "Step failed"


class RunError(OntolabError):
    status = 409
    title = "Run failed"


class RunStateConflict(RunError):
    """A request a run's state does not allow: cancel a run that ended, resume one that runs."""

    title = "Run state conflict"


class RegistryError(OntolabError):
    """A registry change that conflicts with what the registry holds."""

    status = 409
    title = "Registry conflict"


class RegistryInputError(OntolabError):
    """A registry request naming something malformed (a model, alias or version)."""

    status = 400
    title = "Invalid registry request"


class PromotionRefused(RegistryError):
    """The promotion gate refused to point an alias at a version; ``compared`` says why."""

    title = "Promotion refused"

    def __init__(self, message: str, compared: dict[str, Any] | None = None) -> None:
        self.compared = compared
        super().__init__(message)

    def to_problem(self) -> dict[str, Any]:
        problem = super().to_problem()
        if self.compared is not None:
            problem["compared"] = self.compared
        return problem


class ServingInputError(OntolabError):
    """A prediction request whose rows do not match the model's training schema."""

    status = 400
    title = "Invalid prediction input"

    def __init__(self, message: str, field: str | None = None, row: int | None = None) -> None:
        self.field = field
        self.row = row
        super().__init__(message)

    def to_problem(self) -> dict[str, Any]:
        problem = super().to_problem()
        if self.field is not None:
            problem["field"] = self.field
        if self.row is not None:
            problem["row"] = self.row
        return problem


# --- Request guards (server/http_guard.py) ------------------------------------------------


class RequestTooLarge(OntolabError):
    """A request body over the limit of its route."""

    status = 413
    title = "Request body too large"


class JsonTooDeep(OntolabError):
    """A JSON body nested deeper than ``ONTOLAB_MAX_JSON_DEPTH``."""

    status = 400
    title = "JSON nested too deeply"


class HostNotAllowed(OntolabError):
    """A request whose ``Host`` is not a name this server answers to (DNS rebinding)."""

    status = 400
    title = "Host not allowed"


class CrossSiteRequest(OntolabError):
    """A browser's write request sent by a page of another site."""

    status = 403
    title = "Cross-site request refused"


class TooManyStreams(OntolabError):
    """More live event streams than ``ONTOLAB_MAX_EVENT_STREAMS``."""

    status = 503
    title = "Too many event streams"


# Client queries (graph/query_guard.py) and artifacts read back (tracking/artifacts.py).
#: The Retry-After of a 503 for a busy query slot, in seconds.
RETRY_AFTER = 5


class CorruptArtifact(OntolabError):
    """A stored file whose bytes no longer match its checksum.

    410 Gone rather than a 5xx: the platform held these bytes and no longer can serve them,
    and retrying will not help until someone stores the true bytes again (a 5xx invites
    retries). The answer is marked ``no-store`` so no cache keeps it past a repair.
    """

    status = 410
    title = "Corrupt artifact"


class ModelArtifactError(OntolabError):
    """A registered model's stored artifact that cannot serve: it cannot be unpickled (written
    by other library versions, or not a pickle at all) or is not a fitted Ontolab model bundle.

    500 rather than a 4xx: the request was fine and the model exists (so not a 404); the
    platform's own stored artifact is unusable, which only rebuilding the model repairs. Bytes
    that no longer match their checksum are ``CorruptArtifact`` (410) instead.
    """

    status = 500
    title = "Model artifact unusable"


class ServiceRefusedError(QueryError):
    title = "SERVICE not allowed"


class QueryBusyError(OntolabError):
    """Every query slot is taken; ``headers`` carries the ``Retry-After`` to send."""

    status = 503
    title = "Too many queries running"
    headers = {"Retry-After": str(RETRY_AFTER)}


class QueryTimeoutError(OntolabError):
    """A client query ran past its time limit. 504: the platform stopped waiting for the
    query engine (its own, or a remote store) on the client's behalf; sending the same query
    again will not help, a cheaper one will."""

    status = 504
    title = "Query time limit reached"


class QueryTooLargeError(OntolabError):
    """A client query's answer grew past the size cap (the answer is built in memory)."""

    status = 400
    title = "Query result too large"


# Moved from the modules that raise them, so every error class lives here.


class BadRequest(OntolabError):
    """A request the API cannot read: a missing field, a value of the wrong kind."""

    status = 400
    title = "Bad request"


class DeploymentUnreachable(OntolabError):
    """A deployment's model server did not answer the platform's proxied request."""

    status = 502
    title = "Deployment unreachable"


class ReadOnlyError(OntolabError):
    """A SPARQL update sent to the read-only endpoint."""

    status = 403
    title = "Read-only endpoint"


class UnsupportedMediaTypeError(OntolabError):
    """A request body in a media type the endpoint does not read."""

    status = 415
    title = "Unsupported media type"


class DatasetError(OntolabError):
    """An upload or a dataset name the platform does not accept."""

    status = 400
    title = "Dataset not accepted"


class UploadTooLarge(DatasetError):
    """An upload over the configured size limit."""

    status = 413
    title = "Upload too large"


class DeploymentError(OntolabError):
    """A deployment that could not be started or stopped."""

    status = 500
    title = "Deployment failed"


# The OWL check (definitions/reasoning.py): `ontolab validate --reason`, ?reason=true.
class ReasoningError(OntolabError):
    """The OWL reasoner could not give an answer; the definition itself may be fine."""

    status = 503
    title = "OWL reasoner unavailable"


class ReasonerTimeout(ReasoningError):
    """The reasoner ran past its time limit and was stopped (504, as a client query's limit)."""

    status = 504
    title = "OWL reasoner time limit reached"


class ReasonerFailed(ReasoningError):
    """HermiT refused what it was given (e.g. a literal it cannot read): the client's input."""

    status = 422
    title = "OWL reasoner failed"


class DefinitionContradiction(OntolabError):
    """The OWL reasoner found the ontology plus the definition inconsistent, or classes in it
    unsatisfiable. 422: the definition is well-formed (SHACL passed) but means something
    impossible."""

    status = 422
    title = "Definition contradicts the ontology"

    def __init__(
        self, message: str, nodes: list[str], unsatisfiable: list[str], inconsistent: bool
    ) -> None:
        self.nodes = nodes
        self.unsatisfiable = unsatisfiable
        self.inconsistent = inconsistent
        super().__init__(message)

    def to_problem(self) -> dict[str, Any]:
        problem = super().to_problem()
        problem["consistent"] = not self.inconsistent
        problem["inconsistent_nodes"] = self.nodes
        problem["unsatisfiable_classes"] = self.unsatisfiable
        return problem


class CodeBundleError(OntolabError):
    """A code bundle sent with a definition is not a safe, readable zip (absolute paths,
    ``..``, symbolic links, too many or too large files), or a code step has none."""

    status = 400
    title = "Invalid code bundle"


class ExportError(OntolabError):
    """A run the platform cannot export as standalone code (``ontolab export``), or a target
    folder the export must not overwrite."""

    status = 409
    title = "Export refused"


class TrackedRunEnded(RunStateConflict):
    """Logging to a tracked run that ended (``server.runs.tracked``)."""

    title = "Run ended"


class TrackingInputError(OntolabError):
    """Data a tracked run cannot take: a metric that is not a number, a param re-logged with
    another value, an artifact path that is absolute or climbs out with ``..``, a model that
    is not a fitted scikit-learn estimator."""

    status = 400
    title = "Tracking data not accepted"


# The MLflow-compatible tracking API (server/interop/mlflow_api, server/api/mlflow.py). Its
# answers use MLflow's error shape {"error_code", "message"} so MLflow's client raises an
# MlflowException carrying the message; ``error_code`` is MLflow's name for the error.
class MlflowApiError(OntolabError):
    """An MLflow REST call the compatibility layer refuses."""

    status = 400
    title = "MLflow API error"
    error_code = "INVALID_PARAMETER_VALUE"


class SearchSyntaxError(MlflowApiError):
    """An MLflow ``filter_string`` or ``order_by`` that does not parse (MLflow's 400)."""

    title = "Invalid MLflow search"


class MlflowNotFound(MlflowApiError):
    """An MLflow experiment, run or artifact that does not exist."""

    status = 404
    title = "MLflow resource not found"
    error_code = "RESOURCE_DOES_NOT_EXIST"


class MlflowAlreadyExists(MlflowApiError):
    """An MLflow experiment name that is taken (MLflow answers 400 RESOURCE_ALREADY_EXISTS)."""

    title = "MLflow resource already exists"
    error_code = "RESOURCE_ALREADY_EXISTS"


class MlflowNotSupported(MlflowApiError):
    """An MLflow call Ontolab's compatibility layer does not implement (501)."""

    status = 501
    title = "MLflow call not supported"
    error_code = "NOT_IMPLEMENTED"


class MlflowEndpointNotFound(MlflowApiError):
    """A path under MLflow's API prefixes that is no MLflow call at all."""

    status = 404
    title = "MLflow endpoint not found"
    error_code = "ENDPOINT_NOT_FOUND"


class MlflowMethodNotAllowed(MlflowApiError):
    """A method an MLflow call is not served with (405 with ``Allow``)."""

    status = 405
    title = "MLflow call not served with this method"
    error_code = "ENDPOINT_NOT_FOUND"

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.headers = {"Allow": ", ".join(sorted(allowed))}


# The prediction log and feedback (server/monitoring/prediction_log.py, feedback.py).
class FeedbackError(OntolabError):
    """Feedback the platform cannot take: a malformed body, or a label of the wrong type for
    the served model's task (or not one of its classes). Nothing of the request is recorded."""

    status = 400
    title = "Invalid feedback"


class UnknownRequestId(NotFoundError):
    """Feedback names request ids no logged prediction of the deployment has. Nothing of the
    request is recorded."""

    title = "Unknown request id"

    def __init__(self, message: str, request_ids: list[str]) -> None:
        self.request_ids = request_ids
        super().__init__(message)

    def to_problem(self) -> dict[str, Any]:
        problem = super().to_problem()
        problem["request_ids"] = self.request_ids
        return problem


# --- Drift monitoring (server/monitoring) ---------------------------------------------------


class ReferenceProfileMissing(NotFoundError):
    """A model version built before builds stored a reference profile (or whose profile
    artifact is gone): drift has nothing to compare against."""

    title = "No reference profile"


class DriftInputError(OntolabError):
    """A drift window or threshold that cannot be evaluated (no rows, missing feature columns,
    a threshold out of range)."""

    status = 400
    title = "Invalid drift input"


class MlflowImportError(OntolabError):
    """An MLflow store ``ontolab import mlflow`` cannot read: not one of the three kinds it
    knows, a corrupt ``mlflow.db``, or an artifact path that escapes the source."""

    status = 400
    title = "MLflow import refused"


# --- Triggers (server/automation) ------------------------------------------------------------


class TriggerError(DefinitionError):
    """A trigger the platform cannot take: an unknown kind, a malformed cron expression or time
    zone, a threshold on a metric the experiment's task does not have, a value its SHACL shape
    refuses (listed in ``violations``). Nothing is stored."""

    title = "Invalid trigger"


class WindowError(OntolabError):
    """A monitoring window the platform cannot read: not ``last:N``, ``since:TIME`` or
    ``duration:D``, or out of range. Nothing is evaluated."""

    status = 400
    title = "Invalid monitoring window"


class AuthRequired(OntolabError):
    """No valid credentials on a route that needs them (401)."""

    status = 401
    title = "Authentication required"
    headers = {"WWW-Authenticate": 'Bearer realm="ontolab"'}


class PermissionDenied(OntolabError):
    """Valid credentials whose roles do not reach what the route needs (403)."""

    status = 403
    title = "Permission denied"


class SignInBusy(OntolabError):
    """As many password checks as the server runs at once are running (503)."""

    status = 503
    title = "Too many sign-ins at once"
    headers = {"Retry-After": "1"}


class AccountError(OntolabError):
    """A user, group, grant or token that cannot be made as asked (400)."""

    status = 400
    title = "Invalid account request"


class DeploymentRunning(OntolabError):
    """Removing a deployment that is not stopped (409): stop it first."""

    status = 409
    title = "Deployment is running"


class AccountConflict(AccountError):
    """An account change that clashes with what is there: a user name already taken, or a
    change that would leave no enabled global admin (409; nothing is changed)."""

    status = 409
    title = "Account change refused"
