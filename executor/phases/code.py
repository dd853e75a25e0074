"""code: run the author's function from the experiment's code bundle (``ol:CodeStep``).

The bundle (a zip, the step's ``code`` input) is unpacked into the step's workdir and put on
``sys.path`` for the call only. ``function`` names ``module:function`` inside it, or ``script``
names a file whose ``main`` (or the plain name in ``function``) is called. The function takes
one keyword argument per input kind the step consumes (``dataset`` a pandas DataFrame,
``splits`` the splits dict, ``model`` the fitted model, ``profile``/``report`` dicts, ``files``
a folder) and, if it asks for it, ``params`` (the step's ``ol:hyperParameter`` values). What
it returns becomes the step's one output (:mod:`executor.phases.code_outputs`).

This runs only in a step process or container: the platform never imports the author's code.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import logging
import re
import runpy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from executor.artifacts import Dataset
from executor.context import PhaseOutput, StepContext
from executor.contract import (
    CODE_BUNDLE_INPUT,
    CODE_OUTPUT_KINDS,
    artifact_path,
    extract_bundle,
    parse_entry,
    sha256_of,
)
from executor.errors import CodeError, InputError
from executor.phases.code_outputs import save_output
from executor.standalone.code_paths import code_on_path, working_directory

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to


def run(ctx: StepContext) -> PhaseOutput:
    kind = ctx.params.choice("output_kind", CODE_OUTPUT_KINDS, None)
    check_requirements(ctx.spec.parameters.get("requirement", []))
    folder = unpack(ctx)
    output_dir = ctx.workdir / "output"
    output_dir.mkdir(exist_ok=True)
    with code_on_path(folder):  # until saved: pickling a model looks its classes up
        with working_directory(output_dir):
            function, name = load_function(ctx, folder)
            arguments = call_arguments(ctx, function, name)
            log.info("calling %s(%s)", name, ", ".join(arguments))
            returned = function(**arguments)
        done = save_output(ctx, kind, name, returned, output_dir)
    named: dict[str, Any] = {
        key: ctx.spec.parameters[key]
        for key in ("function", "script")
        if key in ctx.spec.parameters
    }
    bundle = ctx.spec.inputs[CODE_BUNDLE_INPUT].sha256
    done.parameters |= {"output_kind": kind, "code_bundle": bundle, **named}
    done.summary |= {"code_function": name, "code_bundle": done.parameters["code_bundle"]}
    return done


_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)")


def check_requirements(declared: Any) -> None:
    """CodeError naming each ``ol:requirement`` not installed where the step runs (checked by
    version too when ``packaging`` is there to read the specifier)."""
    wanted = declared if isinstance(declared, list) else [declared]
    unmet = []
    for requirement in map(str, wanted):
        match = _REQUIREMENT.fullmatch(requirement.split(";")[0])
        if match is None:
            raise CodeError(
                f"ol:requirement {requirement!r} is not a requirement; write it as pip does, "
                'e.g. "lightgbm>=4"'
            )
        try:
            installed = importlib.metadata.version(match.group(1))
        except importlib.metadata.PackageNotFoundError:
            unmet.append(f"{requirement} (not installed)")
            continue
        if match.group(3) and not _satisfies(installed, match.group(3)):
            unmet.append(f"{requirement} (found {installed})")
    if unmet:
        raise CodeError(
            f"requirements of this code step are not met where it runs: {', '.join(unmet)}; "
            "install them in the runner image (or the step's ol:image) or change ol:requirement"
        )


def _satisfies(version: str, specifier: str) -> bool:
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
    except ImportError:  # nothing to read the specifier with: the name is installed
        return True
    try:
        return SpecifierSet(specifier.strip()).contains(version, prereleases=True)
    except InvalidSpecifier as exc:
        raise CodeError(
            f'ol:requirement specifier {specifier!r} is not valid ({exc}); write e.g. ">=4"'
        ) from exc


def unpack(ctx: StepContext) -> Path:
    """The code bundle, checked against its checksum and unpacked into ``workdir/code``."""
    ref = ctx.spec.inputs.get(CODE_BUNDLE_INPUT)
    if ref is None:
        raise CodeError(
            "this code step was given no code bundle; put the code folder (ol:codeFolder, "
            "default code/) beside the definition and submit again (`ontolab submit FILE` "
            "bundles it; the API takes it as the multipart part `code`)"
        )
    path = artifact_path(ctx.spec.artifact_root, ref.sha256)
    if not path.is_file() or sha256_of(path) != ref.sha256:
        raise InputError(
            f"code bundle {ref.sha256} is missing from the artifact store or damaged at {path}; "
            "submit the definition with its code folder again"
        )
    try:
        return extract_bundle(path, ctx.workdir / "code")
    except ValueError as exc:
        raise CodeError(str(exc)) from exc


def load_function(ctx: StepContext, folder: Path) -> tuple[Callable[..., Any], str]:
    """The function the step names, and its name as the author wrote it."""
    params = ctx.params
    script, named = params.text("script"), params.text("function")
    if script:
        function_name = named or "main"
        if not function_name.isidentifier():
            raise CodeError(
                f"with ol:script, ol:function is a plain function name, not {named!r}; "
                f'write e.g. ol:function "main"'
            )
        namespace = runpy.run_path(str(script_path(folder, script)), run_name="__ontolab_code__")
        return pick(namespace, function_name, script), f"{script}:{function_name}"
    if not named:
        raise CodeError(
            'a code step needs ol:function "module:function" (or ol:script "file.py"); add one'
        )
    try:
        module_name, function_name = parse_entry(named)
    except ValueError as exc:
        raise CodeError(f"ol:function {exc}") from exc
    module = import_module(folder, module_name)
    return pick(vars(module), function_name, module_name), named


def script_path(folder: Path, script: str) -> Path:
    path = (folder / script).resolve()
    if not path.is_relative_to(folder.resolve()) or path.suffix != ".py":
        raise CodeError(
            f"ol:script {script!r} must be a .py file inside the code folder; "
            'give its path relative to the folder, e.g. ol:script "features.py"'
        )
    if not path.is_file():
        raise CodeError(
            f"ol:script {script!r} is not in the code bundle ({listing(folder)}); " + _FIX
        )
    return path


_FIX = "add the file to the code folder beside the definition and submit again, or fix the name"


def import_module(folder: Path, module_name: str) -> Any:
    """Import ``module_name`` from ``folder``, refusing a name an installed module holds."""
    relative = Path(*module_name.split("."))
    candidates = [folder / relative.with_suffix(".py"), folder / relative / "__init__.py"]
    if not any(path.is_file() for path in candidates):
        raise CodeError(
            f"module {module_name!r} of ol:function is not in the code bundle (no "
            f"{relative.with_suffix('.py')} or {relative / '__init__.py'}; {listing(folder)}); "
            + _FIX
        )
    top = module_name.split(".")[0]
    loaded = sys.modules.get(top)
    if loaded is not None and not str(getattr(loaded, "__file__", "")).startswith(str(folder)):
        raise CodeError(
            f"module name {top!r} is taken by an installed module; rename the file in the "
            "code folder (e.g. my_features.py) and ol:function with it"
        )
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and not exc.name.startswith(top):
            raise CodeError(
                f"{module_name} imports {exc.name!r}, which is not installed where the step "
                "runs; add it to the runner image (and record it with ol:requirement) or "
                "remove the import"
            ) from exc
        raise


def pick(namespace: dict[str, Any], function_name: str, where: str) -> Callable[..., Any]:
    function = namespace.get(function_name)
    if not callable(function):
        defined = sorted(
            k for k, v in namespace.items() if inspect.isfunction(v) and not k.startswith("_")
        )
        raise CodeError(
            f"{where} has no function {function_name!r} (it defines: "
            f"{', '.join(defined) or 'no functions'}); define it or fix ol:function"
        )
    return function


def listing(folder: Path) -> str:
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.py"))[:20]
    return "the bundle holds " + (", ".join(files) if files else "no .py file")


def presented(ctx: StepContext, kind: str, value: Any) -> Any:
    """An input as the author's function receives it."""
    if kind == "dataset" and isinstance(value, Dataset):
        return value.frame
    if kind == "model":
        return value["pipeline"]
    if kind == "files":
        try:
            return extract_bundle(value, ctx.workdir / "inputs" / "files")
        except ValueError as exc:
            raise InputError(f"the files input cannot be unpacked: {exc}") from exc
    return value


def call_arguments(ctx: StepContext, function: Callable[..., Any], name: str) -> dict[str, Any]:
    """The keyword arguments for ``function``, checked against its signature."""
    given = {kind: presented(ctx, kind, value) for kind, value in sorted(ctx.inputs.items())}
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as exc:
        raise CodeError(
            f"{name} is not a Python function ({exc}); name a def in ol:function"
        ) from exc
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    if "params" in signature.parameters or accepts_any:
        given["params"] = dict(ctx.params.mapping("hyperparameters"))
    try:
        signature.bind(**given)
    except TypeError as exc:
        wanted = ", ".join([*sorted(ctx.inputs), "params"])
        short = name.rsplit(":", 1)[-1]
        raise CodeError(
            f"{name}{signature} cannot take the step's inputs as keyword arguments "
            f"{', '.join(given) or '(none)'} ({exc}); define it as def {short}({wanted}): one "
            "argument per input kind the step consumes, plus params (optional)"
        ) from exc
    return given
