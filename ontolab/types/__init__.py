"""Small typed records for what the API answers, with the wire's snake_case field names.

Each has ``from_json``, which ignores keys it does not know (a newer platform may add some)
and keeps the whole answer in ``raw``. ``runs``: experiments and runs; ``registry``: datasets,
models, deployments, predictions, named queries.
"""

from ontolab.types.registry import (
    AliasChange,
    DatasetSummary,
    DatasetVersion,
    Deployment,
    Model,
    ModelSummary,
    ModelVersion,
    NamedQuery,
    Prediction,
)
from ontolab.types.runs import (
    Artifact,
    Comparison,
    ExperimentSummary,
    ExperimentVersion,
    HyperParameter,
    LeaderboardEntry,
    Metric,
    RunDetails,
    RunList,
    RunSummary,
    StartedRun,
    StepRun,
    Validation,
)

__all__ = [
    "AliasChange",
    "Artifact",
    "Comparison",
    "DatasetSummary",
    "DatasetVersion",
    "Deployment",
    "ExperimentSummary",
    "ExperimentVersion",
    "HyperParameter",
    "LeaderboardEntry",
    "Metric",
    "Model",
    "ModelSummary",
    "ModelVersion",
    "NamedQuery",
    "Prediction",
    "RunDetails",
    "RunList",
    "RunSummary",
    "StartedRun",
    "StepRun",
    "Validation",
]
