"""Live events: Server-Sent Events of run and step state changes, for every run or one."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, current_app, request, stream_with_context

from server.api.common import get_platform, problem_response
from server.runs.service import RunEvent

blueprint = Blueprint("events", __name__)
HEARTBEAT_SECONDS = 5.0  # a comment line, so proxies and clients see the stream alive
POLL_SECONDS = 1.0  # how often a stream checks that its client is still there


@blueprint.get("/api/events")
def events() -> Response:
    """Server-Sent Events: every run and step state change, optionally for one run.

    The stream borrows a server thread of its own (``server.http_server.StreamThreads``), so
    open streams never hold up other requests, and ends within a second of its client leaving.
    """
    runs = get_platform().runs
    only = request.args.get("run")
    streams = current_app.extensions["ontolab.streams"]
    release = streams.open()  # a 503 past the limit
    client_gone = request.environ.get("waitress.client_disconnected", lambda: False)
    inbox: queue.Queue[RunEvent] = queue.Queue()

    def listener(event: RunEvent) -> None:
        if only is None or event.run_id == only:
            inbox.put(event)

    def stream() -> Iterator[str]:
        runs.add_listener(listener)
        try:
            yield ": connected\n\n"
            quiet = 0.0
            while not (client_gone() or streams.stopping.is_set()):
                try:
                    event = inbox.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    quiet += POLL_SECONDS
                    if quiet >= HEARTBEAT_SECONDS:
                        quiet = 0.0
                        yield ": heartbeat\n\n"
                    continue
                kind = "run" if event.step_id is None else "step"
                yield f"event: {kind}\ndata: {json.dumps(asdict(event))}\n\n"
        finally:
            runs.remove_listener(listener)

    response = Response(stream_with_context(stream()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.call_on_close(release)  # also when the body is never iterated
    return response


OPENAPI: dict[str, Any] = {
    "/api/events": {
        "get": {
            "summary": "Server-Sent Events of run and step state changes",
            "parameters": [{"name": "run", "in": "query", "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "an endless stream: `: connected`, then run and step events "
                    "and heartbeats",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "503": problem_response("problem JSON: ONTOLAB_MAX_EVENT_STREAMS are open"),
            },
        }
    },
}
