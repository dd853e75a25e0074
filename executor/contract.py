"""The contract between the platform and a step: StepSpec in, StepResult out, both JSON.

This module is the only part of ``executor`` the server imports. It also owns scikit-learn's
estimator allow-list and the ``module:ClassName`` form of an allow-list entry: the platform
resolves the name a definition gives in ``ol:estimator`` to its entry and passes the entry in
the build step's ``estimator_import`` parameter, the only thing the executor imports. It also
owns the layout of
the content-addressed artifact store, because both sides read and write it: an artifact with
checksum ``abcdef…`` lives at ``ROOT/ab/cdef…``. Writes go to a temporary file in the same
folder, are fsynced and renamed, so a crash never leaves half an artifact behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

PHASES = ("extract", "explore", "process", "build", "validate")

# The one output each phase produces, by the name consumers know it under.
OUTPUT_KIND = {
    "extract": "dataset",
    "explore": "profile",
    "process": "splits",
    "build": "model",
    "validate": "report",
}

# The inputs each phase needs, by kind.
REQUIRED_INPUTS: dict[str, tuple[str, ...]] = {
    "extract": (),
    "explore": ("dataset",),
    "process": ("dataset",),
    "build": ("splits",),
    "validate": ("model", "splits"),
}

MEDIA_TYPES = {
    "dataset": "application/vnd.apache.parquet",
    "profile": "application/json",
    "splits": "application/x-joblib",
    "model": "application/x-joblib",
    "report": "application/json",
}

Status = Literal["succeeded", "failed"]

# scikit-learn's estimators a definition may name in ol:estimator: name → (entry, task).
# Settings add others (ONTOLAB_ESTIMATORS); ontology/shapes.ttl lists these as its defaults.
SKLEARN_ESTIMATORS: dict[str, tuple[str, str]] = {
    name: (f"sklearn.{module}:{name}", task)
    for task, modules in {
        "classification": {
            "LogisticRegression": "linear_model",
            "RandomForestClassifier": "ensemble",
            "GradientBoostingClassifier": "ensemble",
            "ExtraTreesClassifier": "ensemble",
            "DecisionTreeClassifier": "tree",
            "KNeighborsClassifier": "neighbors",
            "SVC": "svm",
            "GaussianNB": "naive_bayes",
            "HistGradientBoostingClassifier": "ensemble",
            "RidgeClassifier": "linear_model",
        },
        "regression": {
            "LinearRegression": "linear_model",
            "Ridge": "linear_model",
            "Lasso": "linear_model",
            "ElasticNet": "linear_model",
            "RandomForestRegressor": "ensemble",
            "GradientBoostingRegressor": "ensemble",
            "ExtraTreesRegressor": "ensemble",
            "DecisionTreeRegressor": "tree",
            "KNeighborsRegressor": "neighbors",
            "SVR": "svm",
            "HistGradientBoostingRegressor": "ensemble",
        },
    }.items()
    for name, module in modules.items()
}

# AutoML (an ol:AutoML build step): the estimators it searches when the step names no
# ol:candidateEstimator, per task, in this order; the platform keeps those its allow-list holds
# and passes them with their entries in ``automl_candidates`` (name → module:ClassName).
AUTOML_CANDIDATES: dict[str, tuple[str, ...]] = {
    "classification": (
        "RandomForestClassifier",
        "HistGradientBoostingClassifier",
        "ExtraTreesClassifier",
        "LGBMClassifier",
        "LogisticRegression",
        "KNeighborsClassifier",
        "SVC",
    ),
    "regression": (
        "RandomForestRegressor",
        "HistGradientBoostingRegressor",
        "ExtraTreesRegressor",
        "LGBMRegressor",
        "Ridge",
        "KNeighborsRegressor",
        "SVR",
    ),
}
# Each finished trial of an AutoML step, one JSON object a line, appended to this file in the
# step's workdir as the search goes: the server records the trials it finds there even when the
# step fails, is cancelled or times out.
TRIALS_FILE = "trials.jsonl"

# One identifier that is not a dunder name; a module path is such identifiers joined by dots.
_IDENTIFIER = r"(?!__)[A-Za-z_][A-Za-z0-9_]*"
_ENTRY = re.compile(rf"({_IDENTIFIER}(?:\.{_IDENTIFIER})*):({_IDENTIFIER})")


def parse_entry(entry: str) -> tuple[str, str]:
    """``module:ClassName`` as (module, class name); ValueError saying why it is not one.

    Every part is a Python identifier and none starts with ``__``, so an entry can name a
    module and one of its attributes, never an attribute of an attribute or a dunder.
    """
    match = _ENTRY.fullmatch(entry.strip())
    if match is None:
        raise ValueError(
            f"{entry!r} is not module:ClassName (dotted identifiers, a colon, one class name, "
            "no __dunder__ parts), e.g. lightgbm:LGBMClassifier"
        )
    return match.group(1), match.group(2)


@dataclass(frozen=True)
class ArtifactRef:
    """One content-addressed file."""

    sha256: str
    size: int
    media_type: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArtifactRef:
        return cls(sha256=data["sha256"], size=int(data["size"]), media_type=data["media_type"])


@dataclass(frozen=True)
class StepSpec:
    """What one step must do. Written by the server as ``spec.json``."""

    run_id: str
    step_id: str
    phase: str
    parameters: dict[str, Any]
    inputs: dict[str, ArtifactRef]
    artifact_root: str
    resources: dict[str, Any] = field(default_factory=dict)
    # Set for steps that do not see the artifact store (swarm): inputs are fetched from
    # ``{artifact_url}/SHA256`` and outputs pushed there with PUT (see executor.remote).
    artifact_url: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> StepSpec:
        data = json.loads(text)
        data["inputs"] = {k: ArtifactRef.from_json(v) for k, v in data["inputs"].items()}
        return cls(**data)


@dataclass(frozen=True)
class StepErrorInfo:
    type: str
    message: str


@dataclass(frozen=True)
class StepResult:
    """What one step did. Written by the executor as ``result.json``.

    ``summary`` holds phase-specific facts the server turns into triples (dataset shape,
    column profiles, estimator and library versions, threshold checks).
    """

    status: Status
    started_at: str
    ended_at: str
    outputs: dict[str, ArtifactRef] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    log_tail: str = ""
    error: StepErrorInfo | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=1, default=str)

    @classmethod
    def from_json(cls, text: str) -> StepResult:
        data = json.loads(text)
        data["outputs"] = {k: ArtifactRef.from_json(v) for k, v in data["outputs"].items()}
        if data.get("error"):
            data["error"] = StepErrorInfo(**data["error"])
        return cls(**data)


def artifact_path(root: str | os.PathLike[str], sha256: str) -> Path:
    """Where the artifact with this checksum lives under ``root``."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return Path(root) / sha256[:2] / sha256[2:]


def sha256_of(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def store_artifact(
    root: str | os.PathLike[str], source: str | os.PathLike[str], media_type: str
) -> ArtifactRef:
    """Copy ``source`` into the store atomically (temp file, fsync, rename) and return its ref.

    A file already stored under the checksum is replaced when its bytes do not match it.
    """
    sha = sha256_of(source)
    target = artifact_path(root, sha)
    size = os.path.getsize(source)
    if not _intact(target, sha):  # kept only if intact: a rerun repairs a damaged file
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                for block in iter(lambda: src.read(1 << 20), b""):
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return ArtifactRef(sha256=sha, size=size, media_type=media_type)


def _intact(path: Path, sha256: str) -> bool:
    try:
        return sha256_of(path) == sha256
    except FileNotFoundError:
        return False
