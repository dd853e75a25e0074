"""The text files of an export: pipeline.py (the templates it needs, one function per step,
``run``), requirements.txt pinned to the run's recorded versions, and the README."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import executor.standalone
from server.interop.generators import StepCode
from server.interop.run_facts import RunFacts

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The executor's own plain modules (``executor.standalone``), pasted as they are before the
#: templates that import from them: one source for the platform's steps and their export.
STANDALONE = Path(executor.standalone.__file__).resolve().parent
CODE_MARKER = "# --- code ---\n"
#: Templates in the order they appear in pipeline.py; ``common`` comes with every export.
TEMPLATE_ORDER = (
    "common",
    "extract",
    "columns",
    "data_checks",
    "check",
    "profile",
    "explore",
    "preprocess",
    "process",
    "build",
    "scoring",
    "validate",
    "code_paths",
    "code",
    "container_workdir",
    "container",
)
#: What pipeline.py and verify.py import, pinned from the run's records when it has them.
NEEDED = ("scikit-learn", "numpy", "pandas", "scipy", "pyarrow", "joblib")


@cache
def template(name: str) -> tuple[tuple[str, ...], str]:
    """A template's import statements (one line each) and its code after the marker."""
    head, body = _source(name).split(CODE_MARKER, 1)
    imports = tuple(ast.unparse(node) for node in ast.parse(head).body if _kept(node))
    return imports, body.strip("\n")


def _kept(node: ast.stmt) -> bool:
    """An import pipeline.py needs: not ``__future__`` (it has its own), and not what a template
    takes from ``executor.standalone``, which is pasted in pipeline.py beside it."""
    if isinstance(node, ast.Import):
        return True
    if not isinstance(node, ast.ImportFrom):
        return False
    module = node.module or ""
    return module != "__future__" and not module.startswith("executor.")


def _with_needs(names: set[str]) -> set[str]:
    """``names`` and every ``executor.standalone`` module their templates import from."""
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo += _needs(name)
    return found


@cache
def _needs(name: str) -> tuple[str, ...]:
    head = _source(name).split(CODE_MARKER, 1)[0]
    modules = [n.module or "" for n in ast.parse(head).body if isinstance(n, ast.ImportFrom)]
    return tuple(m.rsplit(".", 1)[1] for m in modules if m.startswith("executor.standalone."))


def _source(name: str) -> str:
    path = TEMPLATES / f"{name}.py"
    if not path.exists():
        path = STANDALONE / f"{name}.py"
    return path.read_text(encoding="utf-8")


def verify_source() -> str:
    return (TEMPLATES / "verify.py").read_text(encoding="utf-8")


def pipeline_source(run: RunFacts, codes: dict[str, StepCode], names: dict[str, str]) -> str:
    """pipeline.py: the helpers the steps need, each step's function, and ``run``."""
    used = _with_needs({"common"} | {t for code in codes.values() for t in code.templates})
    ordered = [t for t in TEMPLATE_ORDER if t in used] + sorted(used - set(TEMPLATE_ORDER))
    imports = {line for name in ordered for line in template(name)[0]}
    imports |= {line for code in codes.values() for line in code.imports}
    plain = sorted(line for line in imports if line.startswith("import "))
    from_ = sorted(line for line in imports if line.startswith("from "))
    head = [
        f'"""Run {run.run_id} of experiment {run.experiment!r} (version {run.version}) as '
        "standalone pandas / scikit-learn code.\n\n"
        "Written by Ontolab's export from the run's graph and artifact store; it needs no "
        "Ontolab.\nEach step of the run is one function below; params.json holds their "
        "parameters.\n`python pipeline.py` prints the metrics; `python verify.py` checks them "
        'against the run.\n"""',
        "from __future__ import annotations",
        "\n".join([*plain, *from_]),
    ]
    parts = [
        "\n\n".join(head),
        *(f"# --- {name} ---\n{template(name)[1]}" for name in ordered),
        "# --- the run's steps, in its order ---",
        *(codes[step.id].function for step in run.steps),
        _run_function(run, names),
        _MAIN,
    ]
    return "\n\n\n".join(parts) + "\n"


def _run_function(run: RunFacts, names: dict[str, str]) -> str:
    lines = [
        "def run() -> dict[str, Any]:",
        '    """Every step in the run\'s order; each step\'s output by step id."""',
        "    out: dict[str, Any] = {}",
    ]
    for step in run.steps:
        inputs = "".join(f", {k}=out[{p!r}]" for k, p in sorted(step.inputs.items()))
        lines.append(f"    out[{step.id!r}] = {names[step.id]}(PARAMS[{step.id!r}]{inputs})")
    return "\n".join([*lines, "    return out"])


_MAIN = """def main() -> None:
    for step_id, output in run().items():
        if isinstance(output, dict) and "metrics" in output:
            print(step_id, json.dumps(output["metrics"], sort_keys=True))


if __name__ == "__main__":
    main()"""


def library_versions(run: RunFacts) -> dict[str, str]:
    """The versions the run's steps recorded (the build steps do), first step first."""
    found: dict[str, str] = {}
    for step in run.steps:
        for name, version in step.library_versions.items():
            found.setdefault(name, version)
    return found


def requirements(run: RunFacts, extra: tuple[str, ...] = (), needs: tuple[str, ...] = ()) -> str:
    """requirements.txt: what the pipeline needs, pinned to the run's recorded versions, then
    ``extra`` (what steps such as custom code declare), then ``needs`` (what pip cannot
    install, such as Docker and a container step's image) as comments."""
    versions = library_versions(run)
    lines = [
        # No run id here: runs that recorded the same versions share one requirements.txt.
        "# The libraries the run recorded, pinned to its versions.",
        f"# Python {versions.get('python', '(not recorded)')} ran its steps.",
    ]
    unpinned = []
    for name in [*NEEDED, *sorted(set(versions) - set(NEEDED) - {"python"})]:
        if name in versions:
            lines.append(f"{name}=={versions[name]}")
        else:
            unpinned.append(name)
    if unpinned:
        lines.append("# Not recorded by this run (runs made before export record them): unpinned.")
        lines += unpinned
    if extra:
        lines += ["# What the run's steps declared besides.", *dict.fromkeys(extra)]
    if needs:
        lines.append("# Needed besides, which pip cannot install (see README.md):")
        lines += [f"# - {need}" for need in dict.fromkeys(needs)]
    return "\n".join(lines) + "\n"


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _needs_section(needs: tuple[str, ...]) -> str:
    if not needs:
        return ""
    listed = "\n".join(f"- {need}" for need in dict.fromkeys(needs))
    return f"""
## Needed besides Python

The run's container steps run their images again, by the ID the run recorded (never by a tag,
which may point elsewhere by now), with no network; `verify.py` says what is missing before
it runs anything.

{listed}
"""


def readme(run: RunFacts, needs: tuple[str, ...] = ()) -> str:
    """README.md; ``needs``: what the steps need that pip cannot install (Docker, images)."""
    versions = library_versions(run)
    steps = "\n".join(f"- `{s.id}` ({s.kind})" for s in run.steps)
    return f"""# Run {run.run_id}: {run.experiment} version {run.version}

Exported by Ontolab (`ontolab export {run.run_id} DIR`) from the run's graph and artifact
store. This folder needs no Ontolab: plain pandas and scikit-learn.

| file | what |
|---|---|
| `pipeline.py` | one function per step of the run, seeds fixed; `run()` runs them in order |
| `params.json` | each step's resolved parameters (the hyperparameters as the run recorded them) |
| `requirements.txt` | the libraries, pinned to the versions the run recorded |
| `data_manifest.json` | each data file: source, sha256, size |
| `data/` | the data the run read (copied from the platform's artifact store) |
| `code/` | the code bundle the run's custom code steps called (when it has any) |
| `expected_metrics.json` | the metrics and checksums (predictions, profile) the run recorded |
| `verify.py` | re-runs `pipeline.py` and checks all of it |
| `provenance.ttl` | the run's PROV subgraph (its named graph and the graphs it links to) |

## Reproduce

```sh
python{_minor(versions.get("python", "3"))} -m venv .venv
.venv/bin/pip install -r requirements.txt
.venv/bin/python verify.py
```

`verify.py` exits 0 when every metric equals the recorded one (exactly, or within 1e-12
relative for floats; it says which), the test-split predictions have the recorded sha256 and
every data file has the recorded sha256; otherwise it exits 1 naming each mismatch.
{_needs_section(needs)}
## Steps

{steps}
"""
