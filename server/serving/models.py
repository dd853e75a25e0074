"""Registered model versions answering requests in the platform's own process.

``ModelServing`` resolves a version through the registry (by number, alias, or else the
newest), loads its artifact once per checksum into a small LRU (``ModelCache``) and predicts
with it; the registry itself never loads a model.

Importing this module stays cheap: pandas and scikit-learn are imported on the first load,
since the CLI opens the platform without ever predicting.

Thread-safe: the cache is, and loaded models are read-only.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from server.registry.model import ModelVersion
from server.registry.service import Registry
from server.tracking.artifacts import ArtifactStore

if TYPE_CHECKING:
    from server.serving.loaded_model import LoadedModel, ModelCache

CACHE_SIZE = 8


class ModelServing:
    """Prediction and input schemas for registered model versions."""

    def __init__(
        self, registry: Registry, artifacts: ArtifactStore, cache_size: int = CACHE_SIZE
    ) -> None:
        self._registry = registry
        self._artifacts = artifacts
        self._cache_size = cache_size
        self._cache: ModelCache | None = None
        self._lock = threading.Lock()

    def load(self, version: ModelVersion) -> LoadedModel:
        """The version's model, loaded once per artifact checksum and kept in a small LRU.

        Raises:
            NotFoundError: the artifact is not stored.
            CorruptArtifact: its bytes do not match the checksum the registry recorded.
            ModelArtifactError: it cannot be unpickled or is not a fitted model bundle.
        """
        return self._models().get(version.sha256, self._artifacts.path(version.sha256))

    def input_schema(self, name: str, version: int | None = None) -> dict[str, Any]:
        """What predict accepts for a version (given, or else the newest)."""
        found = self._registry.resolve(name, version)
        return {"version": found.number, **self.load(found).input_schema()}

    def predict(
        self,
        name: str,
        payload: dict[str, Any],
        *,
        version: int | None = None,
        alias: str | None = None,
    ) -> dict[str, Any]:
        """Predict with a version given by number, alias, or else the newest one."""
        chosen = self._registry.resolve(name, version, alias)
        response = self.load(chosen).predict(payload)
        response["model"] = {"name": chosen.name, "version": chosen.number}
        if alias is not None:
            response["model"]["alias"] = alias
        return response

    def _models(self) -> ModelCache:
        with self._lock:
            if self._cache is None:
                # Imported here: pandas and scikit-learn cost the CLI a second it rarely needs.
                from server.serving.loaded_model import ModelCache

                self._cache = ModelCache(self._cache_size)
            return self._cache
