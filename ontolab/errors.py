"""What the SDK raises: one base, ``OntolabError``; ``ApiError`` subclasses by HTTP status.

An ``ApiError`` carries the platform's RFC 7807 problem JSON: ``status``, ``title``,
``detail`` (the server's message, which ends with the fix) and the whole ``problem`` (e.g. the
SHACL ``violations`` of a refused definition). ``str()`` reads like the server's message.
"""

from __future__ import annotations

from typing import Any


class OntolabError(Exception):
    """Base of every error the SDK raises."""


class PlatformUnreachable(OntolabError, ConnectionError):
    """No answer from the platform after the retries (refused, reset, or timed out)."""


class RequestTimeout(OntolabError, TimeoutError):
    """The platform took the request but did not answer within the client's timeout."""


class WaitTimeout(OntolabError, TimeoutError):
    """A run was still running when ``runs.wait`` gave up."""


class ApiError(OntolabError):
    """The platform answered with an error status.

    Attributes:
        status: the HTTP status code.
        title: the problem's title (e.g. "Invalid experiment definition").
        detail: the server's message, ending with the fix.
        problem: the whole problem JSON (``violations``, ``compared``, ``field``, ``row``…).
        method: the request's method.
        url: the request's URL.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        problem: dict[str, Any] | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.problem: dict[str, Any] = problem or {}
        self.method = method
        self.url = url
        super().__init__(status, title, detail)

    @property
    def violations(self) -> list[dict[str, Any]]:
        """The SHACL violations of a refused definition (empty for other problems)."""
        return list(self.problem.get("violations") or [])

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"


class BadRequest(ApiError):
    """400: the request (a definition, a filter, a payload) is wrong; the detail says how."""


class Forbidden(ApiError):
    """403: e.g. a SPARQL update sent to the read-only endpoint."""


class NotFound(ApiError):
    """404: no such experiment, run, dataset, model, alias or deployment."""


class MethodNotAllowed(ApiError):
    """405: the route exists but not for this method."""


class Conflict(ApiError):
    """409: the state forbids it (a run that is not running, a promotion the gate refused)."""


class Gone(ApiError):
    """410: an artifact failed its checksum and was quarantined."""


class PayloadTooLarge(ApiError):
    """413: a body over the route's limit; the detail names the setting that raises it."""


class Unprocessable(ApiError):
    """422: e.g. the OWL reasoner found the definition contradicting the ontology."""


class ServerError(ApiError):
    """5xx: the platform failed; the detail says what and, when it can, how to fix it."""


class ServiceUnavailable(ServerError):
    """503: the store is unreachable or the platform is busy; retry later."""


class GatewayTimeout(ServerError):
    """504: a query or a reasoner ran past its time limit."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    410: Gone,
    413: PayloadTooLarge,
    422: Unprocessable,
    503: ServiceUnavailable,
    504: GatewayTimeout,
}


def error_class(status: int) -> type[ApiError]:
    """The ``ApiError`` subclass for an HTTP status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ApiError
