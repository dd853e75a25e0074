"""Code bundles: an experiment's code folder as one zip, which travels with its definition.

The CLI zips the folder beside the definition (:func:`code_folder`, :func:`zip_folder`: the
same files give the same bytes, so the same code is the same version); the API takes the zip as
the multipart part ``code``. Either way :func:`checked_bundle` refuses an unsafe zip before
anything is stored, and :func:`attach` names the stored bundle in the definition graph
(``ol:codeBundle``, with its sha256, size and media type), so its checksum is part of the
version's content and a stored version can be run again from the store alone.

A new version may also reuse a bundle an earlier version of the same experiment brought, named
by its sha256 alone (:func:`experiment_bundles` lists them, :func:`picked_bundle` accepts only
one of those): the request never names a path, and a checksum this experiment never stored is
refused.

Nothing here imports or runs the author's code: code steps run only in step processes or
containers (``executor.phases.code``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from executor.contract import (
    CODE_BUNDLE_MEDIA_TYPE,
    ArtifactRef,
    BundleError,
    check_bundle,
    extract_bundle,
)
from server.definitions.validation import experiment_node
from server.errors import CodeBundleError
from server.graph import queries
from server.graph.namespaces import OL, code_bundle_iri
from server.graph.terms import plain_row
from server.store.base import ReadableStore

DCAT_MEDIA_TYPE = URIRef("http://www.w3.org/ns/dcat#mediaType")
DEFAULT_FOLDER = "code"
# Never part of a bundle: caches, version control, virtual environments.
_SKIPPED_DIRS = {"__pycache__", ".git", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can state: bytes depend on content only
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHOWN = 80  # of a refused checksum, the characters a message repeats


@dataclass(frozen=True)
class StoredBundle:
    """A code bundle some stored versions of an experiment name, oldest version first."""

    ref: ArtifactRef
    versions: tuple[int, ...]


def has_code_steps(graph: Graph) -> bool:
    return any(True for _ in graph.subjects(RDF.type, OL.CodeStep))


def code_folder(definition: Path, graph: Graph) -> Path | None:
    """The folder to bundle with the definition at ``definition``: ``ol:codeFolder`` (relative
    to the definition's folder), else ``code/`` beside it when the definition has code steps."""
    named = next(iter(graph.objects(None, OL.codeFolder)), None)
    base = definition.resolve().parent
    if named is not None:
        folder = (base / str(named)).resolve()
        if not folder.is_relative_to(base) or not folder.is_dir():
            raise CodeBundleError(
                f"ol:codeFolder {str(named)!r} is not a folder inside {base}; create it beside "
                "the definition or change ol:codeFolder"
            )
        return folder
    default = base / DEFAULT_FOLDER
    return default if has_code_steps(graph) and default.is_dir() else None


def zip_folder(folder: Path, target: Path) -> Path:
    """Zip ``folder``'s files (sorted, fixed times, no links or caches) into ``target``."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
            for name in sorted(files):
                path = Path(root) / name
                if path.is_symlink() or name.endswith(".pyc"):
                    continue
                info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), _FIXED_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return target


def checked_bundle(path: Path) -> ArtifactRef:
    """The bundle at ``path`` as a reference (sha256, size); CodeBundleError if it is unsafe."""
    try:
        check_bundle(path)
    except BundleError as exc:
        raise CodeBundleError(str(exc)) from exc
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return ArtifactRef(digest, path.stat().st_size, CODE_BUNDLE_MEDIA_TYPE)


def attach(graph: Graph, bundle: ArtifactRef) -> None:
    """Name ``bundle`` as the experiment's code in ``graph``, replacing any it named before."""
    experiment = experiment_node(graph)
    for old in list(graph.objects(experiment, OL.codeBundle)):
        graph.remove((experiment, OL.codeBundle, old))
        graph.remove((old, None, None))
    node = code_bundle_iri(bundle.sha256)
    graph.add((experiment, OL.codeBundle, node))
    graph.add((node, RDF.type, OL.CodeBundle))
    graph.add((node, OL.sha256, Literal(bundle.sha256)))
    graph.add((node, OL.byteSize, Literal(bundle.size)))
    graph.add((node, DCAT_MEDIA_TYPE, Literal(bundle.media_type)))


def bundle_beside(
    definition: Path, graph: Graph, put: Callable[[Path, str], ArtifactRef] | None = None
) -> ArtifactRef | None:
    """Zip the code folder of the definition at ``definition`` (if it has one), check it, store
    it with ``put`` (None: check only, as validation does) and :func:`attach` it to ``graph``."""
    folder = code_folder(definition, graph)
    if folder is None:
        return None
    with tempfile.TemporaryDirectory(prefix="ontolab-code-") as scratch:
        path = zip_folder(folder, Path(scratch) / "code.zip")
        ref = checked_bundle(path)
        if put is not None:
            put(path, CODE_BUNDLE_MEDIA_TYPE)
    attach(graph, ref)
    return ref


def normalised_bundle(sent: Path, scratch: Path) -> Path:
    """The zip a client sent, checked and packed again as :func:`zip_folder` packs a folder,
    so the same files give the same sha256 (and the same version) whatever zipped them."""
    checked_bundle(sent)
    unpacked = extract_bundle(sent, scratch / "unpacked")
    return zip_folder(unpacked, scratch / "normalised.zip")


def require_bundle(graph: Graph) -> None:
    """CodeBundleError when ``graph`` has code steps but names no code bundle: such a version
    could never run, so it is not stored."""
    steps = sorted(str(s).rsplit("#", 1)[-1] for s in graph.subjects(RDF.type, OL.CodeStep))
    if steps and next(iter(graph.objects(None, OL.codeBundle)), None) is None:
        raise CodeBundleError(
            f"the definition has code steps ({', '.join(steps)}) but no code came with it; put "
            "the code folder beside the definition (code/, or the folder ol:codeFolder names) "
            "and submit with `ontolab submit FILE`, or send the zip as the multipart part "
            "`code` of POST /api/experiments"
        )


def experiment_bundles(store: ReadableStore, identifier: str) -> list[StoredBundle]:
    """The code bundles the stored versions of experiment ``identifier`` name, the one the
    newest version names first."""
    found: dict[str, tuple[ArtifactRef, list[int]]] = {}
    for row in queries.select(store, "experiment_code_bundles", identifier=identifier):
        values = plain_row(row)
        media_type = values.get("media_type") or CODE_BUNDLE_MEDIA_TYPE
        ref = ArtifactRef(str(values["sha256"]), int(values["size"]), str(media_type))
        found.setdefault(ref.sha256, (ref, []))[1].append(int(values["number"]))
    bundles = [StoredBundle(ref, tuple(sorted(set(n)))) for ref, n in found.values()]
    return sorted(bundles, key=lambda b: b.versions[-1], reverse=True)


def picked_bundle(store: ReadableStore, graph: Graph, sha256: str) -> ArtifactRef:
    """The bundle an earlier version of ``graph``'s experiment brought, named by ``sha256``.

    Raises:
        CodeBundleError: no stored version of this experiment names that checksum (a string
            that is no checksum, one of another experiment's bundles, or none at all).
    """
    identifier = str(graph.value(experiment_node(graph), DCTERMS.identifier) or "")
    known = {}
    if identifier and _SHA256.fullmatch(sha256):
        known = {b.ref.sha256: b.ref for b in experiment_bundles(store, identifier)}
    if sha256 not in known:
        shown = sha256 if len(sha256) <= _SHOWN else sha256[:_SHOWN] + "…"
        raise CodeBundleError(
            f"no code bundle with sha256 {shown!r} is stored for experiment {identifier!r}; "
            f"pick one GET /api/experiments/{identifier or 'ID'}/code-bundles lists, or send "
            "the zipped code folder as the multipart part `code`"
        )
    return known[sha256]
