"""The text files of an export: pipeline.py (the templates it needs, one function per step,
``run``), requirements.txt pinned to the run's recorded versions, and the README."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from server.interop.generators import StepCode
from server.interop.run_facts import RunFacts

TEMPLATES = Path(__file__).resolve().parent / "templates"
CODE_MARKER = "# --- code ---\n"
#: Templates in the order they appear in pipeline.py; ``common`` comes with every export.
TEMPLATE_ORDER = ("common", "extract", "explore", "process", "build", "validate", "code")
#: What pipeline.py and verify.py import, pinned from the run's records when it has them.
NEEDED = ("scikit-learn", "numpy", "pandas", "scipy", "pyarrow", "joblib")


@cache
def template(name: str) -> tuple[tuple[str, ...], str]:
    """A template's import statements (one line each) and its code after the marker."""
    text = (TEMPLATES / f"{name}.py").read_text(encoding="utf-8")
    head, body = text.split(CODE_MARKER, 1)
    imports = tuple(
        ast.unparse(node)
        for node in ast.parse(head).body
        if isinstance(node, ast.Import)
        or (isinstance(node, ast.ImportFrom) and node.module != "__future__")
    )
    return imports, body.strip("\n")


def verify_source() -> str:
    return (TEMPLATES / "verify.py").read_text(encoding="utf-8")


def pipeline_source(run: RunFacts, codes: dict[str, StepCode], names: dict[str, str]) -> str:
    """pipeline.py: the helpers the steps need, each step's function, and ``run``."""
    used = {"common"} | {t for code in codes.values() for t in code.templates}
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


def requirements(run: RunFacts, extra: tuple[str, ...] = ()) -> str:
    """requirements.txt: what the pipeline needs, pinned to the run's recorded versions, then
    ``extra`` (what steps such as custom code declare)."""
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
    return "\n".join(lines) + "\n"


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def readme(run: RunFacts) -> str:
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

## Steps

{steps}
"""
