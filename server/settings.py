"""The one configuration object, layered and checked once at start-up.

Defaults → optional TOML file (``ONTOLAB_CONFIG``) → ``ONTOLAB_*`` environment variables →
explicit overrides (CLI flags, tests). A bad value names the variable to fix.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.errors import ConfigError

ENV_PREFIX = "ONTOLAB_"
PROVISIONERS = ("local", "docker", "swarm")
STORE_AUTHS = ("none", "basic", "digest", "bearer", "graphdb")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+$")


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
    # Queries run for a client: /sparql and /api/queries (server/query_guard.py).
    sparql_service_allow: str = ""  # comma-separated SERVICE endpoint IRIs; none by default
    sparql_timeout: float = 30.0
    sparql_max_running: int = 2
    sparql_max_result_mb: float = 100.0

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
        if self.store_retries < 0:
            raise ConfigError("ONTOLAB_STORE_RETRIES must be 0 or more")
        self._check_client_queries()

    def _check_client_queries(self) -> None:
        if self.sparql_timeout <= 0:
            raise ConfigError("ONTOLAB_SPARQL_TIMEOUT must be a positive number of seconds")
        if self.sparql_max_running < 1:
            raise ConfigError("ONTOLAB_SPARQL_MAX_RUNNING must be at least 1")
        if self.sparql_max_result_mb <= 0:
            raise ConfigError("ONTOLAB_SPARQL_MAX_RESULT_MB must be a positive number")
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
