"""Checks every HTTP request gets before an app reads it: Host, Origin, body size, JSON depth.

Shared by the platform (a ``before_request`` hook of the Flask app) and a deployment's model
server (its WSGI callable), both calling :meth:`RequestPolicy.check`, so both refuse the same
requests the same way. Framework-free on purpose: the model server imports no Flask.

- ``Host`` must be a name this server answers to: the loopback names, the bound address,
  the host of ``ONTOLAB_PLATFORM_URL`` and ``ONTOLAB_ALLOWED_HOSTS`` (``*`` turns the check
  off); bound to a wildcard address, any IP literal too. A page using DNS rebinding reaches
  the server under its own domain name, so it is refused.
- Unsafe methods (POST, PUT, PATCH, DELETE) from a browser page of another origin are
  refused: the ``Origin`` header (or, lacking it, ``Sec-Fetch-Site: cross-site``) decides.
  Clients that send neither (scripts, curl, the executor) are not browsers and pass.
- A body over its route's limit is refused from its ``Content-Length`` before a byte is read
  (waitress de-chunks a chunked body and sets the header, and caps every body at the largest
  limit); a stream without a length is capped while it is read.
- JSON nested deeper than the limit is refused by :func:`check_json_depth` before the
  recursive parser sees it (Flask's JSON provider in ``server.app``; :func:`loads_json`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

from server.errors import CrossSiteRequest, HostNotAllowed, JsonTooDeep, RequestTooLarge
from server.settings import Settings

MB = 1024 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::"})

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_AS_PARENS = bytes.maketrans(b"[]{}", b"()()")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class BodyLimit:
    """How large a body a route accepts, and the setting that raises it."""

    mb: float
    setting: str
    slack_mb: float = 0.0  # accepted beyond ``mb`` when the route checks ``mb`` exactly itself

    @property
    def max_bytes(self) -> int:
        return int((self.mb + self.slack_mb) * MB)

    def refuse(self, size: int | None) -> RequestTooLarge:
        """The 413 for a body of ``size`` bytes (None: found while reading)."""
        shown = f"{size / MB:.1f} MB" if size is not None else "larger than that"
        return RequestTooLarge(
            f"the request body is {shown}; this route accepts at most {self.mb:g} MB; "
            f"send less (split the request) or raise {self.setting}"
        )


@dataclass(frozen=True)
class RequestPolicy:
    """What a server accepts. Thread-safe: immutable."""

    hosts: frozenset[str]
    configured_hosts: frozenset[str]
    any_host: bool
    any_ip_host: bool
    routes: tuple[tuple[str, re.Pattern[str], BodyLimit], ...]
    default_limit: BodyLimit
    max_json_depth: int

    @classmethod
    def build(
        cls,
        settings: Settings,
        bound_host: str,
        routes: Iterable[tuple[str, str, BodyLimit]] = (),
    ) -> RequestPolicy:
        """The policy of a server bound to ``bound_host``; ``routes``: (method, regex, limit)."""
        configured = frozenset(settings.allowed_host_names) - {"*"}
        hosts = set(LOOPBACK_NAMES) | configured
        bound = bound_host.strip("[]").lower()
        if bound not in WILDCARD_ADDRESSES:
            hosts.add(bound)
        if settings.platform_url:
            hosts.add((urlsplit(settings.platform_url).hostname or "").lower())
        return cls(
            hosts=frozenset(hosts - {""}),
            configured_hosts=configured,
            any_host="*" in settings.allowed_host_names,
            any_ip_host=bound in WILDCARD_ADDRESSES,
            routes=tuple((m, re.compile(p), limit) for m, p, limit in routes),
            default_limit=BodyLimit(settings.max_request_mb, "ONTOLAB_MAX_REQUEST_MB"),
            max_json_depth=settings.max_json_depth,
        )

    def limit_for(self, method: str, path: str) -> BodyLimit:
        """The body limit of one route (the default one unless a route rule matches)."""
        for rule_method, pattern, limit in self.routes:
            if method == rule_method and pattern.fullmatch(path):
                return limit
        return self.default_limit

    @property
    def largest_body(self) -> int:
        """The largest body any route accepts, in bytes (for the HTTP server's own cap)."""
        limits = [self.default_limit, *(limit for _, _, limit in self.routes)]
        return max(limit.max_bytes for limit in limits)

    def check(self, environ: dict[str, Any]) -> BodyLimit:
        """Refuse a request that fails a guard (an OntolabError); else the body's limit."""
        self.check_host(environ.get("HTTP_HOST"))
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        if method not in SAFE_METHODS:
            self.check_origin(method, environ)
        limit = self.limit_for(method, environ.get("PATH_INFO") or "/")
        length = _content_length(environ)
        if length is not None and length > limit.max_bytes:
            raise limit.refuse(length)
        if length is None and environ.get("wsgi.input_terminated"):
            environ["wsgi.input"] = CappedInput(environ["wsgi.input"], limit)
        return limit

    def check_host(self, header: str | None) -> None:
        """Refuse a ``Host`` this server does not answer to; no header (HTTP/1.0) passes."""
        if header is None or self.any_host:
            return
        name = host_name(header)
        if name in self.hosts or (self.any_ip_host and _is_ip(name)):
            return
        known = ", ".join(sorted(self.hosts))
        raise HostNotAllowed(
            f"Host {header!r} is not a name this server answers to ({known}); reach it by "
            "one of those, or add the name to ONTOLAB_ALLOWED_HOSTS"
        )

    def check_origin(self, method: str, environ: dict[str, Any]) -> None:
        """Refuse an unsafe request that a browser sent from another site's page."""
        origin = environ.get("HTTP_ORIGIN")
        host = str(environ.get("HTTP_HOST") or "").lower()
        if origin is None:
            if environ.get("HTTP_SEC_FETCH_SITE", "").lower() != "cross-site":
                return
            source = "a page of another site (Sec-Fetch-Site: cross-site)"
        else:
            parts = urlsplit(origin.strip().lower())
            if parts.netloc == host or (parts.hostname or "") in self.configured_hosts:
                return
            source = f"a page of {origin}"
        raise CrossSiteRequest(
            f"{method} refused: it was sent by {source}, not by this server's own pages "
            f"(http://{host}); use the Ontolab UI or a client without an Origin header "
            "(curl, scripts), or add the page's host to ONTOLAB_ALLOWED_HOSTS"
        )


class CappedInput:
    """A body stream without a length, refused once more than its limit has been read."""

    def __init__(self, stream: IO[bytes], limit: BodyLimit) -> None:
        self._stream = stream
        self._limit = limit
        self._read = 0

    def _count(self, data: bytes) -> bytes:
        self._read += len(data)
        if self._read > self._limit.max_bytes:
            raise self._limit.refuse(None)
        return data

    def read(self, size: int = -1) -> bytes:
        return self._count(self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self._stream.readline(size))

    def __iter__(self) -> CappedInput:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


_GUARD_RESPONSES = {
    "400": "problem JSON: a foreign Host, or JSON nested deeper than ONTOLAB_MAX_JSON_DEPTH",
    "403": "problem JSON: a write sent by a page of another site (Origin)",
    "413": "problem JSON: the body is over the route's limit (the detail names the setting)",
}


def add_guard_responses(paths: dict[str, Any], content: dict[str, Any]) -> None:
    """Declare in an OpenAPI ``paths`` object what the guards may answer on each operation.

    Args:
        paths: The document's ``paths``; changed in place.
        content: The ``content`` of a problem response (the shared Problem schema).
    """
    for operations in paths.values():
        for method, operation in operations.items():
            wanted = ["400"] if method.upper() in SAFE_METHODS else list(_GUARD_RESPONSES)
            responses = operation.setdefault("responses", {})
            for status in wanted:
                responses.setdefault(
                    status, {"description": _GUARD_RESPONSES[status], "content": content}
                )


def loads_json(raw: str | bytes, max_depth: int) -> Any:
    """``json.loads`` after refusing nesting deeper than ``max_depth`` (a 400 naming it).

    Raises:
        JsonTooDeep: the document nests deeper than ``max_depth``.
        ValueError: it is not JSON (as ``json.loads`` would).
    """
    check_json_depth(raw, max_depth)
    try:
        return json.loads(raw)
    except RecursionError:  # an encoding the check cannot read (UTF-16 with escapes)
        raise too_deep(max_depth) from None


def check_json_depth(raw: str | bytes, max_depth: int) -> None:
    """Refuse JSON text nested deeper than ``max_depth`` arrays or objects, without parsing it.

    Everything but brackets and quotes is dropped and the strings are cut out (their brackets
    do not nest), all at C speed; a running sum over the brackets left decides. A 10 MB body
    takes a fraction of what parsing it takes.
    """
    if _depth_over(raw, max_depth):
        raise too_deep(max_depth)


def too_deep(max_depth: int) -> JsonTooDeep:
    """The 400 for a JSON body nested deeper than ``max_depth``."""
    return JsonTooDeep(
        f"the JSON body nests arrays or objects deeper than {max_depth} levels; "
        "flatten it, or raise ONTOLAB_MAX_JSON_DEPTH"
    )


def _depth_over(raw: str | bytes, limit: int) -> bool:
    data = raw.encode("utf-8", "ignore") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    # An escaped quote or backslash never ends a string: without them every '"' is a boundary.
    kept = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    kept = kept.replace(b'""', b"")  # strings holding no bracket (nearly all), or two adjoining
    if b'"' in kept:
        kept = b"".join(kept.split(b'"')[::2])  # what is left outside the strings
    return _deeper_than(kept.translate(_AS_PARENS), limit)


def _deeper_than(parens: bytes, limit: int) -> bool:
    """Whether a run of ``(`` and ``)`` nests deeper than ``limit``: a running sum, in chunks."""
    if b"(" * (limit + 1) in parens:
        return True
    import numpy as np  # here: only bodies with many brackets need it

    depth = 0
    for start in range(0, len(parens), _CHUNK):
        chunk = np.frombuffer(parens, np.uint8, min(_CHUNK, len(parens) - start), start)
        levels = np.cumsum(81 - 2 * chunk.astype(np.int32)) + depth  # "(" is 40, ")" is 41
        if levels.max() > limit:
            return True
        depth = int(levels[-1])
    return False


def host_name(header: str) -> str:
    """The name in a ``Host`` header, lower case, without port or IPv6 brackets."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _content_length(environ: dict[str, Any]) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
