"""Uploaded datasets: CSV or Parquet in, stored as a versioned Parquet artifact and a graph.

An upload that cannot be read, or whose name is not a plain name, is refused before anything
is stored. Each version lives in its own named graph (``…/id/dataset/NAME/vN``), with the file
it was read from (``…/vN/file``: the uploaded bytes' sha256, size, media type and, from a
multipart upload, file name) as the entity the version ``prov:wasDerivedFrom``. Experiments use
it as ``ol:source "dataset:NAME"`` (newest) or ``"dataset:NAME@N"``; a run that reads it links
its extract step run and dataset to the version node (``resolve_version``). Its profile (the
explore phase) is computed once, by the upload (``compute_profile``); reading it back
(``stored_profile``) changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef

from executor.contract import ArtifactRef, StepSpec
from server.errors import DatasetError, NotFoundError
from server.graph import queries
from server.graph.clock import utc_now
from server.graph.namespaces import DCAT, DCTERMS, ID, OL, PROV, RDF
from server.graph.terms import python_value
from server.graph.write_terms import distribution_triples, iri
from server.provision.base import Provisioner
from server.runs.cache import StepCache
from server.store.base import Store
from server.tracking.artifacts import ArtifactStore, parquet_head

PARQUET = "application/vnd.apache.parquet"
READERS = {"text/csv": "read_csv", PARQUET: "read_parquet"}
# A name is a path segment of the dataset's IRI and of the API's URLs: no '.', '..', hidden or
# over-long names. Names stored by older versions stay readable (_REFERENCE, the GET routes).
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
_NAME = re.compile(NAME_PATTERN)
_REFERENCE = re.compile(r"dataset:([A-Za-z0-9_.-]+)(?:@([0-9]+))?")
_lock = threading.Lock()


@dataclass(frozen=True)
class DatasetVersion:
    name: str
    number: int
    iri: str
    sha256: str
    size: int
    rows: int
    columns: int
    created: str
    format: str

    @property
    def ref(self) -> ArtifactRef:
        return ArtifactRef(self.sha256, self.size, PARQUET)


@dataclass(frozen=True)
class UploadedFile:
    """The bytes an upload sent, as the version's graph records them (not stored as such: the
    version keeps its Parquet form)."""

    sha256: str
    size: int
    media_type: str
    file_name: str | None = None


def upload(
    store: Store,
    artifacts: ArtifactStore,
    name: str,
    data: bytes,
    media_type: str,
    file_name: str | None = None,
) -> DatasetVersion:
    """Read ``data`` as CSV or Parquet, store it as Parquet and record a new version.

    ``file_name`` is the name the client's file had (a multipart upload), recorded with the
    checksum of the bytes sent so that lineage reaches back to the file a user chose.
    """
    check_name(name)
    sent = UploadedFile(hashlib.sha256(data).hexdigest(), len(data), media_type, file_name)
    frame = _read(data, media_type)
    with artifacts.temp_file(".parquet") as path:  # removed on any error; swept if killed
        frame.to_parquet(path)
        ref = artifacts.put(path, PARQUET)
    with _lock:
        existing = versions(store, name)
        number = existing[0].number + 1 if existing else 1
        version = DatasetVersion(
            name=name,
            number=number,
            iri=f"{ID}dataset/{name}/v{number}",
            sha256=ref.sha256,
            size=ref.size,
            rows=len(frame),
            columns=len(frame.columns),
            created=utc_now(),
            format=media_type,
        )
        triples = _triples(version, list(frame.columns), sent)
        store.replace_graph(URIRef(version.iri), triples)
    return version


def check_name(name: str) -> None:
    """Refuse a name that is not 1-64 letters, digits, '_', '-', '.', led by a letter or digit."""
    if not _NAME.fullmatch(name):
        shown = name if len(name) <= 80 else name[:80] + "…"
        raise DatasetError(
            f"dataset name {shown!r} is not allowed: use 1 to 64 letters, digits, '_', '-' or "
            f"'.', starting with a letter or digit (pattern {NAME_PATTERN}); rename the dataset"
        )


def versions(store: Store, name: str) -> list[DatasetVersion]:
    rows = queries.select(store, "dataset_versions", name=name)
    return [
        DatasetVersion(
            name=name,
            number=int(python_value(r["number"])),
            iri=str(r["dataset"]),
            sha256=str(r["sha256"]),
            size=int(python_value(r["size"])),
            rows=int(python_value(r["rows"])),
            columns=int(python_value(r["columns"])),
            created=str(r["created"]),
            format=str(r["format"]),
        )
        for r in rows
    ]


def get(store: Store, name: str, number: int | None = None) -> DatasetVersion:
    found = versions(store, name)
    if not found:
        raise NotFoundError(f"no dataset {name!r} was uploaded; upload it with POST /api/datasets")
    if number is None:
        return found[0]
    for version in found:
        if version.number == number:
            return version
    numbers = ", ".join(str(v.number) for v in reversed(found))
    raise NotFoundError(f"dataset {name!r} has no version {number}; it has versions {numbers}")


def resolve(store: Store, artifacts: ArtifactStore, reference: str) -> Path | None:
    """The stored file behind ``dataset:NAME[@N]``, or None if ``reference`` is not one."""
    version = resolve_version(store, reference)
    return None if version is None else artifacts.path(version.sha256)


def resolve_version(store: Store, reference: str) -> DatasetVersion | None:
    """The version ``dataset:NAME[@N]`` names (``dataset:NAME``: the newest now), or None if
    ``reference`` is not such a reference; NotFoundError (with the fix) if it names none."""
    match = _REFERENCE.fullmatch(reference)
    if not match:
        return None
    number = int(match.group(2)) if match.group(2) else None
    return get(store, match.group(1), number)


def preview(artifacts: ArtifactStore, version: DatasetVersion, rows: int) -> dict[str, Any]:
    import pandas as pd  # here, not at the top: the CLI should not pay for it at start-up

    names, batch, _ = parquet_head(artifacts.path(version.sha256), rows)
    frame = pd.DataFrame(columns=names) if batch is None else batch.to_pandas()
    records = json.loads(frame.to_json(orient="split", date_format="iso"))
    return {"columns": records["columns"], "rows": records["data"], "total_rows": version.rows}


def compute_profile(
    provisioner: Provisioner,
    cache: StepCache,
    artifacts: ArtifactStore,
    work: Path,
    version: DatasetVersion,
) -> None:
    """Run the explore phase on the dataset as a step and keep its profile in the step cache.

    Called by the upload, so that reading the profile back has no side effect. Raises
    DatasetError when the step fails.
    """
    spec = _profile_spec(artifacts, version)
    if cache.get(spec) is not None:  # the same bytes were profiled before
        return
    result = provisioner.run_step(spec, work / spec.run_id, 600).result
    if result.status != "succeeded":
        message = result.error.message if result.error else "no error recorded"
        raise DatasetError(f"profiling dataset {version.name!r} failed: {message}")
    cache.put(spec, result, version.iri)


def stored_profile(
    cache: StepCache, artifacts: ArtifactStore, version: DatasetVersion
) -> dict[str, Any]:
    """The profile the upload computed; NotFoundError (with the fix) when there is none."""
    hit = cache.get(_profile_spec(artifacts, version))
    if hit is None or not hit.result.outputs:
        raise NotFoundError(
            f"dataset {version.name!r} version {version.number} has no stored profile (an older "
            "Ontolab uploaded it, its profiling failed, or the step cache was cleared); "
            f"upload the file again with POST /api/datasets?name={version.name}"
        )
    profile_ref = next(iter(hit.result.outputs.values()))
    loaded: dict[str, Any] = json.loads(artifacts.path(profile_ref.sha256).read_text())
    return loaded


def _profile_spec(artifacts: ArtifactStore, version: DatasetVersion) -> StepSpec:
    return StepSpec(
        run_id=f"profile-{version.sha256[:16]}",
        step_id="explore",
        phase="explore",
        parameters={"task": "classification"},
        inputs={"dataset": version.ref},
        artifact_root=str(artifacts.root.resolve()),
    )


def _read(data: bytes, media_type: str) -> Any:
    import pandas as pd  # here, not at the top: the CLI should not pay for it at start-up

    reader_name = READERS.get(media_type)
    if reader_name is None:
        raise DatasetError(
            f"cannot read an upload of type {media_type or 'unknown'}; send text/csv or "
            f"{PARQUET} (or a multipart file named *.csv / *.parquet)"
        )
    try:
        frame = getattr(pd, reader_name)(io.BytesIO(data))
    except Exception as exc:  # pandas and pyarrow raise many types for malformed files
        raise DatasetError(f"the upload is not readable as {media_type}: {exc}") from exc
    if frame.empty or len(frame.columns) == 0:
        raise DatasetError("the upload holds no rows; send a table with a header and data")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def file_iri(version_iri: str) -> URIRef:
    """The node of the file an upload sent, in the version's graph."""
    return URIRef(f"{version_iri}/file")


def _triples(
    version: DatasetVersion, columns: list[str], sent: UploadedFile
) -> list[tuple[Any, Any, Any]]:
    node = URIRef(version.iri)
    source = file_iri(version.iri)
    triples: list[tuple[Any, Any, Any]] = [
        (node, RDF.type, OL.Dataset),  # the store adds dcat:Dataset, mls:Dataset, prov:Entity
        (node, OL.uploaded, Literal(True)),
        (node, DCTERMS.identifier, Literal(version.name)),
        (node, OL.versionNumber, Literal(version.number)),
        (node, OL.sha256, Literal(version.sha256)),
        (node, OL.byteSize, Literal(version.size)),
        (node, DCAT.mediaType, Literal(PARQUET)),
        (node, DCTERMS.format, Literal(version.format)),
        (node, OL.rowCount, Literal(version.rows)),
        (node, OL.columnCount, Literal(version.columns)),
        (node, DCTERMS.created, Literal(datetime.fromisoformat(version.created))),
    ]
    triples += [(node, OL.featureColumn, Literal(c)) for c in columns]
    triples += distribution_triples(iri(version.iri), version.sha256, version.size, PARQUET)
    triples += [
        (node, PROV.wasDerivedFrom, source),
        (source, RDF.type, OL.UploadedFile),
        (source, OL.sha256, Literal(sent.sha256)),
        (source, OL.byteSize, Literal(sent.size)),
        (source, DCTERMS.format, Literal(sent.media_type)),
    ]
    if sent.file_name:
        triples.append((source, OL.fileName, Literal(sent.file_name)))
    return triples
