"""``client.experiments``: submit, validate, list, get, versions, delete."""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ontolab._http import Transport
from ontolab._http import segment as _segment
from ontolab.definition import Experiment
from ontolab.types import ExperimentSummary, ExperimentVersion, Validation

_SUFFIXES = {
    ".ttl": "text/turtle",
    ".turtle": "text/turtle",
    ".jsonld": "application/ld+json",
    ".json-ld": "application/ld+json",
    ".json": "application/json",
}
_FORMATS = {
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "json-ld": "application/ld+json",
    "jsonld": "application/ld+json",
    "document": "application/json",
    "json": "application/json",
}
Definition = str | os.PathLike[str] | Experiment | Mapping[str, Any] | Any
Code = str | os.PathLike[str] | bytes | None
#: The folder a definition with code steps brings beside it unless ``ol:codeFolder`` names one.
_CODE_FOLDER = "code"
_SKIPPED = {"__pycache__", ".git", ".venv", ".mypy_cache", ".pytest_cache"}


def code_bundle(definition: Definition, body: bytes, code: Code = None) -> bytes | None:
    """The zipped code folder to send with a definition: ``code`` (a folder, a zip file or zip
    bytes) when given; else, for a definition file with code steps, the folder its
    ``ol:codeFolder`` names or ``code/`` beside it (as ``ontolab submit`` bundles it)."""
    if isinstance(code, bytes):
        return code
    if code is not None:
        given = Path(code)
        return given.read_bytes() if given.is_file() else _zip(given)
    path: Path | None = Path(definition) if isinstance(definition, os.PathLike) else None
    if isinstance(definition, str) and "\n" not in definition and Path(definition).is_file():
        path = Path(definition)
    text = body.decode("utf-8", "replace")
    if path is None or "CodeStep" not in text:
        return None
    named = re.search(r'codeFolder"?\s*:?\s*"([^"]+)"', text)
    folder = path.resolve().parent / (named.group(1) if named else _CODE_FOLDER)
    return _zip(folder) if folder.is_dir() else None


def _zip(folder: Path) -> bytes:
    """``folder``'s files (sorted; no caches, links or compiled files) as zip bytes."""
    if not folder.is_dir():
        raise ValueError(f"the code folder {folder} does not exist; give a folder or a zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED)
            for name in sorted(files):
                file = Path(root) / name
                if not file.is_symlink() and not name.endswith(".pyc"):
                    archive.write(file, file.relative_to(folder).as_posix())
    return buffer.getvalue()


def encode(definition: Definition, format: str | None = None) -> tuple[bytes, str]:
    """The body and Content-Type for a definition given in any of the accepted forms.

    Args:
        definition: an ``Experiment``; a path to a ``.ttl``, ``.jsonld`` or ``.json`` (pipeline
            document) file; Turtle or JSON-LD text; a dict (a pipeline document, or JSON-LD
            when it has ``@context``/``@graph``); an rdflib ``Graph``.
        format: ``turtle``, ``json-ld`` or ``document`` when the form does not tell.
    """
    if isinstance(definition, Experiment):
        return definition.to_turtle().encode(), "text/turtle"
    if isinstance(definition, os.PathLike):
        return _file(Path(definition), format)
    if isinstance(definition, Mapping):
        jsonld = any(k in definition for k in ("@context", "@graph", "@id"))
        media = _media(format) if format else "application/ld+json" if jsonld else None
        return json.dumps(definition).encode(), media or "application/json"
    if isinstance(definition, str):
        return _text(definition, format)
    if hasattr(definition, "serialize"):  # an rdflib Graph, without importing rdflib
        text = definition.serialize(format="turtle")
        return (text if isinstance(text, bytes) else text.encode()), "text/turtle"
    raise TypeError(
        f"cannot submit a {type(definition).__name__}; give an Experiment, a file path, "
        "Turtle or JSON-LD text, a pipeline document (dict) or an rdflib Graph"
    )


def _media(format: str) -> str:
    if format.lower() not in _FORMATS:
        raise ValueError(f"unknown format {format!r}; use turtle, json-ld or document")
    return _FORMATS[format.lower()]


def _file(path: Path, format: str | None) -> tuple[bytes, str]:
    media = _media(format) if format else _SUFFIXES.get(path.suffix.lower())
    if media is None:
        raise ValueError(
            f"cannot tell the format of {path} from its suffix; name it .ttl, .jsonld or "
            ".json, or pass format='turtle' | 'json-ld' | 'document'"
        )
    return path.read_bytes(), media


def _text(text: str, format: str | None) -> tuple[bytes, str]:
    if "\n" not in text and not text.lstrip().startswith(("{", "@")) and Path(text).is_file():
        return _file(Path(text), format)
    if format:
        return text.encode(), _media(format)
    if text.lstrip().startswith(("{", "[")):
        document = json.loads(text)
        return (
            encode(document)
            if isinstance(document, dict)
            else (
                text.encode(),
                "application/ld+json",
            )
        )
    return text.encode(), "text/turtle"


class Experiments:
    """Experiment definitions: each submission of new content becomes a new version."""

    def __init__(self, transport: Transport) -> None:
        self._http = transport

    def submit(
        self, definition: Definition, *, format: str | None = None, code: Code = None
    ) -> ExperimentVersion:
        """Store a definition (SHACL-validated); the stored version when its content is known.

        ``created_new_version`` says which. Raises ``BadRequest`` listing the violations.
        A definition with code steps travels with its code: ``code`` (a folder, a zip file or
        zip bytes), or for a definition file the folder beside it (``ol:codeFolder``, else
        ``code/``), sent zipped as the multipart part ``code``.
        """
        body, media = encode(definition, format)
        bundle = code_bundle(definition, body, code)
        if bundle is None:
            data = self._http.json(
                "POST", "/api/experiments", data=body, headers={"Content-Type": media}
            )
        else:
            files = {
                "definition": ("definition", body, media),
                "code": ("code.zip", bundle, "application/zip"),
            }
            data = self._http.json("POST", "/api/experiments", files=files)
        return ExperimentVersion.from_json(data)

    def validate(
        self, definition: Definition, *, format: str | None = None, reason: bool = False
    ) -> Validation:
        """Validate and plan a definition without storing it (``reason``: the OWL check too)."""
        body, media = encode(definition, format)
        data = self._http.json(
            "POST",
            "/api/experiments/validate",
            params={"reason": reason or None},
            data=body,
            headers={"Content-Type": media},
        )
        return Validation.from_json(data)

    def list(self) -> builtins.list[ExperimentSummary]:
        """Every experiment with its newest version number."""
        data = self._http.json("GET", "/api/experiments")
        return [ExperimentSummary.from_json(e) for e in data["experiments"]]

    def versions(self, identifier: str) -> builtins.list[ExperimentVersion]:
        """Every version of an experiment, each with its Turtle."""
        data = self._http.json("GET", f"/api/experiments/{_segment(identifier)}")
        return [ExperimentVersion.from_json(v) for v in data["versions"]]

    def get(self, identifier: str, version: int | None = None) -> ExperimentVersion:
        """One version (the newest when ``version`` is None), with its Turtle."""
        if version is None:
            return max(self.versions(identifier), key=lambda v: v.version)
        path = f"/api/experiments/{_segment(identifier)}/versions/{int(version)}"
        return ExperimentVersion.from_json(self._http.json("GET", path))

    def delete(self, identifier: str) -> dict[str, Any]:
        """Delete an experiment's versions and runs (cancelling those in flight first)."""
        result: dict[str, Any] = self._http.json(
            "DELETE", f"/api/experiments/{_segment(identifier)}"
        )
        return result
