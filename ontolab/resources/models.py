"""``client.models``: the registry (versions, aliases, promote) and in-platform predict."""

from __future__ import annotations

import builtins
from typing import Any

from ontolab._http import Transport, segment
from ontolab.types import AliasChange, Model, ModelSummary, ModelVersion, Prediction


def payload(data: Any) -> dict[str, Any]:
    """A predict body from records (a list of dicts), a pandas DataFrame, or a body as is
    (``{"dataframe_records": …}``, ``{"dataframe_split": …}``, ``{"inputs": …}``)."""
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # a DataFrame
        return {"dataframe_split": data.to_dict(orient="split", index=False)}
    if isinstance(data, dict):
        return data
    if isinstance(data, list):
        return {"dataframe_records": data}
    raise TypeError(
        f"cannot predict on a {type(data).__name__}; give a list of records (dicts), a "
        'pandas DataFrame, or a body such as {"dataframe_records": [...]}'
    )


class Models:
    """Registered models: every successful run registers the models it built."""

    def __init__(self, transport: Transport) -> None:
        self._http = transport

    def list(self) -> builtins.list[ModelSummary]:
        """Every registered model with its latest version and aliases."""
        return [ModelSummary.from_json(m) for m in self._http.json("GET", "/api/models")["models"]]

    def get(self, name: str) -> Model:
        """A model with all its versions and aliases."""
        return Model.from_json(self._http.json("GET", f"/api/models/{segment(name)}"))

    def versions(self, name: str) -> builtins.list[ModelVersion]:
        """Every version of a model, as the platform lists them."""
        return self.get(name).versions

    def version(self, name: str, version: int) -> ModelVersion:
        """One version: its run, artifact, metrics, validation and aliases."""
        path = f"/api/models/{segment(name)}/versions/{segment(version)}"
        return ModelVersion.from_json(self._http.json("GET", path))

    def schema(self, name: str, version: int) -> dict[str, Any]:
        """What predict accepts for a version: columns, types, nullability."""
        path = f"/api/models/{segment(name)}/versions/{segment(version)}/schema"
        data: dict[str, Any] = self._http.json("GET", path)
        return data

    def aliases(self, name: str) -> dict[str, int]:
        """The model's aliases: alias → version."""
        return dict(self.get(name).aliases)

    def alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at."""
        path = f"/api/models/{segment(name)}/aliases/{segment(alias)}"
        return ModelVersion.from_json(self._http.json("GET", path))

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        gate: bool = False,
        must_beat_current: bool = False,
    ) -> AliasChange:
        """Point an alias at a version (``champion``, or ``gate=True``, passes the gate)."""
        body = {"version": version, "gate": gate, "must_beat_current": must_beat_current}
        path = f"/api/models/{segment(name)}/aliases/{segment(alias)}"
        return AliasChange.from_json(self._http.json("PUT", path, json=body))

    def delete_alias(self, name: str, alias: str) -> dict[str, Any]:
        """Remove an alias."""
        path = f"/api/models/{segment(name)}/aliases/{segment(alias)}"
        data: dict[str, Any] = self._http.json("DELETE", path)
        return data

    def promote(
        self,
        name: str,
        version: int,
        alias: str = "champion",
        *,
        must_beat_current: bool = False,
    ) -> AliasChange:
        """Move ``alias`` to ``version`` through the promotion gate; ``Conflict`` (with the
        numbers compared) when the gate refuses."""
        path = f"/api/models/{segment(name)}/versions/{segment(version)}/promote"
        body = {"alias": alias, "must_beat_current": must_beat_current}
        return AliasChange.from_json(self._http.json("POST", path, json=body))

    def predict(
        self, name: str, data: Any, *, version: int | None = None, alias: str | None = None
    ) -> Prediction:
        """Predict in the platform with the newest version, a ``version`` or an ``alias``.

        Args:
            data: records (a list of dicts), a pandas DataFrame, or a predict body.
        """
        if version is not None and alias is not None:
            raise ValueError("give a version or an alias, not both")
        path = f"/api/models/{segment(name)}"
        if version is not None:
            path += f"/versions/{segment(version)}"
        elif alias is not None:
            path += f"/aliases/{segment(alias)}"
        return Prediction.from_json(self._http.json("POST", path + "/predict", json=payload(data)))
