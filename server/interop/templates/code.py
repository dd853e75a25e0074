"""code: call the author's function from the run's code bundle (copied into ``code/``) as the
platform's code step called it (``executor/phases/code.py`` and ``code_outputs.py``)."""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import math
import runpy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from executor.standalone.code_paths import code_on_path, working_directory
from executor.standalone.profile import to_json_value

# --- code ---
# Beside pipeline.py: the run's code bundle, unpacked, and each code step's working directory.
CODE = Path(__file__).resolve().parent / "code"
OUTPUTS = Path(__file__).resolve().parent / "outputs"


def load_function(params: dict[str, Any]) -> Callable[..., Any]:
    """``function`` (``module:function``) from code/, or ``script``'s ``main`` (or the plain
    name in ``function``)."""
    if params.get("script"):
        # Not "__main__": the script's main block stays out, as in the run.
        namespace = runpy.run_path(str(CODE / params["script"]), run_name="__code_step__")
        function: Callable[..., Any] = namespace[params.get("function") or "main"]
        return function
    module_name, function_name = params["function"].split(":", 1)
    return getattr(importlib.import_module(module_name.strip()), function_name.strip())


def plain_json(value: Any) -> Any:
    """``value`` as the run stored it in a JSON artifact and the next step read it back."""
    return json.loads(json.dumps(to_json_value(value), allow_nan=False, sort_keys=True))


def fresh_folder(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def as_given(step_id: str, kind: str, value: Any) -> Any:
    """An input as the code step received it: a copy of its own (each step of the run read its
    inputs afresh from the artifact store), a profile as JSON, a files folder copied in."""
    if kind == "profile":
        return plain_json(value)
    if kind == "files":
        target = OUTPUTS / f"{step_id}.inputs" / "files"
        shutil.rmtree(target, ignore_errors=True)
        return Path(shutil.copytree(value, target))
    return copy.deepcopy(value)


def code_output(kind: str, value: Any, inputs: dict[str, Any], folder: Path) -> Any:
    """What the function returned, as the run stored it for the next steps (a dataset goes
    through ``as_stored`` in the step's function)."""
    if kind == "splits":
        return {**inputs.get("splits", {}), **value}
    if kind == "report":
        return {"metrics": {k: float(v) for k, v in value.items() if math.isfinite(v)}}
    if kind == "files":
        return copy_files(value, folder, fresh_folder(folder.with_name(folder.name + ".files")))
    return value  # a fitted model, or a table


def copy_files(value: Any, base: Path, target: Path) -> Path:
    """The returned paths, copied into ``target`` as the run zipped them (relative to the
    step's working directory), as the next step unpacked them."""
    for item in value if isinstance(value, list | tuple) else [value]:
        path = base / item  # an absolute path stays as it is
        for file in [path] if path.is_file() else sorted(path.rglob("*")):
            if file.is_file() and not file.is_symlink():
                inside = file.resolve().is_relative_to(base.resolve())
                name = file.resolve().relative_to(base.resolve()) if inside else file.name
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, target / name)
    return target


def call_code(step_id: str, params: dict[str, Any], inputs: dict[str, Any]) -> Any:
    """Call the step's function with its inputs (and ``params`` if it takes them), in its own
    working directory, and turn what it returns into the step's output."""
    given = {kind: as_given(step_id, kind, value) for kind, value in sorted(inputs.items())}
    folder = fresh_folder(OUTPUTS / step_id)
    with code_on_path(CODE):
        with working_directory(folder):
            function = load_function(params)
            signature = inspect.signature(function)
            takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
            if "params" in signature.parameters or takes_any:
                given["params"] = dict(params["hyperparameters"])
            returned = function(**given)
        return code_output(params["output_kind"], returned, inputs, folder)
