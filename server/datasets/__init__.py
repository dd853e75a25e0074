"""Uploaded datasets: CSV or Parquet in, versions by content hash, profiles, previews, the
``dataset:NAME@N`` references definitions use, and the reference profile a data validation step
compares with (``validation``).

``DatasetService`` (``service``) is what the API calls: the functions of ``uploads`` with the
platform's store, artifact store, provisioner and step cache bound.

May import: ``server.tracking.artifacts``, ``server.runs.cache`` (the step cache keeps profiles),
``server.provision`` (a profile is computed as a step), ``server.graph``, ``server.store``,
``server.errors``; ``server.registry`` (``validation`` resolves a check step's reference model
version to the profile its build stored). The package exports its service surface
(``from server import datasets``; ``datasets.upload(...)``).
"""

from server.datasets.service import DatasetService
from server.datasets.uploads import (
    NAME_PATTERN,
    PARQUET,
    READERS,
    DatasetVersion,
    UploadedFile,
    check_name,
    compute_profile,
    file_iri,
    get,
    preview,
    resolve,
    resolve_version,
    stored_profile,
    upload,
    versions,
)
from server.datasets.validation import resolve_reference

__all__ = [
    "NAME_PATTERN",
    "PARQUET",
    "READERS",
    "DatasetService",
    "DatasetVersion",
    "UploadedFile",
    "check_name",
    "compute_profile",
    "get",
    "file_iri",
    "preview",
    "resolve",
    "resolve_reference",
    "resolve_version",
    "stored_profile",
    "upload",
    "versions",
]
