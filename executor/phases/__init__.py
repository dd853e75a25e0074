"""The five phases, code steps (``code``: the author's function) and data validation
(``check``), by name.

Each module's ``run`` is a :class:`executor.context.PhaseRunner`. An ol:AutoML step runs as a
build (its class is a kind of ol:ModelBuilding); the platform marks it with the ``automl``
parameter and ``executor.phases.automl`` searches instead of fitting one estimator.
"""

from __future__ import annotations

from executor.context import PhaseOutput, PhaseRunner, StepContext
from executor.phases import automl, build, check, code, explore, extract, process, validate


def _build(ctx: StepContext) -> PhaseOutput:
    if ctx.params.boolean("automl", False):
        return automl.run(ctx)
    return build.run(ctx)


RUNNERS: dict[str, PhaseRunner] = {
    "extract": extract.run,
    "explore": explore.run,
    "process": process.run,
    "build": _build,
    "validate": validate.run,
    "code": code.run,  # ol:CodeStep: the author's function
    "check": check.run,  # ol:DataValidation: a dataset against expectations and a reference
}
