"""The one configuration object, layered and checked once at start-up.

Defaults → optional TOML file (``ONTOLAB_CONFIG``) → ``ONTOLAB_*`` environment variables →
explicit overrides (CLI flags, tests). A bad value names the variable to fix.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executor.contract import SKLEARN_ESTIMATORS, parse_entry
from server.errors import ConfigError

ENV_PREFIX = "ONTOLAB_"
PROVISIONERS = ("local", "docker", "swarm")
STORE_AUTHS = ("none", "basic", "digest", "bearer", "graphdb")
_ROOTS_SEPARATOR = re.compile(f"[,{re.escape(os.pathsep)}]")
RECONCILE_RUNS = ("auto", "on", "off")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+$")
# The estimators added to scikit-learn's when ONTOLAB_ESTIMATORS is unset, each pair only if
# its library is installed.
DEFAULT_ESTIMATORS = {
    "lightgbm": ("lightgbm:LGBMClassifier", "lightgbm:LGBMRegressor"),
    "xgboost": ("xgboost:XGBClassifier", "xgboost:XGBRegressor"),
}
NO_EXTRA_ESTIMATORS = "none"


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Field ``x`` is read from ``ONTOLAB_X``."""

    data: Path = Path("data")
    store: str = ""
    provisioner: str = "local"
    max_parallel_steps: int = field(default_factory=lambda: os.cpu_count() or 1)
    step_timeout: float = 1800.0
    warm_workers: bool = True
    step_cache: bool = True
    host: str = "127.0.0.1"
    port: int = 3000
    max_upload_mb: float = 100.0
    deploy_port_start: int = 3100
    deploy_threads: int = 4
    runner_image: str = "ontolab-runner:latest"
    docker_host: str = ""
    platform_url: str = ""
    # Remote stores (server/store/sparql_endpoint.py); ignored by the embedded store.
    store_auth: str = "none"
    store_user: str = ""
    store_password: str = ""
    store_token: str = ""
    store_timeout: float = 30.0
    store_retries: int = 2
    sparql_update_url: str = ""
    sparql_graph_store_url: str = ""
    # Data roots (issue 16): the only folders an ol:source file path may resolve into; a list
    # separated by os.pathsep or commas (TOML: a list). Empty: the data dir and ./data.
    data_roots: str = ""
    # Crash reconciliation (server/runs/service.py RunService.reconcile): at start, mark the runs a
    # crash left in flight interrupted. auto: only on the embedded store, which one process
    # holds at a time; on: on any store (only if no other platform process shares it); off.
    reconcile_runs: str = "auto"
    # Request guards (server/http_guard.py, server/http_server.py): body limits, JSON depth,
    # Host and Origin checks, and how many live event streams may be open at once.
    max_request_mb: float = 10.0
    max_predict_mb: float = 20.0
    max_json_depth: int = 64
    allowed_hosts: str = ""
    max_event_streams: int = 1000
    # Queries run for a client: /sparql and /api/queries (server/graph/query_guard.py).
    sparql_service_allow: str = ""  # comma-separated SERVICE endpoint IRIs; none by default
    sparql_timeout: float = 30.0
    sparql_max_running: int = 2
    sparql_max_result_mb: float = 100.0
    sparql_max_rows: int = 100_000  # rows of a SELECT answer; more are refused, never cut
    # The OWL check (server/definitions/reasoning.py): validate --reason, ?reason=true.
    reasoner_timeout: float = 60.0
    # Estimators a definition may name besides scikit-learn's (server/definitions/estimators.py):
    # module:ClassName entries, comma-separated (TOML: a list). Empty: LightGBM's and XGBoost's
    # when installed; "none": scikit-learn's only.
    estimators: str = ""
    # The prediction log (server/monitoring/prediction_log.py): each deployment's inputs and
    # outputs by request id, rotating within files × mb; a deploy request may change or turn
    # it off for its deployment. The queue bounds what waits for the writer thread.
    prediction_log: bool = True
    prediction_log_mb: float = 16.0
    prediction_log_files: int = 4
    prediction_log_queue: int = 10_000
    # Triggers (server/automation): whether ``serve`` runs the loop that fires schedule and
    # new-data triggers, and how often it re-reads the graph (triggers and uploads made by
    # other processes on the same store) when nothing wakes it sooner.
    triggers: bool = True
    trigger_poll_seconds: float = 5.0
    # Monitoring (server/monitoring/service.py): every monitor_interval seconds (0: never) each
    # running deployment's window monitor_window (last:N, since:T, duration:D) is evaluated
    # for drift and live performance; no window reads more than monitor_max_rows rows.
    monitor_interval: float = 60.0
    monitor_window: str = "last:1000"
    monitor_max_rows: int = 100_000
    # Authentication (server/auth/): off by default on loopback; `serve` on another address
    # refuses to start without it unless allow_no_auth says so. The first start with auth on
    # creates user admin with admin_password (a random one, printed once, when empty).
    auth: bool = False
    allow_no_auth: bool = False
    admin_password: str = ""
    session_hours: float = 12.0

    def __post_init__(self) -> None:
        if self.provisioner not in PROVISIONERS:
            raise ConfigError(
                f"ONTOLAB_PROVISIONER={self.provisioner!r} is not a provisioner; "
                f"use one of: {', '.join(PROVISIONERS)}"
            )
        if self.max_parallel_steps < 1:
            raise ConfigError("ONTOLAB_MAX_PARALLEL_STEPS must be at least 1")
        if self.step_timeout <= 0:
            raise ConfigError("ONTOLAB_STEP_TIMEOUT must be a positive number of seconds")
        if not 1 <= self.deploy_port_start <= 65535:
            raise ConfigError("ONTOLAB_DEPLOY_PORT_START must be a TCP port (1-65535)")
        if self.deploy_threads < 1:
            raise ConfigError("ONTOLAB_DEPLOY_THREADS must be at least 1")
        if self.store_auth not in STORE_AUTHS:
            raise ConfigError(
                f"ONTOLAB_STORE_AUTH={self.store_auth!r} is not an auth strategy; "
                f"use one of: {', '.join(STORE_AUTHS)}"
            )
        if self.store_timeout <= 0:
            raise ConfigError("ONTOLAB_STORE_TIMEOUT must be a positive number of seconds")
        if self.reasoner_timeout <= 0:
            raise ConfigError("ONTOLAB_REASONER_TIMEOUT must be a positive number of seconds")
        if self.store_retries < 0:
            raise ConfigError("ONTOLAB_STORE_RETRIES must be 0 or more")
        if self.reconcile_runs not in RECONCILE_RUNS:
            raise ConfigError(
                f"ONTOLAB_RECONCILE_RUNS={self.reconcile_runs!r} is not a choice; "
                f"use one of: {', '.join(RECONCILE_RUNS)}"
            )
        self._check_data_roots()
        self._check_estimators()
        self._check_request_guards()
        self._check_client_queries()
        self._check_prediction_log()
        if not 0 < self.trigger_poll_seconds <= 3600:
            raise ConfigError(
                "ONTOLAB_TRIGGER_POLL_SECONDS must be a number of seconds above 0, at most 3600"
            )
        if not 0 < self.session_hours <= 24 * 90:
            raise ConfigError("ONTOLAB_SESSION_HOURS must be a positive number of hours (<= 2160)")
        self._check_monitoring()

    def _check_monitoring(self) -> None:
        if not 0 <= self.monitor_interval <= 86_400:
            raise ConfigError(
                "ONTOLAB_MONITOR_INTERVAL must be a number of seconds from 0 (off) to 86400"
            )
        if not 1 <= self.monitor_max_rows <= 10_000_000:
            raise ConfigError("ONTOLAB_MONITOR_MAX_ROWS must be a whole number from 1 to 10000000")

    def _check_prediction_log(self) -> None:
        if not 0 < self.prediction_log_mb <= 100_000:
            raise ConfigError(
                "ONTOLAB_PREDICTION_LOG_MB must be a positive number of MB (up to 100000)"
            )
        if not 1 <= self.prediction_log_files <= 1000:
            raise ConfigError("ONTOLAB_PREDICTION_LOG_FILES must be from 1 to 1000")
        if self.prediction_log_queue < 1:
            raise ConfigError("ONTOLAB_PREDICTION_LOG_QUEUE must be at least 1")

    def _check_data_roots(self) -> None:
        listed: Any = self.data_roots
        if isinstance(listed, list | tuple):  # a TOML list; kept as one string like the env
            if not all(isinstance(item, str) for item in listed):
                raise ConfigError("ONTOLAB_DATA_ROOTS must list folders as strings; fix the list")
            object.__setattr__(self, "data_roots", os.pathsep.join(listed))
        elif not isinstance(listed, str):
            raise ConfigError("ONTOLAB_DATA_ROOTS must be a list of folders; fix the value")
        for root in self.source_roots:
            if root.exists() and not root.is_dir():
                raise ConfigError(
                    f"ONTOLAB_DATA_ROOTS names {root}, which is a file; list folders only"
                )

    @property
    def source_roots(self) -> tuple[Path, ...]:
        """The folders ``ol:source`` file paths must resolve into, as resolved real paths.

        ``ONTOLAB_DATA_ROOTS`` when set, else the data dir and the working directory's ``data/``;
        relative roots resolve against the working directory.
        """
        listed = [part.strip() for part in _ROOTS_SEPARATOR.split(self.data_roots)]
        roots = [Path(part).expanduser() for part in listed if part] or [self.data, Path("data")]
        return tuple(dict.fromkeys(root.resolve() for root in roots))

    def _check_estimators(self) -> None:
        listed: Any = self.estimators
        if isinstance(listed, list | tuple):  # a TOML list; kept as one string like the env
            if not all(isinstance(item, str) for item in listed):
                raise ConfigError("ONTOLAB_ESTIMATORS must list module:ClassName strings")
            object.__setattr__(self, "estimators", ",".join(listed) or NO_EXTRA_ESTIMATORS)
        elif not isinstance(listed, str):
            raise ConfigError("ONTOLAB_ESTIMATORS must be a list of module:ClassName entries")
        if self.estimators.strip():
            check_estimator_entries(self.estimator_entries)

    @property
    def estimator_entries(self) -> tuple[str, ...]:
        """The ``module:ClassName`` entries allowed besides scikit-learn's estimators."""
        raw = self.estimators.strip()
        if not raw:
            return default_estimator_entries()
        if raw.lower() == NO_EXTRA_ESTIMATORS:
            return ()
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    def _check_request_guards(self) -> None:
        for name in ("max_request_mb", "max_predict_mb", "max_upload_mb"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"ONTOLAB_{name.upper()} must be a positive number of MB")
        if not 1 <= self.max_json_depth <= 500:
            raise ConfigError("ONTOLAB_MAX_JSON_DEPTH must be between 1 and 500")
        if self.max_event_streams < 1:
            raise ConfigError("ONTOLAB_MAX_EVENT_STREAMS must be at least 1")

    def _check_client_queries(self) -> None:
        if self.sparql_timeout <= 0:
            raise ConfigError("ONTOLAB_SPARQL_TIMEOUT must be a positive number of seconds")
        if self.sparql_max_running < 1:
            raise ConfigError("ONTOLAB_SPARQL_MAX_RUNNING must be at least 1")
        if self.sparql_max_result_mb <= 0:
            raise ConfigError("ONTOLAB_SPARQL_MAX_RESULT_MB must be a positive number")
        if self.sparql_max_rows < 1:
            raise ConfigError("ONTOLAB_SPARQL_MAX_ROWS must be at least 1")
        relative = [iri for iri in self.service_endpoints if not _ABSOLUTE_IRI.match(iri)]
        if relative:
            raise ConfigError(
                f"ONTOLAB_SPARQL_SERVICE_ALLOW names {', '.join(relative)}, not absolute IRIs; "
                "list endpoints as full IRIs separated by commas, e.g. https://host/sparql"
            )

    @property
    def service_endpoints(self) -> frozenset[str]:
        """The SERVICE endpoints client queries may use (``ONTOLAB_SPARQL_SERVICE_ALLOW``)."""
        return frozenset(i.strip() for i in self.sparql_service_allow.split(",") if i.strip())

    @property
    def store_url(self) -> str:
        """The store to open; defaults to the embedded Oxigraph store in the data dir."""
        return self.store or f"oxigraph:{self.data / 'store'}"

    @property
    def artifact_api_url(self) -> str:
        """Where swarm steps fetch and push artifacts: the platform's own HTTP API."""
        base = self.platform_url or f"http://{self.host}:{self.port}"
        return base.rstrip("/") + "/api/artifacts"

    @property
    def reconciles_runs(self) -> bool:
        """Whether ``open_platform`` marks the runs a crash left in flight interrupted."""
        if self.reconcile_runs == "auto":
            return self.store_url.startswith("oxigraph:")  # exclusive: one process at a time
        return self.reconcile_runs == "on"

    @property
    def allowed_host_names(self) -> tuple[str, ...]:
        """``ONTOLAB_ALLOWED_HOSTS`` as lower-case names (a TOML list or a comma-separated text)."""
        raw: Any = self.allowed_hosts
        names = raw.split(",") if isinstance(raw, str) else list(raw)
        return tuple(str(n).strip().lower() for n in names if str(n).strip())

    @property
    def artifacts_dir(self) -> Path:
        return self.data / "artifacts"

    @property
    def runs_dir(self) -> Path:
        return self.data / "runs"

    @property
    def cache_dir(self) -> Path:
        return self.data / "cache"

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Build settings from the layers above; ``overrides`` wins over everything."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        config_file = environ.get(f"{ENV_PREFIX}CONFIG")
        if config_file:
            values.update(_read_toml(Path(config_file)))
        values.update(_from_env(environ))
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls(**{name: _coerce(name, raw) for name, raw in values.items()})


def default_estimator_entries() -> tuple[str, ...]:
    """LightGBM's and XGBoost's estimators, each library's only when it is installed."""
    return tuple(
        entry
        for library, entries in DEFAULT_ESTIMATORS.items()
        if importlib.util.find_spec(library) is not None
        for entry in entries
    )


def check_estimator_entries(entries: tuple[str, ...]) -> None:
    """Raise ConfigError naming ONTOLAB_ESTIMATORS unless every entry is ``module:ClassName``
    of an installed module, with a class name no other entry and no scikit-learn name has."""
    seen: dict[str, str] = {}
    for entry in entries:
        try:
            module, name = parse_entry(entry)
        except ValueError as exc:
            raise ConfigError(f"ONTOLAB_ESTIMATORS: {exc}; fix the entry") from exc
        if not _installed(module):
            raise ConfigError(
                f"ONTOLAB_ESTIMATORS names {entry!r}, but module {module!r} is not installed; "
                "install it (pip install …) or remove the entry"
            )
        if name in SKLEARN_ESTIMATORS:
            raise ConfigError(
                f"ONTOLAB_ESTIMATORS entry {entry!r} has the name of scikit-learn's {name}, "
                "which is allowed already; remove the entry (a definition names one class "
                "per name)"
            )
        if name in seen:
            raise ConfigError(
                f"ONTOLAB_ESTIMATORS names {name} twice ({seen[name]!r} and {entry!r}); "
                "keep one of them (a definition names the class only)"
            )
        seen[name] = entry


def _installed(module: str) -> bool:
    try:  # a dotted module imports its parents to be found: the operator's own libraries
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _fields() -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(Settings)}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"cannot read ONTOLAB_CONFIG file {path}: {exc}; fix or unset it"
        ) from exc
    unknown = set(data) - set(_fields())
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(sorted(unknown))} in {path}; "
            f"valid ones: {', '.join(_fields())}"
        )
    return data


def _from_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        name: environ[f"{ENV_PREFIX}{name.upper()}"]
        for name in _fields()
        if f"{ENV_PREFIX}{name.upper()}" in environ
    }


def _coerce(name: str, raw: Any) -> Any:
    if name not in _fields():
        raise ConfigError(f"unknown setting {name!r}; valid ones: {', '.join(_fields())}")
    kind = type(getattr(Settings(), name))
    if not isinstance(raw, str) or kind is str:
        return kind(raw) if kind is Path else raw
    try:
        if kind is bool:
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes", "on")
        return kind(raw)
    except ValueError as exc:
        raise ConfigError(
            f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind.__name__}; fix the value"
        ) from exc
