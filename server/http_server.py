"""Serving the platform under waitress: one helper for ``ontolab serve`` and the test fixtures.

A live event stream (``GET /api/events``) holds a waitress thread for as long as it is open,
so each stream borrows one: :class:`StreamThreads` raises the dispatcher's thread count when
a stream opens and lowers it when the stream ends, and the base threads stay free for every
other request, however many streams are open (up to ``ONTOLAB_MAX_EVENT_STREAMS``; past it
a stream is refused with a 503). waitress reads ahead on a busy connection
(``channel_request_lookahead``), which is how a stream learns its client has gone
(``environ["waitress.client_disconnected"]``) within a second.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from server.errors import TooManyStreams

BODY_CAP_MARGIN = 1024 * 1024  # waitress's own cap sits above the route limits: they answer
SPARE_CONNECTIONS = 100  # connections beyond the streams' for ordinary requests


class StreamThreads:
    """Counts open event streams and lends each one a waitress thread of its own.

    Thread-safe. Without a dispatcher attached (Flask's test client) it only counts.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._open = 0
        self._dispatcher: Any = None
        self._base_threads = 0
        self.stopping = threading.Event()  # set: every stream ends at its next check

    def attach(self, dispatcher: Any, base_threads: int) -> None:
        """Lend threads from waitress's ``ThreadedTaskDispatcher`` serving ``base_threads``."""
        with self._lock:
            self._dispatcher, self._base_threads = dispatcher, base_threads

    def stop_all(self) -> None:
        """Ask every open stream to end (the server is stopping); each does within a second."""
        self.stopping.set()

    @property
    def open_count(self) -> int:
        """How many streams are open now."""
        return self._open

    def open(self) -> Callable[[], None]:
        """Borrow a thread for one stream; returns the (idempotent) function that gives it back.

        Raises:
            TooManyStreams: ``limit`` streams are already open.
        """
        with self._lock:
            if self._open >= self.limit:
                raise TooManyStreams(
                    f"{self._open} event streams are open, the most this platform serves; "
                    "close some run views (or poll GET /api/runs/ID), or raise "
                    "ONTOLAB_MAX_EVENT_STREAMS"
                )
            self._open += 1
            self._resize()
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            with self._lock:
                self._open -= 1
                self._resize()

        return release

    def _resize(self) -> None:
        # Once stopping, waitress is taking its threads down: lending more would keep it up.
        if self._dispatcher is not None and not self.stopping.is_set():
            self._dispatcher.set_thread_count(self._base_threads + self._open)


def make_server(
    app: Flask, host: str, port: int, threads: int = 8
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server for ``app`` (from ``server.app.create_app``), not yet running."""
    settings = app.extensions["ontolab"].settings
    streams: StreamThreads = app.extensions["ontolab.streams"]
    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="ontolab",
        channel_request_lookahead=1,  # so a stream sees its client leave
        asyncore_use_poll=True,  # select() stops at 1024 descriptors; streams may be more
        connection_limit=threads + settings.max_event_streams + SPARE_CONNECTIONS,
        max_request_body_size=app.extensions["ontolab.policy"].largest_body + BODY_CAP_MARGIN,
    )
    streams.attach(server.task_dispatcher, threads)
    return server


@contextmanager
def serving_in_thread(app: Flask, host: str = "127.0.0.1", threads: int = 8) -> Iterator[str]:
    """Serve ``app`` on a free port of ``host`` from a background thread; yields its base URL."""
    server = make_server(app, host, 0, threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        app.extensions["ontolab.streams"].stop_all()
        # Close every channel from inside waitress's own loop, so the loop ends by itself:
        # server.close() from this thread races its select() and fails with EBADF.
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:  # the trigger is closed: the loop has ended or ends at its next turn
            wasyncore.close_all(server._map, ignore_all=True)
        thread.join(10)
        server.task_dispatcher.shutdown()
