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

PHASES: tuple[str, ...] = ("extract", "explore", "process", "build", "validate")

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
    "reference_profile": "application/json",
}

# Outputs a phase stores beside its own, by phase: the build's reference profile (the
# statistics drift detection compares serving inputs against, computed once at training time).
EXTRA_OUTPUTS: dict[str, tuple[str, ...]] = {"build": ("reference_profile",)}

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
# A step whose workdir the platform does not see (a swarm job) also prints each finished trial
# on its stdout as one line starting with this marker; the platform reads them back from the
# step's log into ``TRIALS_FILE`` when the step was stopped before it published its result.
TRIAL_MARKER = "ontolab-trial: "


def trial_line(trial: dict[str, Any]) -> str:
    """One trial as a marked log line (without its newline) that reads back as ``trial``.

    Only a JSON string can hold ``ontolab-``: escaped there as ``\\u002d``, no marker (this
    one, the result's ``ontolab-result-sha256: ``) can appear inside a trial's text.
    """
    text = json.dumps(trial, sort_keys=True, ensure_ascii=True)
    return TRIAL_MARKER + text.replace("ontolab-", "ontolab\\u002d")


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


#: The environment variable that carries a step's artifact token (auth on): sent as a bearer
#: token with its artifact requests, it may push artifacts and read the step's inputs only.
ARTIFACT_TOKEN_ENV = "ONTOLAB_ARTIFACT_TOKEN"


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


# --- Custom code steps (ol:CodeStep) --------------------------------------------------------
# A code step runs the author's function from the experiment's code bundle (a zip stored as an
# artifact, passed as the input CODE_BUNDLE_INPUT). It consumes any kinds other steps produce
# and produces the one kind its ``output_kind`` parameter names, so its outputs are read by
# process, build and validate like any phase's. These lines extend the tables above rather than
# editing them, so that each step kind's entries stay in its own block.
CODE_PHASE = "code"
CODE_BUNDLE_INPUT = "code"
CODE_BUNDLE_MEDIA_TYPE = "application/zip"
CODE_OUTPUT_KINDS = ("dataset", "splits", "model", "report", "files")
CODE_INPUT_KINDS = ("dataset", "profile", "splits", "model", "report", "files")
PHASES = (*PHASES, CODE_PHASE)
REQUIRED_INPUTS[CODE_PHASE] = ()  # whatever the step declares with ol:consumes
MEDIA_TYPES["files"] = "application/zip"

#: Limits on a code bundle (and a ``files`` artifact), checked before anything is unpacked.
BUNDLE_MAX_FILES = 2000
BUNDLE_MAX_BYTES = 200 * 1024 * 1024


class BundleError(ValueError):
    """A zip that is not safe or not readable; the message ends with the fix."""


def output_kind_of(phase: str | None, parameters: dict[str, Any]) -> str | None:
    """The kind of artifact a step produces: its phase's, or a code step's ``output_kind``."""
    if phase == CODE_PHASE:
        kind = parameters.get("output_kind")
        return kind if kind in CODE_OUTPUT_KINDS else None
    return OUTPUT_KIND.get(phase or "")  # a container step's is in OUTPUT_KIND (below)


def check_bundle(
    path: str | os.PathLike[str],
    max_files: int = BUNDLE_MAX_FILES,
    max_bytes: int = BUNDLE_MAX_BYTES,
) -> list[str]:
    """The file names of the zip at ``path``; BundleError unless it is safe to unpack.

    Safe: a readable zip, no absolute path, no ``..`` part, no symbolic link, at most
    ``max_files`` entries and ``max_bytes`` bytes once unpacked.
    """
    import stat
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise BundleError(
            f"the code bundle is not a readable zip ({exc}); send a .zip file"
        ) from exc
    if len(members) > max_files:
        raise BundleError(
            f"the code bundle holds {len(members)} entries, more than {max_files}; "
            "leave data and virtual environments out of the code folder"
        )
    total = sum(member.file_size for member in members)
    if total > max_bytes:
        raise BundleError(
            f"the code bundle unpacks to {total} bytes, more than {max_bytes}; "
            "leave data and virtual environments out of the code folder"
        )
    names = []
    for member in members:
        name = member.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or (len(parts[0]) > 1 and parts[0][1] == ":"):
            raise BundleError(
                f"the code bundle holds an absolute path {name!r}; zip relative paths"
            )
        if ".." in parts:
            raise BundleError(f"the code bundle holds {name!r}, which leaves its folder; remove it")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise BundleError(
                f"the code bundle holds a symbolic link {name!r}; replace it with the file itself"
            )
        names.append(name)
    return names


def extract_bundle(path: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Unpack the zip at ``path`` into the folder ``target`` after :func:`check_bundle`."""
    import zipfile

    check_bundle(path)
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    return folder


# --- Container steps (ol:ContainerStep) -----------------------------------------------------
# An image and a command, run by the docker provisioner itself (the image need not hold the
# executor): its inputs are staged as files under WORKDIR/inputs, the command writes files
# under WORKDIR/outputs, and these are stored as one zip, the step's ``files`` output.
CONTAINER_PHASE = "container"
REQUIRED_INPUTS[CONTAINER_PHASE] = ()  # whatever the step declares with ol:consumes
OUTPUT_KIND[CONTAINER_PHASE] = "files"
# The working directory's layout (the name each input is staged under) is
# ``executor.standalone.container_workdir``'s, which an export pastes as it is.


# --- Data validation steps (ol:DataValidation) ----------------------------------------------
# A check step reads the dataset (or the splits) it consumes, checks it against the
# expectations its definition declares and, when it names one, the reference profile of a
# registered model version (staged by the platform as the input REFERENCE_INPUT), and stores
# its report, passed or not. Every step that produces a model runs after every check step of
# its experiment (``server.definitions.planner``), so bad data fails the run before training.
CHECK_PHASE = "check"
CHECK_INPUT_KINDS = ("dataset", "splits")  # it consumes exactly one of these
REFERENCE_INPUT = "reference_profile"
PHASES = (*PHASES, CHECK_PHASE)
REQUIRED_INPUTS[CHECK_PHASE] = ()
OUTPUT_KIND[CHECK_PHASE] = "data_report"
MEDIA_TYPES["data_report"] = "application/json"
