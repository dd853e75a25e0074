"""Uploaded datasets: CSV or Parquet in, versions by content hash, profiles, previews, and the
``dataset:NAME@N`` references definitions use.

May import: ``server.tracking.artifacts``, ``server.graph``, ``server.store``, ``server.errors``.
The package exports its service surface (``from server import datasets``; ``datasets.upload(...)``).
"""

from server.datasets.uploads import (
    NAME_PATTERN,
    PARQUET,
    READERS,
    DatasetVersion,
    check_name,
    compute_profile,
    get,
    preview,
    resolve,
    stored_profile,
    upload,
    versions,
)

__all__ = [
    "NAME_PATTERN",
    "PARQUET",
    "READERS",
    "DatasetVersion",
    "check_name",
    "compute_profile",
    "get",
    "preview",
    "resolve",
    "stored_profile",
    "upload",
    "versions",
]
