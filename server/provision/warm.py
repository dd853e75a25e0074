"""The client of a warm parent: ``python -m MODULE`` speaking :mod:`executor.forking`'s protocol.

``server.provision.local`` forks its steps through ``executor.warm`` and
``serving.deployments`` its model servers through ``serving.model_warm``; both start the
parent, send it requests and follow their children through a :class:`WarmParent`.

Thread-safety: every method of :class:`WarmParent` and :class:`WarmChild` may be called from
any thread.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def single_threaded_blas(environ: Mapping[str, str]) -> dict[str, str]:
    """A warm parent's environment: one BLAS thread per child unless the user chose otherwise.

    A BLAS thread pool does not survive fork: a forked child that calls into a multi-threaded
    OpenBLAS runs ~10-40x slower (LogisticRegression on breast_cancer: 150 ms instead of 8 ms).
    Children already run in parallel with each other.
    """
    env = dict(environ)
    for name in BLAS_THREAD_VARIABLES:
        env.setdefault(name, "1")
    return env


class WarmChild:
    """A child forked by the warm parent; its exit arrives over the parent's pipe.

    ``reply`` holds the start reply's other fields (a model server's ``port``). ``exit_code``
    stays None until ``exited`` is set, and after it too when the warm parent died first.
    """

    def __init__(self, pid: int, reply: dict[str, Any]) -> None:
        self.pid = pid
        self.reply = reply
        self.exited = threading.Event()
        self.exit_code: int | None = None

    def wait(self, timeout: float | None) -> int | None:
        """The exit code, or None if the child still runs after ``timeout`` seconds.

        A child whose warm parent died counts as killed (``-SIGKILL``).
        """
        if not self.exited.wait(timeout):
            return None
        return -signal.SIGKILL if self.exit_code is None else self.exit_code

    def kill(self) -> None:
        """Send SIGKILL unless the child has already ended; do not wait for it."""
        self._signal(signal.SIGKILL)

    def stop(self, sig: signal.Signals, timeout: float) -> None:
        """Signal the child and wait until its parent has reaped it (the pid is gone).

        A child still running ``timeout`` seconds after a softer signal gets SIGKILL.
        """
        if self._signal(sig) and not self.exited.wait(timeout) and sig != signal.SIGKILL:
            self.stop(signal.SIGKILL, timeout)

    def _signal(self, sig: signal.Signals) -> bool:
        if self.exited.is_set():
            return False
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            return False  # it ended on its own meanwhile
        return True


class WarmParent:
    """Starts ``python -m MODULE`` and talks to it over its stdin/stdout (JSON lines).

    Args:
        module: the warm parent's module, e.g. ``"executor.warm"``.
        name: what it forks, for messages: ``"the warm {name} parent is gone"``.
        error: the error type every failure is raised as (called with the message).
        gone_hint: appended to the message when the parent cannot be written to.
        refused_hint: appended to the parent's own message when a child cannot start.
    """

    def __init__(
        self,
        module: str,
        name: str,
        error: Callable[[str], Exception],
        gone_hint: str = "",
        refused_hint: str = "",
    ) -> None:
        self._name = name
        self._error = error
        self._gone_hint = f"; {gone_hint}" if gone_hint else ""
        self._refused_hint = f"; {refused_hint}" if refused_hint else ""
        self._write_lock = threading.Lock()  # one request on the pipe at a time
        self._lock = threading.Lock()  # guards the tables below
        self._next_id = 0
        self._pending: dict[int, tuple[threading.Event, dict[str, Any]]] = {}
        self._children: dict[int, WarmChild] = {}
        self._exited = False
        self._process = subprocess.Popen(
            [sys.executable, "-m", module],
            env=single_threaded_blas(os.environ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None:
            raise error(f"cannot talk to the warm {name} parent: its pipes did not open")
        self._stdin: IO[str] = stdin
        self._reader = threading.Thread(target=self._read, args=(stdout,), daemon=True)
        self._reader.start()

    def alive(self) -> bool:
        """Whether the parent process still runs."""
        return self._process.poll() is None

    def start(self, request: dict[str, Any], timeout: float | None = None) -> WarmChild:
        """Ask the parent to fork a child for ``request`` (without ``id``) and return it.

        Raises:
            The ``error`` type: the parent is gone, did not answer within ``timeout``
            seconds, or could not start the child.
        """
        ready = threading.Event()
        reply: dict[str, Any] = {}
        with self._write_lock:
            with self._lock:
                request_id = self._next_id
                self._next_id += 1
                self._pending[request_id] = (ready, reply)
                if self._exited:
                    self._fail_pending()
            try:
                self._stdin.write(json.dumps({"id": request_id, **request}) + "\n")
                self._stdin.flush()
            except (OSError, ValueError) as exc:
                message = f"the warm {self._name} parent is gone ({exc}){self._gone_hint}"
                raise self._error(message) from exc
        if not ready.wait(timeout):
            raise self._error(f"the warm {self._name} parent did not answer within {timeout:g} s")
        if "error" in reply:
            raise self._error(f"{reply['error']}{self._refused_hint}")
        child: WarmChild = reply["child"]
        return child

    def close(self, timeout: float = 5.0) -> None:
        """Stop the parent; at once (it may still be importing) when no child of it runs.

        With children still running, the parent gets ``timeout`` seconds to kill them itself.
        """
        with self._write_lock:
            try:
                self._stdin.close()
            except OSError:
                pass
        with self._lock:
            running = any(not child.exited.is_set() for child in self._children.values())
        if not running:
            self._process.kill()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout)

    def _read(self, stdout: IO[str]) -> None:
        with stdout:
            for line in stdout:
                self._dispatch(json.loads(line))
        with self._lock:  # the parent is gone: unblock everyone waiting on it
            self._exited = True
            for child in self._children.values():
                child.exited.set()
            self._children.clear()
            self._fail_pending()

    def _fail_pending(self) -> None:
        for ready, reply in self._pending.values():
            reply.setdefault("error", f"the warm {self._name} parent exited")
            ready.set()
        self._pending.clear()

    def _dispatch(self, message: dict[str, Any]) -> None:
        request_id = message.pop("id")
        with self._lock:
            if "exit" in message:
                ended = self._children.pop(request_id, None)
                if ended is not None:
                    ended.exit_code = int(message["exit"])
                    ended.exited.set()
                return
            if request_id not in self._pending:
                return
            ready, reply = self._pending.pop(request_id)
            if "pid" in message:
                child = WarmChild(int(message.pop("pid")), message)
                self._children[request_id] = reply["child"] = child
            else:
                reply.update(message)
            ready.set()
