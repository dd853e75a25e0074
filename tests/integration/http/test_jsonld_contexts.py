"""Issue 16, JSON-LD contexts: a definition never makes the server fetch or read a context.

Before, a remote ``@context`` was fetched over HTTP (with no timeout) and a ``file://`` one
was read from disk; now both are refused (400) with no request made, while inline contexts
and the Ontolab context shipped with the ontology still work.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from ontology import CONTEXT_IRI

JSON_LD = {"Content-Type": "application/ld+json"}
BASE = "https://w3id.org/ontolab/examples/diabetes"


class ContextServer:
    """A loopback HTTP server that serves the diabetes context and records every request."""

    def __init__(self, context: dict[str, Any]) -> None:
        self.requests: list[str] = []
        body = json.dumps({"@context": context}).encode()
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/ctx.jsonld"


@pytest.fixture
def diabetes(examples: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((examples / "diabetes.jsonld").read_text())
    return document


@pytest.fixture
def context_server(diabetes: dict[str, Any]) -> Iterator[ContextServer]:
    server = ContextServer(diabetes["@context"])
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    thread.join(10)


def with_context(document: dict[str, Any], context: Any) -> str:
    """The document with ``context`` in place of its own; ids made absolute (no @base)."""
    text = json.dumps({**document, "@context": context})
    return text.replace('"#', f'"{BASE}#')


def post(server: Any, route: str, text: str) -> requests.Response:
    return requests.post(server(route), data=text, headers=JSON_LD, timeout=30)


def test_a_remote_context_is_refused_and_never_fetched(
    live_server: Any, diabetes: dict[str, Any], context_server: ContextServer
) -> None:
    text = with_context(diabetes, context_server.url)
    for route in ("/api/experiments/validate", "/api/experiments"):
        reply = post(live_server, route, text)
        assert reply.status_code == 400, reply.text
        detail = reply.json()["detail"]
        assert context_server.url in detail and "never fetches" in detail
        assert CONTEXT_IRI in detail
    assert context_server.requests == []
    assert requests.get(live_server("/api/experiments"), timeout=10).json()["experiments"] == []


def test_a_file_context_is_refused_and_never_read(
    live_server: Any, diabetes: dict[str, Any], tmp_path: Path
) -> None:
    context_file = tmp_path / "ctx.jsonld"
    context_file.write_text(json.dumps({"@context": diabetes["@context"]}))
    reply = post(live_server, "/api/experiments", with_context(diabetes, context_file.as_uri()))
    assert reply.status_code == 400, reply.text
    assert context_file.as_uri() in reply.json()["detail"]
    assert requests.get(live_server("/api/experiments"), timeout=10).json()["experiments"] == []


def test_an_import_or_a_scoped_remote_context_is_refused_too(
    live_server: Any, diabetes: dict[str, Any], context_server: ContextServer
) -> None:
    imported = {**diabetes["@context"], "@version": 1.1, "@import": context_server.url}
    scoped = {
        **diabetes["@context"],
        "@version": 1.1,
        "hasStep": {"@id": "ol:hasStep", "@type": "@id", "@context": context_server.url},
    }
    listed = [diabetes["@context"], context_server.url]
    for context in (imported, scoped, listed):
        reply = post(live_server, "/api/experiments/validate", with_context(diabetes, context))
        assert reply.status_code == 400, reply.text
        assert context_server.url in reply.json()["detail"]
    assert context_server.requests == []


def test_the_shipped_ontolab_context_works_offline(
    live_server: Any, diabetes: dict[str, Any], context_server: ContextServer
) -> None:
    by_iri = with_context(diabetes, CONTEXT_IRI)
    reply = post(live_server, "/api/experiments", by_iri)
    assert reply.status_code == 201, reply.text
    assert reply.json()["identifier"] == "diabetes"
    inline = post(live_server, "/api/experiments", with_context(diabetes, diabetes["@context"]))
    assert inline.status_code == 200, "the same graph as with the shipped context"
    assert inline.json()["created_new_version"] is False
    assert context_server.requests == []
