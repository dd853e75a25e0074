"""What the ``ontolab`` command line prints: run progress, warnings, metrics and plain tables."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.runs.service import RunEvent


class ProgressPrinter:
    """Prints a run's events as they come; stops quietly once its output is closed.

    A reader that goes away (``ontolab run … | head -1``) ends the printing, never the run:
    the events come from the run's own threads, so an error here must not travel back.
    """

    def __init__(self, identifier: str, version: int) -> None:
        self._label = f"{identifier} v{version}"
        self._started = time.monotonic()
        self.closed = False

    def __call__(self, event: RunEvent) -> None:
        if self.closed:
            return
        elapsed = f"{time.monotonic() - self._started:6.2f}s"
        if event.step_id is None:
            line = f"[{elapsed}] run {event.run_id} ({self._label}) {event.status}" + (
                f": {event.detail}" if event.detail else ""
            )
        else:
            detail = f"  {event.detail}" if event.detail else ""
            line = f"[{elapsed}]   {event.step_id:<16} {event.status}{detail}"
        try:
            print(line, flush=True)
        except (OSError, ValueError):  # a broken pipe, or stdout closed outright
            self.closed = True


def print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}")


def print_metrics(metrics: list[dict[str, Any]]) -> None:
    if metrics:
        print("metrics:")
        print_table(metrics, ["step_id", "metric", "value"])


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        print("  (none)")
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
