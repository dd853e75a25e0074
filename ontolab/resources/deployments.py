"""``client.deployments``: model servers on their own ports: deploy, predict, stop, list."""

from __future__ import annotations

import builtins
from typing import Any

from ontolab._http import Transport, segment
from ontolab.resources.models import payload
from ontolab.types import Deployment, Prediction


class Deployments:
    """Deployed model versions, each served by its own process (``/predict``)."""

    def __init__(self, transport: Transport) -> None:
        self._http = transport

    def deploy(
        self,
        model: str,
        *,
        version: int | None = None,
        alias: str | None = None,
        prediction_log: bool | dict[str, Any] | None = None,
    ) -> Deployment:
        """Start a model server for a version (or the one an alias points at; else newest).

        ``prediction_log``: False keeps no log for this deployment; ``{"max_mb", "files"}``
        sets its bound; None takes the platform's default."""
        body: dict[str, Any] = {"model": model}
        body |= {"version": version} if version is not None else {}
        body |= {"alias": alias} if alias is not None else {}
        body |= {"prediction_log": prediction_log} if prediction_log is not None else {}
        return Deployment.from_json(self._http.json("POST", "/api/deployments", json=body))

    def list(self) -> builtins.list[Deployment]:
        """Every deployment with its observed status."""
        data = self._http.json("GET", "/api/deployments")
        return [Deployment.from_json(d) for d in data["deployments"]]

    def get(self, deployment_id: str) -> Deployment:
        """One deployment with its observed status."""
        path = f"/api/deployments/{segment(deployment_id)}"
        return Deployment.from_json(self._http.json("GET", path))

    def stop(self, deployment: Deployment | str) -> Deployment:
        """Stop a deployment's model server (stopping a stopped one changes nothing)."""
        path = f"/api/deployments/{segment(_id(deployment))}"
        return Deployment.from_json(self._http.json("DELETE", path))

    def predict(self, deployment: Deployment | str, data: Any) -> Prediction:
        """Predict through the deployment's own server (its ``url`` + ``/predict``).

        Args:
            data: records (a list of dicts), a pandas DataFrame, or a predict body.
        """
        target = deployment if isinstance(deployment, Deployment) else self.get(deployment)
        answer = self._http.json("POST", f"{target.url}/predict", json=payload(data))
        return Prediction.from_json(answer)

    def feedback(self, deployment: Deployment | str, labels: dict[str, Any]) -> dict[str, Any]:
        """Ground-truth labels by request id (``{request_id: label}``; a list of labels for a
        request of several rows). All or nothing: an unknown id or a wrong label raises."""
        items = [{"request_id": key, "label": value} for key, value in labels.items()]
        path = f"/api/deployments/{segment(_id(deployment))}/feedback"
        return dict(self._http.json("POST", path, json={"feedback": items}))

    def predictions(self, deployment: Deployment | str, limit: int = 50) -> builtins.list[Any]:
        """The deployment's last logged requests, newest first, with their labels."""
        path = f"/api/deployments/{segment(_id(deployment))}/predictions?limit={int(limit)}"
        return list(self._http.json("GET", path)["predictions"])


def _id(deployment: Deployment | str) -> str:
    return deployment.id if isinstance(deployment, Deployment) else deployment
