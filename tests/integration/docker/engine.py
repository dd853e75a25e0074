"""A private Docker Engine for the docker tests: installed if missing, started, stopped by PID.

``dockerd --bridge=none --iptables=false``: host networking only, no bridge, no NAT rules, so
nothing is ever sent to a private-range address. Its data root lives in the cache dir
(``~/.cache/ontolab/dockerd``) so the runner image survives between test sessions; its exec
root, socket and pidfile live in a fresh temp dir.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from server.provision.image import default_cache_dir
from tests.processes import stop_process

PACKAGES = {
    "dockerd": "docker.io",
    "docker-compose": "docker-compose",
    "debootstrap": "debootstrap",
}
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600"]
INSTALL = "apt-get install -y docker.io docker-compose debootstrap  (or ./installation.sh --docker)"


class EngineUnavailable(Exception):
    """The engine could not be installed or started; the message says what to do."""


@dataclass
class Engine:
    host: str  # unix:///…/docker.sock
    process: subprocess.Popen[bytes]
    scratch: Path
    log: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": self.host}

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``/usr/bin/docker ARGS`` (Debian's client, matching the engine) against this engine."""
        return subprocess.run(
            ["/usr/bin/docker", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self) -> None:
        """SIGTERM to our dockerd (by its PID), SIGKILL after 30 s; then drop its temp dir."""
        stop_process(self.process)
        unmount_under(self.scratch)  # dockerd leaves exec/netns/default (nsfs) mounted
        shutil.rmtree(self.scratch, ignore_errors=True)


def unmount_under(folder: Path) -> None:
    prefix = f"{folder}/"
    with open("/proc/mounts") as mounts:
        points = [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]
    for point in sorted(points, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


def ensure_installed() -> None:
    missing = [pkg for tool, pkg in PACKAGES.items() if not _which(tool)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise EngineUnavailable(
            f"{', '.join(missing)} missing and not root; run as root: {INSTALL}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in ([*APT, "update", "-qq"], [*APT, "install", "-y", "-qq", *missing]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise EngineUnavailable(f"`{' '.join(argv)}` failed: {done.stderr[-2000:]}; {INSTALL}")


def start_engine(timeout: float = 90) -> Engine:
    ensure_installed()
    data_root = default_cache_dir() / "dockerd"
    data_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="oldk-", dir="/tmp"))  # short: socket paths
    log = scratch / "dockerd.log"
    socket = scratch / "docker.sock"
    argv = [
        _which("dockerd") or "dockerd",
        "--bridge=none",
        "--iptables=false",
        f"--data-root={data_root}",
        f"--exec-root={scratch / 'exec'}",
        f"--pidfile={scratch / 'docker.pid'}",
        f"--host=unix://{socket}",
    ]
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            argv,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    engine = Engine(host=f"unix://{socket}", process=process, scratch=scratch, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if (
            socket.exists()
            and engine.cli("version", "--format", "{{.Server.Version}}", timeout=10).returncode == 0
        ):
            return engine
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:]
    engine.stop()
    raise EngineUnavailable(
        f"dockerd did not start within {timeout:g} s (`{' '.join(argv)}`); its log ends:\n{tail}"
    )


def _which(tool: str) -> str | None:
    return shutil.which(tool) or next(
        (str(p) for p in (Path("/usr/sbin") / tool, Path("/usr/bin") / tool) if p.exists()), None
    )
