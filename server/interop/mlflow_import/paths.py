"""Where an import may read: the source's own folder and the ``--artifacts`` folder, nothing
else. A path from the store (an ``artifact_uri``, a run folder, a file in it) that climbs out
with ``..`` or through a symbolic link is refused, so a crafted store cannot make the platform
copy a file such as ``~/.ssh/id_rsa`` into its artifact store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from server.interop.mlflow_import.model import MlflowArtifact


def local_path(uri: str | None) -> Path | None:
    """The local path of a ``file:`` URI or a plain path; None for any other scheme."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and os.name == "nt"):
        return Path(uri)
    return None


def within(path: Path, roots: Sequence[Path]) -> bool:
    """Whether ``path`` (links and ``..`` resolved) lies inside one of ``roots``."""
    resolved = path.resolve()
    return any(resolved == root or resolved.is_relative_to(root) for root in roots)


def confined(path: Path, roots: Sequence[Path]) -> str | None:
    """Why ``path`` may not be read (it has ``..`` or leads outside ``roots``), or None."""
    if ".." in path.parts:
        return f"{path} climbs out with '..'"
    if not within(path, roots):
        return f"{path} leads outside {', '.join(str(r) for r in roots)}"
    return None


def artifact_files(folder: Path, roots: Sequence[Path]) -> list[MlflowArtifact]:
    """Every file under a run's artifact folder, sorted; escaping ones come back refused."""
    if not folder.is_dir():
        return []
    return sorted(_walk(folder, folder, roots), key=lambda a: a.path)


def _walk(top: Path, folder: Path, roots: Sequence[Path]) -> Iterator[MlflowArtifact]:
    for entry in os.scandir(folder):
        path = Path(entry.path)
        relative = path.relative_to(top).as_posix()
        if entry.is_symlink():
            why = confined(path, roots)
            if why is not None:
                yield MlflowArtifact(relative, None, f"symbolic link {why}")
                continue
            if path.is_dir():  # not followed: a link inside the source could make a loop
                yield MlflowArtifact(relative, None, f"symbolic link to a folder: {path}")
                continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(top, path, roots)
        elif path.is_file():
            yield MlflowArtifact(relative, path)


def safe_relative(path: str) -> str | None:
    """Why a path given inside the store (``runs:/ID/PATH``) is unsafe, or None."""
    parts = Path(path).parts
    if Path(path).is_absolute() or ".." in parts:
        return f"{path!r} is absolute or climbs out with '..'"
    return None


def run_artifacts(candidates: Sequence[Path | None], roots: Sequence[Path]) -> list[MlflowArtifact]:
    """The files of the first candidate folder that exists inside ``roots``. A run whose only
    folder lies outside them yields one refused entry saying so (the fix: ``--artifacts``)."""
    outside = None
    for folder in candidates:
        if folder is None or not folder.is_dir():
            continue
        why = confined(folder, roots)
        if why is None:
            return artifact_files(folder, roots)
        outside = outside or why
    if outside is not None:
        return [
            MlflowArtifact(
                "*", None, f"the artifact folder {outside}; pass --artifacts DIR to allow it"
            )
        ]
    return []
