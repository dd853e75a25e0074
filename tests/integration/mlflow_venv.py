"""The venvs the MLflow interop tests run the real MLflow from, made by pip in the background.

Making them takes a minute or two, mostly waiting on downloads, so the integration conftest
starts them as soon as collection shows that a test will need them, and the tests go on
meanwhile; the ``mlflow_python`` fixture waits for them. MLflow is never installed beside
Ontolab: it gets a venv of its own, and mlflow-export-import one that sees MLflow's (a ``.pth``
file) so MLflow's venv is left as pip made it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.processes import stop_process

#: The MLflow the interop tests drive (its client against the platform; its stores to import).
MLFLOW_REQUIREMENT = "mlflow==3.17.2"
#: The tool whose ``export-all`` folders ``ontolab import mlflow`` reads (and its one missing dep).
EXPORT_IMPORT = ["mlflow-export-import==1.2.0", "tabulate"]
PIP = ["-m", "pip", "install", "-q", "--disable-pip-version-check"]


class MlflowVenvs:
    """``mlflow/`` (MLflow) and ``export/`` (mlflow-export-import) in a temp dir,
    made one pip process after the other by a background thread; ``close`` stops the current
    one by its PID and removes the dir."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.root = Path(tempfile.mkdtemp(prefix="ontolab-mlflow-venvs-"))
        self.log = self.root / "pip.log"
        mlflow, export = self.root / "mlflow", self.root / "export"
        self.mlflow_python = mlflow / "bin" / "python"
        self.export_python = export / "bin" / "python"
        steps = [
            [sys.executable, "-m", "venv", str(mlflow)],
            [str(self.mlflow_python), *PIP, MLFLOW_REQUIREMENT],
            [sys.executable, "-m", "venv", str(export)],
            # --no-deps: the tool's own pins must not replace MLflow's
            [str(self.export_python), *PIP, "--no-deps", *EXPORT_IMPORT],
        ]
        self.current: subprocess.Popen[bytes] | None = None
        self.failed: str | None = None
        self.closed = False
        self.thread = threading.Thread(target=self._make, args=(steps,), daemon=True)
        self.thread.start()

    def _make(self, steps: list[list[str]]) -> None:
        with self.log.open("wb") as out:
            for argv in steps:
                if self.closed:
                    return
                self.current = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
                if self.current.wait() != 0:
                    self.failed = f"{' '.join(argv)} exited with {self.current.returncode}"
                    return
                if argv[-1] == str(self.export_python.parent.parent):
                    # the tool's venv sees MLflow's (a .pth file), which stays as pip made it
                    pth = site_packages(self.export_python.parent.parent) / "mlflow-venv.pth"
                    pth.write_text(str(site_packages(self.mlflow_python.parent.parent)))

    def wait(self, timeout: float = 1200) -> None:
        """Until pip is done; ``pytest.fail`` with pip's output if it failed or took too long."""
        asked = time.monotonic()
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.close()
            pytest.fail(f"making the MLflow venvs took over {timeout:.0f} s:\n{self.tail()}")
        if self.failed:
            pytest.fail(f"making the MLflow venvs failed: {self.failed}\n{self.tail()}")
        ahead, waited = asked - self.started, time.monotonic() - asked
        print(
            f"[mlflow] venvs ready: begun {ahead:.0f} s before the tests asked, then {waited:.0f} s"
        )

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def close(self) -> None:
        self.closed = True
        if self.current is not None:
            stop_process(self.current)
        self.thread.join(30)
        shutil.rmtree(self.root, ignore_errors=True)


def site_packages(venv: Path) -> Path:
    """Where a venv made by this Python keeps its packages."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return venv / "lib" / version / "site-packages"
