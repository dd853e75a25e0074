"""The five phases and code steps (``code``: the author's function), by name.

Each module's ``run`` is a :class:`executor.context.PhaseRunner`.
"""

from __future__ import annotations

from executor.context import PhaseRunner
from executor.phases import build, code, explore, extract, process, validate

RUNNERS: dict[str, PhaseRunner] = {
    "extract": extract.run,
    "explore": explore.run,
    "process": process.run,
    "build": build.run,
    "validate": validate.run,
    "code": code.run,  # ol:CodeStep: the author's function
}
