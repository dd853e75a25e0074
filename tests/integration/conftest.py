"""Real triplestore servers for the integration tests, started on loopback and stopped by PID.

``store_url`` is parametrized by store: the embedded store (``""``: the settings' default), the
Oxigraph server (PyPI ``oxigraph``) and Virtuoso (Debian ``virtuoso-opensource``). Each server
is started once per session in a temp dir; every test that uses it starts from a store with
no Ontolab graph in it. Virtuoso is installed here when missing (as root, with the preseeded
DBA password); without root the test fails with the command to run — it is never skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from server import definitions
from server.app import create_app
from server.platform import Platform, open_platform
from server.settings import Settings
from server.store import open_store
from tests.conftest import serving
from tests.integration.mlflow_venv import MlflowVenvs
from tests.processes import free_port, stop_process

VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
VIRTUOSO_INSTALL = (
    "echo 'virtuoso-opensource-7 virtuoso-opensource-7/dba-password password dba' "
    "| debconf-set-selections && "
    "echo 'virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password dba' "
    "| debconf-set-selections && "
    "DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "
    "virtuoso-opensource"
)
STORES = ["embedded", "oxigraph-server", "virtuoso"]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class StoreServer:
    """A triplestore server this session started: its store URL and how to stop it."""

    store_url: str
    process: subprocess.Popen[bytes]
    stop_command: list[str] | None = None

    def stop(self) -> None:
        if self.stop_command:
            subprocess.run(self.stop_command, capture_output=True, timeout=60)
            try:
                self.process.wait(30)
                return
            except subprocess.TimeoutExpired:
                pass
        stop_process(self.process, grace=10)


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args!r} exited with {process.returncode}:\n{_tail(log)}")
        try:
            if requests.get(
                url, headers={"Accept": "application/sparql-results+json"}, timeout=2
            ).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"{url} did not answer within {seconds:.0f} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


def start_oxigraph_server(directory: Path) -> StoreServer:
    """``oxigraph serve`` from the venv on a free loopback port."""
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.exists():
        pytest.fail(f"{binary} is missing; run `./installation.sh --dev` (dev extra `oxigraph`)")
    port = free_port()
    log = directory / "oxigraph.log"
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [
                str(binary),
                "serve",
                "--location",
                str(directory / "db"),
                "--bind",
                f"127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(f"{base}/query?query=ASK%7B%7D", process, log, 30)
    return StoreServer(f"oxigraph-server:{base}", process)


def ensure_virtuoso() -> None:
    if shutil.which("virtuoso-t") and shutil.which("isql-vt") and VIRTUOSO_INI.exists():
        return
    if os.geteuid() != 0:
        pytest.fail(f"Virtuoso is not installed; as root, run: {VIRTUOSO_INSTALL}")
    done = subprocess.run(["sh", "-c", VIRTUOSO_INSTALL], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"installing Virtuoso failed: {done.stderr[-2000:]}; run: {VIRTUOSO_INSTALL}")


def start_virtuoso(directory: Path) -> StoreServer:
    """A private Virtuoso database in ``directory``: loopback ports, anonymous SPARQL Update."""
    ensure_virtuoso()
    ini = directory / "virtuoso.ini"
    shutil.copy(VIRTUOSO_INI, ini)
    sql_port, http_port = free_port(), free_port()
    db = directory / "db"
    db.mkdir()
    keys = {
        ("Database", "DatabaseFile"): db / "virtuoso.db",
        ("Database", "ErrorLogFile"): db / "virtuoso.log",
        ("Database", "LockFile"): db / "virtuoso.lck",
        ("Database", "TransactionFile"): db / "virtuoso.trx",
        ("Database", "xa_persistent_file"): db / "virtuoso.pxa",
        ("TempDatabase", "DatabaseFile"): db / "virtuoso-temp.db",
        ("TempDatabase", "TransactionFile"): db / "virtuoso-temp.trx",
        ("Parameters", "ServerPort"): f"127.0.0.1:{sql_port}",
        ("HTTPServer", "ServerPort"): f"127.0.0.1:{http_port}",
        # Virtuoso silently cuts results at 10,000 rows; the store also refuses cut results.
        ("SPARQL", "ResultSetMaxRows"): "1000000",
        # Its cost estimator refuses small queries with several OPTIONALs (step_resources).
        ("SPARQL", "MaxQueryCostEstimationTime"): "0",
    }
    for (section, key), value in keys.items():
        subprocess.run(
            [
                "inifile",
                "+inifile",
                str(ini),
                "+section",
                section,
                "+key",
                key,
                "+value",
                str(value),
            ],
            check=True,
        )
    log = directory / "virtuoso.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["virtuoso-t", "+foreground", "+configfile", str(ini)],
            cwd=db,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{http_port}"
    wait_until_up(f"{base}/sparql?query=ASK%7B%7D", process, log, 60)
    isql = ["isql-vt", f"127.0.0.1:{sql_port}", "dba", "dba"]
    granted = subprocess.run(
        [*isql, 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'], capture_output=True, text=True
    )
    if granted.returncode != 0:
        process.kill()
        pytest.fail(f"granting SPARQL_UPDATE failed: {granted.stdout}{granted.stderr}")
    return StoreServer(f"virtuoso:{base}", process, stop_command=[*isql, "exec=shutdown;"])


_STARTERS = {"oxigraph-server": start_oxigraph_server, "virtuoso": start_virtuoso}


@pytest.fixture(scope="session")
def store_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, StoreServer]]:
    """Servers started on first use, all stopped at the end of the session."""
    started: dict[str, StoreServer] = {}

    class Lazy(dict[str, StoreServer]):
        def __missing__(self, name: str) -> StoreServer:
            started[name] = _STARTERS[name](tmp_path_factory.mktemp(name))
            self[name] = started[name]
            return started[name]

    yield Lazy()
    for server in started.values():
        server.stop()


def clear_ontolab_graphs(store_url: str) -> None:
    """Drop every Ontolab graph, so each test starts from an empty platform store."""
    store = open_store(store_url)
    try:
        rows = store.select(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
            'FILTER(STRSTARTS(STR(?g), "https://w3id.org/ontolab/")) }'
        )
        for row in rows:
            store.delete_graph(row["g"])  # type: ignore[arg-type]
    finally:
        store.close()


@pytest.fixture(scope="session")
def clear_store() -> Callable[[str], None]:
    """``clear_store(url)`` drops every Ontolab graph of a remote store."""
    return clear_ontolab_graphs


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, store_servers: dict[str, StoreServer]) -> str:
    """A store URL per backend (``""`` is the default embedded store), with no Ontolab graph."""
    if request.param == "embedded":
        return ""
    url = store_servers[request.param].store_url
    clear_ontolab_graphs(url)
    return url


@pytest.fixture(scope="module", params=STORES)
def module_store_url(request: pytest.FixtureRequest, store_servers: dict[str, StoreServer]) -> str:
    """``store_url`` for a whole module: its tests share one store per backend, which holds no
    Ontolab graph when the module starts on it."""
    if request.param == "embedded":
        return ""
    url = store_servers[request.param].store_url
    clear_ontolab_graphs(url)
    return url


@pytest.fixture
def store_settings(tmp_path: Path, store_url: str) -> Settings:
    """Settings for a fresh data dir on each store backend."""
    return Settings.load({"data": tmp_path / "data", "store": store_url or None}, environ={})


VENVS = pytest.StashKey[MlflowVenvs]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start making the MLflow venvs now if a collected test needs them (see mlflow_venv)."""
    if session.config.option.collectonly:
        return
    if any("mlflow_python" in getattr(item, "fixturenames", ()) for item in session.items):
        session.config.stash[VENVS] = MlflowVenvs()


def pytest_sessionfinish(session: pytest.Session) -> None:
    venvs = session.config.stash.get(VENVS, None)
    if venvs is not None:
        venvs.close()


@pytest.fixture(scope="session")
def mlflow_venvs(pytestconfig: pytest.Config) -> MlflowVenvs:
    """MLflow's venv and mlflow-export-import's, made once per test session with pip, in the
    background from the end of collection on; waited for here."""
    venvs = pytestconfig.stash.get(VENVS, None)
    if venvs is None:  # collection did not see a test needing it
        venvs = pytestconfig.stash[VENVS] = MlflowVenvs()
    venvs.wait()
    return venvs


@pytest.fixture(scope="session")
def mlflow_python(mlflow_venvs: MlflowVenvs) -> Path:
    """The Python of a venv holding the real ``mlflow`` (never installed beside Ontolab)."""
    return mlflow_venvs.mlflow_python


@pytest.fixture(scope="session")
def mlflow_export_python(mlflow_venvs: MlflowVenvs) -> Path:
    """The Python of a venv holding mlflow-export-import, which sees ``mlflow_python``'s."""
    return mlflow_venvs.export_python


@pytest.fixture
def ontolab(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``ontolab ARGS…`` as a user runs it: the CLI in a process of its own, on a data dir of
    the test's own, in the test's folder; bounded in time."""
    env = {**os.environ, "ONTOLAB_DATA": str(tmp_path / "data")}

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
        )

    return call


# -- exports run in a fresh venv (tests/integration/test_export.py, docker/) -----------------
PythonFor = Callable[[Path], Path]


@pytest.fixture(scope="session")
def python_for(tmp_path_factory: pytest.TempPathFactory) -> PythonFor:
    """``python_for(export)``: the Python of a venv made from ``export/requirements.txt`` with
    pip, one venv per distinct file content."""
    cache = tmp_path_factory.mktemp("export-venvs")
    made: dict[str, Path] = {}

    def python(export: Path) -> Path:
        requirements = export / "requirements.txt"
        key = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
        if key not in made:
            folder = cache / key
            subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
            pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q"]
            done = subprocess.run(
                [*pip, "-r", str(requirements)], capture_output=True, text=True, timeout=1200
            )
            assert done.returncode == 0, done.stderr[-3000:]
            made[key] = folder / "bin" / "python"
        return made[key]

    return python


def verify(
    python: Path, export: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python verify.py`` in ``export``, seeing none of the platform's code; ``env`` added
    to (or replacing) the environment's variables."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(python), "verify.py"],
        cwd=export,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=600,
    )


def assert_reproduced(done: subprocess.CompletedProcess[str], export: Path) -> None:
    assert done.returncode == 0, done.stdout + done.stderr
    expected = json.loads((export / "expected_metrics.json").read_text())
    for step, wanted in expected["steps"].items():
        for metric in wanted.get("metrics", {}):
            assert f"ok    {step}.{metric} = " in done.stdout
        if "predictions_sha256" in wanted:  # a validate step's (a code step's report has none)
            assert f"ok    {step}.predictions_sha256 = " in done.stdout
    assert "reproduces run" in done.stdout


@contextmanager
def example_served(data: Path, example: str, **overrides: Any) -> Iterator[tuple[Platform, str]]:
    """The platform on ``data`` (settings ``overrides``) served over HTTP after one succeeded
    run of ``examples/EXAMPLE.ttl``: ``(platform, base_url)``; closed afterwards."""
    platform = open_platform(Settings.load({"data": data, **overrides}, environ={}))
    with ExitStack() as stack:
        stack.callback(platform.close)
        api = stack.enter_context(serving(create_app(platform=platform)))
        text = (EXAMPLES / f"{example}.ttl").read_text()
        version = definitions.submit(platform.store, definitions.parse(text)).version
        record = platform.runs.run(version)
        assert record.status == "succeeded", record.error
        yield platform, api
