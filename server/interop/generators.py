"""One code generator per step kind: ``GENERATORS[kind](context, step)`` gives the step's
function, its resolved parameters, the files it needs copied and what verify.py must find.

To export a new step kind, add a generator here (or register one from its own module):

- a custom code step (``code``, in ``code_steps``): its code bundle's files copied in
  (``code/…`` from the artifact store), its recorded requirements added, and a step function
  that puts ``code/`` on ``sys.path``, imports ``module`` and calls ``function`` with the
  step's inputs;
- a container step (``container``, in ``container_steps``): its image run again by the ID the
  run recorded (``ol:imageDigest``), on its inputs staged as the provisioners stage them;
- an AutoML step (``automl``, in ``automl_steps``): generate it as the build step of its best
  trial, i.e. call
  ``build_code(context, step, (module, class), hyperparameters)`` with that trial's estimator
  and hyperparameters as the run recorded them (the search itself is not repeated).

A generator reads only ``context`` (the run's facts and the artifact store) and must raise
``ExportError`` with the fix when it cannot write a step as standalone code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executor.contract import MEDIA_TYPES, REFERENCE_INPUT, SKLEARN_ESTIMATORS, parse_entry
from server.errors import ExportError
from server.interop.run_facts import RunFacts, StepFacts
from server.tracking.artifacts import ArtifactStore

#: The datasets bundled with scikit-learn that extract knows (executor/phases/extract.py).
BUNDLED = ("iris", "wine", "breast_cancer", "diabetes")
_DATASET_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass
class StepCode:
    """What one step contributes to the export."""

    parameters: dict[str, Any]  # its entry in params.json
    function: str  # its function's source; takes (params, one argument per input kind)
    templates: tuple[str, ...] = ()  # helper modules of ``templates`` it calls
    imports: tuple[str, ...] = ()  # import lines beyond the templates' own
    files: dict[str, Path | bytes] = field(default_factory=dict)  # export path → content
    manifest: list[dict[str, Any]] = field(default_factory=list)  # data_manifest.json files
    expected: dict[str, Any] | None = None  # its entry in expected_metrics.json
    requirements: tuple[str, ...] = ()  # requirement lines beyond the run's recorded ones
    needs: tuple[str, ...] = ()  # what it needs that pip cannot install (Docker, an image)


@dataclass
class ExportContext:
    run: RunFacts
    artifacts: ArtifactStore
    function_names: dict[str, str]  # step id → the Python name of its function
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)  # filled step by step

    def step(self, step_id: str) -> StepFacts:
        return next(s for s in self.run.steps if s.id == step_id)

    def artifact(self, step: StepFacts, kind: str) -> dict[str, Any]:
        if kind not in step.artifacts:
            raise ExportError(
                f"run {self.run.run_id} recorded no {kind} artifact for step {step.id!r}; "
                f"rerun the experiment and export the new run"
            )
        return step.artifacts[kind]

    def copy_artifact(
        self,
        code: StepCode,
        step: StepFacts,
        kind: str,
        path: str,
        *,
        listed: str,
        role: str,
        origin: str = "",
    ) -> None:
        """Copy the ``kind`` artifact the run stored for ``step`` to ``path`` in the export and
        list it in the data manifest: of kind ``listed``, playing ``role``, its source named
        ``step ID (origin)`` (``origin`` defaults to ``kind``)."""
        stored = self.artifact(step, kind)
        code.files[path] = self.artifacts.path(stored["sha256"])
        code.manifest.append(
            {
                "step": step.id,
                "source": f"step {step.id} ({origin or kind})",
                "kind": listed,
                "path": path,
                **stored,
                "role": role,
            }
        )

    def stored_json(self, step: StepFacts, kind: str) -> Any:
        """A JSON artifact of ``step``, read from the artifact store (checksum checked)."""
        return json.loads(self.artifacts.path(self.artifact(step, kind)["sha256"]).read_text())

    def input_target(self, step: StepFacts) -> str | None:
        producer = step.inputs.get("dataset")
        return None if producer is None else self.parameters[producer].get("target_column")


Generator = Callable[[ExportContext, StepFacts], StepCode]


def _scalar(parameters: dict[str, Any], key: str, default: Any = None) -> Any:
    value = parameters.get(key, default)
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _names(parameters: dict[str, Any], key: str) -> list[str]:
    value = parameters.get(key)
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _signature(context: ExportContext, step: StepFacts, returns: str) -> str:
    arguments = "".join(f", {kind}: Any" for kind in sorted(step.inputs))
    name = context.function_names[step.id]
    return f"def {name}(params: dict[str, Any]{arguments}) -> {returns}:"


def extract_code(context: ExportContext, step: StepFacts) -> StepCode:
    source = str(_scalar(step.parameters, "source", ""))
    parameters = {
        "source": source,
        "target_column": str(_scalar(step.parameters, "target_column", "")),
        "drop_column": _names(step.parameters, "drop_column"),
    }
    stored = context.artifact(step, "dataset")
    snapshot = f"data/{step.id}.parquet"  # step ids are letters, digits, '_', '-', '.'
    entry = {"step": step.id, "source": source, "path": snapshot, **stored}
    code = StepCode(parameters, "", templates=("extract",))
    code.files[snapshot] = context.artifacts.path(stored["sha256"])
    if source.startswith("sklearn:"):
        name = source.removeprefix("sklearn:")
        if name not in BUNDLED:
            raise ExportError(f"step {step.id!r} reads {source!r}, which export does not know")
        load = f"load_bundled({name!r})"
        entry |= {
            "kind": "sklearn",
            "loader": f"sklearn.datasets.load_{name}(as_frame=True)",
            "role": "the table the extract step stored; verify.py checks the loader's rows "
            "(after the step's column selection) equal it",
        }
        code.expected = {"table": snapshot}
    elif step.dataset_version is not None:
        version = step.dataset_version
        path = f"data/{version['name']}-v{version['number']}.parquet"
        if not _DATASET_FILE.fullmatch(path.removeprefix("data/")):
            raise ExportError(f"dataset name {version['name']!r} cannot be a file name")
        code.files[path] = context.artifacts.path(str(version["sha256"]))
        load = f"pd.read_parquet(HERE / {path!r})"
        code.manifest.append(
            {
                "step": step.id,
                "source": source,
                "kind": "dataset",
                "dataset": f"dataset:{version['name']}@{version['number']}",
                "path": path,
                "sha256": version["sha256"],
                "size": version["size"],
                "media_type": "application/vnd.apache.parquet",
                "role": "the uploaded dataset version the run read, as the platform stored it",
            }
        )
        entry |= {"kind": "extracted", "role": "the table the extract step stored"}
        code.expected = {"table": snapshot}
    else:
        entry |= {
            "kind": "file",
            "role": "the rows and columns the extract step read from the file, as the run "
            "stored them (the source file itself lies outside the platform's data)",
        }
        code.manifest.append(entry)
        code.function = "\n".join(
            [
                _signature(context, step, "pd.DataFrame"),
                f'    """{step.id}: the table the run read from its source file."""',
                f"    return read_stored(HERE / {snapshot!r})",
            ]
        )
        return code
    code.manifest.append(entry)
    code.function = "\n".join(
        [
            _signature(context, step, "pd.DataFrame"),
            f'    """{step.id}: load the table, keep the columns the step kept."""',
            f"    frame = {load}",
            '    frame = select_columns(frame, params["target_column"], params["drop_column"])',
            "    return as_stored(frame)",
        ]
    )
    return code


def explore_code(context: ExportContext, step: StepFacts) -> StepCode:
    parameters = {"target_column": context.input_target(step)}
    body = [
        _signature(context, step, "dict[str, Any]"),
        f'    """{step.id}: every column\'s profile and the numeric columns\' correlation."""',
        '    return profile(dataset, params["target_column"])',
    ]
    profile = context.artifact(step, "profile")
    expected = {"profile_sha256": profile["sha256"]}
    return StepCode(parameters, "\n".join(body), templates=("explore",), expected=expected)


#: process's defaults (executor/phases/process.py ``read_settings``); a unit test keeps them equal.
PROCESS_DEFAULTS: dict[str, Any] = {
    "imputation": "median",
    "scaling": "standard",
    "one_hot_encoding": True,
    "test_size": 0.25,
    "random_seed": 42,
}


def _boolean(value: Any) -> bool:
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def process_settings(parameters: dict[str, Any], target: str | None) -> dict[str, Any]:
    """The process step's settings resolved as the executor resolves them."""
    task = str(_scalar(parameters, "task"))
    settings = {key: _scalar(parameters, key, default) for key, default in PROCESS_DEFAULTS.items()}
    settings["one_hot_encoding"] = _boolean(settings["one_hot_encoding"])
    settings["test_size"] = float(settings["test_size"])
    settings["random_seed"] = int(settings["random_seed"])
    stratify = _boolean(_scalar(parameters, "stratify", task == "classification"))
    return {
        "task": task,
        "target_column": _scalar(parameters, "target_column") or target,
        **settings,
        "stratify": stratify,
    }


def process_code(context: ExportContext, step: StepFacts) -> StepCode:
    parameters = process_settings(step.parameters, context.input_target(step))
    body = [
        _signature(context, step, "dict[str, Any]"),
        f'    """{step.id}: split train and test rows, fit the preprocessing on the train rows."""',
        "    return process(dataset, params)",
    ]
    return StepCode(parameters, "\n".join(body), templates=("process",))


def estimator_import(step: StepFacts) -> tuple[str, str]:
    """The module and class of the estimator the step fitted: the class the run recorded,
    which must be the definition's ``ol:estimator`` (the name the platform's allow-list let
    through) under plain module names; a run that recorded none names a scikit-learn one."""
    recorded = step.estimator_class
    given = str(_scalar(step.parameters, "estimator", ""))
    entry = SKLEARN_ESTIMATORS.get(given, ("",))[0]
    if entry and (recorded or "").startswith("sklearn.") and (recorded or "").endswith(f".{given}"):
        # The recorded class name drops private submodules (sklearn.ensemble.gradient_boosting
        # for sklearn.ensemble._hist_gradient_boosting...), which may not import: use the entry.
        module, name = entry.split(":")
    elif recorded and "." in recorded:
        module, name = recorded.rsplit(".", 1)
    else:
        name, module = given, SKLEARN_ESTIMATORS.get(given, ("",))[0].partition(":")[0]
    try:
        if name != given:
            raise ValueError(f"{name!r} is not the step's ol:estimator {given!r}")
        return parse_entry(f"{module}:{name}")
    except ValueError as exc:
        raise ExportError(
            f"step {step.id!r} records estimator {recorded or name!r}, which export cannot "
            f"import by name ({exc}); rerun the experiment and export the new run"
        ) from exc


def build_code(
    context: ExportContext,
    step: StepFacts,
    estimator: tuple[str, str] | None = None,
    hyperparameters: dict[str, Any] | None = None,
) -> StepCode:
    """A build step. An AutoML step's generator passes its best trial's ``estimator`` (module
    and class, checked against the step's candidates) and ``hyperparameters``, which replace
    the step's own."""
    module, name = estimator or estimator_import(step)
    given = step.parameters.get("hyperparameters") or {}
    recorded = step.hyperparameters if hyperparameters is None else hyperparameters
    parameters: dict[str, Any] = {
        "estimator": name,
        "estimator_class": f"{module}.{name}",
        # What the definition gave, then every scalar the fitted estimator held (its seed too).
        "hyperparameters": {**given, **recorded},
    }
    if "search_strategy" in step.parameters:
        parameters["search"] = {
            key: step.parameters[key]
            for key in ("search_strategy", "search_space", "search_folds", "search_scoring")
            if key in step.parameters
        } | {"note": "the run's search chose these hyperparameters; it is not repeated"}
    body = [
        _signature(context, step, "Pipeline"),
        f'    """{step.id}: {name} with the hyperparameters the run recorded."""',
        f'    return fit_model(splits, {name}(**params["hyperparameters"]))',
    ]
    code = StepCode(
        parameters,
        "\n".join(body),
        templates=("build",),
        imports=(f"from {module} import {name}", "from sklearn.pipeline import Pipeline"),
    )
    _copy_reference_profile(context, step, code)
    return code


def _copy_reference_profile(context: ExportContext, step: StepFacts, code: StepCode) -> None:
    """The reference profile the build stored beside its model (the drift statistics of its
    train rows), copied in as a data file so the export keeps it; verify.py checks its bytes.
    A build made before builds stored one has none, and nothing is copied."""
    stored = step.artifacts.get(REFERENCE_INPUT)
    if stored is None:
        return
    path = f"data/{step.id}.{REFERENCE_INPUT}.json"  # step ids are letters, digits, _-.
    code.files[path] = context.artifacts.path(str(stored["sha256"]))
    code.manifest.append(
        {
            "step": step.id,
            "source": f"the {step.id} step of run {context.run.run_id}",
            "kind": REFERENCE_INPUT,
            "path": path,
            "sha256": stored["sha256"],
            "size": stored["size"],
            "media_type": MEDIA_TYPES[REFERENCE_INPUT],
            "role": "the reference profile the build stored beside its model: the drift "
            "statistics of its train rows that monitoring compares served requests with",
        }
    )


def validate_code(context: ExportContext, step: StepFacts) -> StepCode:
    parameters = {
        "task": str(_scalar(step.parameters, "task")),
        "thresholds": step.parameters.get("thresholds", []),
    }
    report = context.stored_json(step, "report")
    expected: dict[str, Any] = {"metrics": dict(sorted(step.metrics.items()))}
    for key in ("predictions_sha256", "test_rows"):
        if key in report:
            expected[key] = report[key]
    body = [
        _signature(context, step, "dict[str, Any]"),
        f'    """{step.id}: the metrics on the test rows and the predictions\' checksum."""',
        '    return evaluate(model, splits, params["task"])',
    ]
    return StepCode(parameters, "\n".join(body), templates=("validate",), expected=expected)


GENERATORS: dict[str, Generator] = {
    "extract": extract_code,
    "explore": explore_code,
    "process": process_code,
    "build": build_code,
    "validate": validate_code,
}


def generate(context: ExportContext, step: StepFacts) -> StepCode:
    """The code of ``step`` by its kind's generator; ExportError for a kind with none."""
    generator = GENERATORS.get(step.kind)
    if generator is None:
        raise ExportError(
            f"step {step.id!r} of run {context.run.run_id} is a {step.kind!r} step, which "
            f"export cannot write as code yet (it writes {', '.join(GENERATORS)}); "
            "export a run without it"
        )
    code = generator(context, step)
    context.parameters[step.id] = code.parameters
    return code


# The step kinds that run the author's own work register their generators from their module
# (it imports this one, so it comes last).
from server.interop import automl_steps as _automl_steps  # noqa: E402, F401
from server.interop import check_steps as _check_steps  # noqa: E402, F401
from server.interop import code_steps as _code_steps  # noqa: E402, F401
from server.interop import container_steps as _container_steps  # noqa: E402, F401
