"""Export a succeeded run as a folder of standalone code, or as a zip of that folder.

Everything comes from the graph and the artifact store (``run_facts``, the artifacts it names):
never from the files a definition pointed at. All of it is gathered and every artifact checked
before the first byte is written, so a refused export writes nothing.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from rdflib import Graph

from server.errors import ExportError, RunStateConflict
from server.graph import queries
from server.graph.namespaces import PREFIXES, run_iri
from server.interop import assemble
from server.interop.generators import ExportContext, StepCode, generate
from server.interop.run_facts import RunFacts, read_run
from server.store.base import Store
from server.tracking.artifacts import ArtifactStore

Files = dict[str, Path | bytes]  # path in the export → a file to copy, or the bytes


def export_files(store: Store, artifacts: ArtifactStore, run_id: str) -> Files:
    """Every file of the export of run ``run_id``.

    Raises:
        NotFoundError: no such run (or an artifact it names is gone).
        RunStateConflict: the run has not succeeded.
        ExportError: a step of a kind export cannot write as code.
    """
    run = read_run(store, run_id)
    if run.status != "succeeded":
        raise RunStateConflict(
            f"run {run_id} is {run.status}; only a succeeded run can be exported (its metrics "
            f"are what verify.py checks); rerun it with `ontolab run {run.experiment}` and "
            "export the new run"
        )
    names = _function_names(run)
    context = ExportContext(run, artifacts, names)
    codes: dict[str, StepCode] = {step.id: generate(context, step) for step in run.steps}
    needs = tuple(need for code in codes.values() for need in code.needs)
    files: Files = {}
    for code in codes.values():
        files.update(code.files)
    files |= {
        "pipeline.py": assemble.pipeline_source(run, codes, names).encode(),
        "verify.py": assemble.verify_source().encode(),
        "params.json": _json(context.parameters),
        "requirements.txt": assemble.requirements(
            run, tuple(line for code in codes.values() for line in code.requirements), needs
        ).encode(),
        "data_manifest.json": _json(
            {"run_id": run_id, "files": [e for c in codes.values() for e in c.manifest]}
        ),
        "expected_metrics.json": _json(_expected(run, codes)),
        "provenance.ttl": provenance_turtle(store, run_id),
        "README.md": assemble.readme(run, needs).encode(),
    }
    return files


def _function_names(run: RunFacts) -> dict[str, str]:
    names: dict[str, str] = {}
    for step in run.steps:
        name = "step_" + re.sub(r"\W", "_", step.id)
        while name in names.values():
            name += "_"
        names[step.id] = name
    return names


def _expected(run: RunFacts, codes: dict[str, StepCode]) -> dict[str, Any]:
    steps = {sid: code.expected for sid, code in codes.items() if code.expected is not None}
    return {
        "run_id": run.run_id,
        "experiment": run.experiment,
        "version": run.version,
        "relative_tolerance": 1e-12,
        "steps": steps,
    }


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


def provenance_turtle(store: Store, run_id: str) -> bytes:
    """The run's named graph and the graphs it links to, as one Turtle document."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    text = queries.load("run_provenance").render(run=str(run_iri(run_id)))
    for triple in store.construct(text):
        graph.add(triple)
    return graph.serialize(format="turtle").encode()


def check_target(target: Path, force: bool = False) -> None:
    """Refuse a ``target`` that is a file, or a non-empty folder unless ``force``."""
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target} is a file; give a folder path to export into")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ExportError(
            f"{target} is not empty; give a new or empty folder, or pass --force to write "
            "the export over its files"
        )


def write_folder(files: Files, target: Path, force: bool = False) -> None:
    """Write ``files`` under ``target``; refuse a non-empty ``target`` unless ``force``.

    A new folder is written beside ``target`` and renamed into place, so a failure leaves
    nothing behind; with ``force`` the files are written over what ``target`` holds.
    """
    check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _write(files, scratch)
        if target.is_dir() and force:
            shutil.copytree(scratch, target, dirs_exist_ok=True)
        else:
            if target.is_dir():
                target.rmdir()  # empty
            os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write(files: Files, folder: Path) -> None:
    for name, content in sorted(files.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, path)
        else:
            path.write_bytes(content)


def zip_bytes(files: Files, folder: str) -> bytes:
    """``files`` as a zip whose entries lie under ``folder/``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            data = content.read_bytes() if isinstance(content, Path) else content
            archive.writestr(f"{folder}/{name}", data)
    return buffer.getvalue()


def export_run(
    store: Store, artifacts: ArtifactStore, run_id: str, target: Path, force: bool = False
) -> list[str]:
    """Write the export of run ``run_id`` into folder ``target``; the paths written."""
    check_target(target, force)  # before anything is read
    files = export_files(store, artifacts, run_id)
    write_folder(files, target, force)
    return sorted(files)


def export_zip(store: Store, artifacts: ArtifactStore, run_id: str) -> bytes:
    """The export of run ``run_id`` as a zip (its entries under ``ontolab-run-ID/``)."""
    return zip_bytes(export_files(store, artifacts, run_id), f"ontolab-run-{run_id}")
