"""Lint and type checks run as part of the test command, so CI enforces them."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PYTHON_TREES = ["ontolab", "server", "executor", "ontology", "tests", "bench"]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", *PYTHON_TREES],
        ["ruff", "format", "--check", *PYTHON_TREES],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_is_clean(command: list[str]) -> None:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_runtime_imports_are_declared() -> None:
    """Every third-party module the installed package imports comes from a distribution that
    pyproject.toml declares, or one a declared distribution requires (a fresh install has only
    those)."""
    import ast
    import tomllib
    from importlib import metadata

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    reachable: set[str] = set()
    todo = [_distribution_name(spec) for spec in declared]
    while todo:
        name = todo.pop()
        if name in reachable:
            continue
        reachable.add(name)
        with contextlib.suppress(metadata.PackageNotFoundError):
            for spec in metadata.requires(name) or []:
                if "extra ==" not in spec:
                    todo.append(_distribution_name(spec))
    providers = metadata.packages_distributions()
    own = {"ontolab", "server", "executor", "ontology"}
    missing = {}
    for tree in own:
        for path in (ROOT / tree).rglob("*.py"):
            if "templates" in path.parts:  # exported code, run in the export's own venv
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in own or top.startswith("_"):
                        continue
                    names = {_distribution_name(d) for d in providers.get(top, [top])}
                    if not names & reachable:
                        missing[top] = str(path.relative_to(ROOT))
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def _distribution_name(spec: str) -> str:
    import re

    return re.split(r"[ ;<>=!~\[(]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")
