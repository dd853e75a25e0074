"""Build the runner image offline: no registry, no ``docker pull``.

Two layers, each named by a content hash so it is built once:

1. **Base** ``ontolab-runner-base:HASH`` (HASH of ``executor/requirements.txt`` and this
   recipe): a Debian rootfs made by ``debootstrap --variant=minbase`` with a venv at
   ``/opt/venv`` holding the pinned deps, installed from a wheelhouse that the host's pip
   downloaded (so nothing inside the chroot touches the network), then ``docker import``-ed.
   The rootfs tar, the wheelhouse and a ``docker save | gzip -1`` of the base image are kept
   in the cache dir (``~/.cache/ontolab``), so a second build on the same machine only loads.
2. **Runner** (the configured name, default ``ontolab-runner:latest``): the base plus the
   ``executor`` package, built by ``docker build`` ``FROM`` the local base (nothing pulled),
   labelled with the hash of the executor sources and skipped when that label matches.

Where a registry is reachable, ``docker build -f executor/Dockerfile .`` builds the same
runner the ordinary way (FROM python:3.11-slim).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.errors import ConfigError

RECIPE_VERSION = "2"  # 2: libgomp1 in the rootfs (LightGBM needs it)
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
#: What the rootfs has beside Debian's minbase: the venv's Python, and the OpenMP runtime that
#: LightGBM's wheel links against (scikit-learn's wheels bring their own).
DEBIAN_PACKAGES = ("python3-venv", "libgomp1")
BASE_REPOSITORY = "ontolab-runner-base"
SOURCE_LABEL = "org.ontolab.executor-hash"
VENV_PATH = "ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
EXECUTOR_DIR = Path(__file__).resolve().parents[2] / "executor"
REQUIREMENTS = EXECUTOR_DIR / "requirements.txt"
INSTALL_HINT = "run `./installation.sh --docker` (as root) to install docker.io and debootstrap"

Say = Callable[[str], None]


@dataclass(frozen=True)
class BuiltImage:
    name: str
    id: str
    base: str
    built: list[str]  # what had to be made this time: "base", "runner"; empty when cached


def default_cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "ontolab"


def base_tag() -> str:
    digest = hashlib.sha256()
    digest.update(f"{RECIPE_VERSION}|{SUITE}|{VENV_PATH}|".encode())
    digest.update(REQUIREMENTS.read_bytes())
    return f"{BASE_REPOSITORY}:{digest.hexdigest()[:16]}"


def executor_hash(base: str) -> str:
    """Hash of the base tag and every executor source file the image carries."""
    digest = hashlib.sha256(base.encode())
    for path in _executor_files():
        digest.update(str(path.relative_to(EXECUTOR_DIR)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_runner_image(
    client: Any, name: str, cache_dir: Path | None = None, say: Say = print
) -> BuiltImage:
    """Make sure image ``name`` holds the current executor on the current pinned deps."""
    cache = cache_dir or default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    built: list[str] = []
    base = base_tag()
    if not _has_image(client, base):
        _obtain_base(client, base, cache, say)
        built.append("base")
    source_hash = executor_hash(base)
    current = _get_image(client, name)
    if current is None or (current.labels or {}).get(SOURCE_LABEL) != source_hash:
        say(f"building {name} from {base} with the executor sources")
        current = _build_runner(client, base, name, source_hash)
        built.append("runner")
    return BuiltImage(name=name, id=current.id, base=base, built=built)


def _obtain_base(client: Any, base: str, cache: Path, say: Say) -> None:
    saved = cache / f"{base.replace(':', '-')}.tar.gz"
    if saved.is_file():
        say(f"loading {base} from {saved}")
        with open(saved, "rb") as handle:
            client.images.load(handle)
        if _has_image(client, base):
            return
    rootfs_tar = _rootfs_tar(cache, say)
    wheels = _wheelhouse(cache, say)
    with tempfile.TemporaryDirectory(prefix="ontolab-rootfs-") as scratch:
        rootfs = Path(scratch) / "rootfs"
        rootfs.mkdir()
        _run(["tar", "-C", str(rootfs), "-xf", str(rootfs_tar)])
        say("installing the pinned Python deps into the rootfs (offline, from the wheelhouse)")
        _install_venv(rootfs, wheels)
        image_tar = Path(scratch) / "image.tar"
        _run(["tar", "-C", str(rootfs), "-cf", str(image_tar), "."])
        shutil.rmtree(rootfs)
        say(f"importing {base}")
        repository, tag = base.split(":")
        client.api.import_image(
            src=str(image_tar), repository=repository, tag=tag, changes=[VENV_PATH]
        )
    say(f"saving {base} to {saved} for the next build")
    _save(client, base, saved)


def _rootfs_tar(cache: Path, say: Say) -> Path:
    target = cache / f"rootfs-{SUITE}-minbase-{'-'.join(DEBIAN_PACKAGES)}.tar"
    if target.is_file():
        return target
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not Path(debootstrap).exists():
        raise ConfigError(f"debootstrap is not installed; {INSTALL_HINT}")
    say(f"debootstrap {SUITE} (minbase + {', '.join(DEBIAN_PACKAGES)}), about 30 s")
    with tempfile.TemporaryDirectory(prefix="ontolab-debootstrap-") as scratch:
        rootfs = Path(scratch) / "rootfs"
        _run(
            [
                debootstrap,
                "--variant=minbase",
                f"--include={','.join(DEBIAN_PACKAGES)}",
                SUITE,
                str(rootfs),
                MIRROR,
            ]
        )
        _run(
            ["rm", "-rf", str(rootfs / "var/cache/apt/archives"), str(rootfs / "var/lib/apt/lists")]
        )
        partial = target.with_suffix(".partial")
        _run(["tar", "-C", str(rootfs), "-cf", str(partial), "."])
        partial.rename(target)
    return target


def _wheelhouse(cache: Path, say: Say) -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    target = cache / f"wheels-{digest}"
    if (target / ".complete").is_file():
        return target
    say("downloading the pinned wheels on the host (pip download)")
    target.mkdir(parents=True, exist_ok=True)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--platform",
            "manylinux2014_x86_64",
            "--platform",
            "manylinux_2_28_x86_64",
            "--platform",
            "manylinux_2_17_x86_64",
            "-d",
            str(target),
            "-r",
            str(REQUIREMENTS),
        ]
    )
    (target / ".complete").touch()
    return target


def _install_venv(rootfs: Path, wheels: Path) -> None:
    shutil.copytree(wheels, rootfs / "tmp/wheels")
    shutil.copy(REQUIREMENTS, rootfs / "tmp/requirements.txt")
    proc = rootfs / "proc"
    proc.mkdir(exist_ok=True)
    _run(["mount", "-t", "proc", "proc", str(proc)])
    try:
        script = (
            "python3 -m venv /opt/venv && /opt/venv/bin/pip install -q --no-index "
            "--find-links /tmp/wheels -r /tmp/requirements.txt"
        )
        # env -i: the host's PIP_* settings must not leak into the chroot.
        _run(
            [
                "env",
                "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "chroot",
                str(rootfs),
                "sh",
                "-c",
                script,
            ]
        )
    finally:
        _run(["umount", str(proc)])
    shutil.rmtree(rootfs / "tmp/wheels")
    (rootfs / "tmp/requirements.txt").unlink()


def _build_runner(client: Any, base: str, name: str, source_hash: str) -> Any:
    with tempfile.TemporaryDirectory(prefix="ontolab-runner-") as scratch:
        context = Path(scratch)
        for path in _executor_files():
            target = context / "executor" / path.relative_to(EXECUTOR_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        (context / "Dockerfile").write_text(
            f"FROM {base}\n"
            "COPY executor /opt/ontolab/executor\n"
            "ENV PYTHONPATH=/opt/ontolab PYTHONUNBUFFERED=1\n"
            "WORKDIR /tmp\n"
        )
        try:
            image, _ = client.images.build(
                path=str(context),
                tag=name,
                labels={SOURCE_LABEL: source_hash},
                rm=True,
                forcerm=True,
                pull=False,
                network_mode="host",
            )
        except Exception as exc:  # docker.errors.BuildError / APIError
            raise ConfigError(f"cannot build the runner image {name}: {exc}") from exc
    return image


def _save(client: Any, tag: str, target: Path) -> None:
    partial = target.with_suffix(".partial")
    with gzip.open(partial, "wb", compresslevel=1) as out:
        for chunk in client.images.get(tag).save(named=True):
            out.write(chunk)
    partial.rename(target)


def _executor_files() -> list[Path]:
    return sorted(
        p
        for p in EXECUTOR_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".txt")
    )


def _has_image(client: Any, name: str) -> bool:
    return _get_image(client, name) is not None


def _get_image(client: Any, name: str) -> Any:
    import docker.errors

    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise ConfigError(
            f"`{' '.join(argv[:4])} …` failed ({done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-2000:]}; {INSTALL_HINT} and build as root"
        )
