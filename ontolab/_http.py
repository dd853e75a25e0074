"""The one HTTP session of a client: retries, timeouts, and problem JSON turned into errors.

Retries (urllib3 ``Retry``): connection errors on any method (the request never left, so a
POST is safe to resend), read errors and 502/503 answers on idempotent methods only, with
exponential backoff and ``Retry-After`` honoured. Every call has a timeout.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from ontolab import __version__
from ontolab.errors import ApiError, PlatformUnreachable, RequestTimeout, error_class

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
Timeout = float | tuple[float, float]


def make_session(retries: int, backoff: float, token: str | None) -> requests.Session:
    """A session whose adapters retry as the module docstring says."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        status_forcelist=(502, 503),
        allowed_methods=IDEMPOTENT,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer becomes an ApiError with the server's detail
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = f"ontolab-sdk/{__version__}"
    token = token or os.environ.get("ONTOLAB_TOKEN")  # a platform with auth on needs one
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


class Transport:
    """Sends requests to one platform and turns error answers into ``ApiError``s."""

    def __init__(
        self, url: str, *, token: str | None, timeout: Timeout, retries: int, backoff: float
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.session = make_session(retries, backoff, token)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """The answer to ``method path`` (a path under the platform, or an absolute URL).

        Raises:
            ApiError: (a subclass by status) when the platform answers 4xx or 5xx.
            PlatformUnreachable: when no answer came after the retries.
        """
        url = path if path.startswith(("http://", "https://")) else self.url + path
        try:
            answer = self.session.request(
                method,
                url,
                params=_clean(params),
                json=json,
                data=data,
                files=files,
                headers=dict(headers or {}),
                timeout=timeout if timeout is not None else self.timeout,
                stream=stream,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            if _timed_out(exc):
                raise RequestTimeout(
                    f"the Ontolab platform at {url} ({method}) did not answer within "
                    f"{timeout if timeout is not None else self.timeout} s; pass a longer "
                    "timeout (Client(timeout=...) or the call's timeout=...)"
                ) from exc
            raise PlatformUnreachable(
                f"no answer from the Ontolab platform at {url} ({method}) after "
                f"{self.retries + 1} attempt(s): {_reason(exc)}; start it (./execute.sh) or "
                "check the client's url"
            ) from exc
        if answer.status_code >= 400:
            raise problem_error(answer)
        return answer

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of the answer to ``method path``."""
        return self.request(method, path, **kwargs).json()

    def close(self) -> None:
        self.session.close()


def problem_error(answer: requests.Response) -> ApiError:
    """The ``ApiError`` an error answer stands for, from its problem JSON when it has one."""
    problem: dict[str, Any] = {}
    try:
        body = answer.json()
        if isinstance(body, dict):
            problem = body
    except ValueError:
        pass
    title = str(problem.get("title") or answer.reason or "HTTP error")
    detail = str(problem.get("detail") or answer.text.strip()[:500] or title)
    method = (answer.request.method or "") if answer.request is not None else ""
    cls = error_class(answer.status_code)
    return cls(answer.status_code, title, detail, problem=problem, method=method, url=answer.url)


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # None means "not given": never send "?limit=None".
    if params is None:
        return None
    return {k: _param(v) for k, v in params.items() if v is not None}


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _reason(exc: Exception) -> str:
    # urllib3 nests the cause (MaxRetryError → NewConnectionError → ConnectionRefusedError).
    cause: BaseException | None = exc
    while cause is not None and cause.__cause__ is not None:
        cause = cause.__cause__
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return str(reason or cause or exc)


def segment(text: str | int) -> str:
    """``text`` escaped as one path segment (a ``/`` in a name never changes the route)."""
    return quote(str(text), safe="")


def _timed_out(exc: Exception) -> bool:
    # After the retries of an idempotent call, requests wraps the read timeout in a
    # ConnectionError(MaxRetryError(reason=ReadTimeoutError)).
    if isinstance(exc, requests.ReadTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ReadTimeoutError)
