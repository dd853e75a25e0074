"""What both swarm modules do with a replicated-job service (``swarm``, ``swarm_container``):
poll its task to a final state, and remove it. Imports no docker SDK: it is handed services.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: The states a swarm task ends in.
FINAL_STATES = ("complete", "failed", "rejected", "shutdown", "orphaned", "remove")
POLL_SECONDS = 0.3


def wait_for_task(
    service: Any, stopped: Callable[[], bool], deadline: float
) -> dict[str, Any] | None:
    """The job's task once it reached a final state, polled every :data:`POLL_SECONDS`; None
    once ``stopped()`` (the job was killed) or past ``deadline`` (``time.monotonic``)."""
    while not stopped() and time.monotonic() < deadline:
        try:
            tasks = service.tasks()
        except Exception:  # removed meanwhile: ``stopped`` ends the loop
            tasks = []
        done = [t for t in tasks if t.get("Status", {}).get("State") in FINAL_STATES]
        if done:
            return dict(done[0])
        time.sleep(POLL_SECONDS)
    return None


def remove_job(service: Any) -> None:
    """Remove the job's service (its logs go with it); nothing when it is gone or None."""
    if service is None:
        return
    try:
        service.remove()
    except Exception:  # already removed
        pass
