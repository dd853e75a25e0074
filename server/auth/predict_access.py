"""A deployment's ``/predict`` behind a token (per deployment, chosen at deploy).

The setting is a file in the deployment's folder (``DATA/deployments/ID/access.json``), read
when its model server starts (deploy and every restore). The model server then opens the
platform's account file and lets a ``POST /predict`` through only with a bearer token whose
user holds runner (or more) on the served model, globally or on that model, within the token's
scope: the same rule as the platform's ``/api/models/NAME/…/predict``. Framework-free: the
model server imports no Flask.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.auth.accounts import ACCOUNT_FILE, Accounts
from server.auth.roles import Role
from server.errors import AuthRequired, PermissionDenied

ACCESS_FILE = "access.json"


def deployment_dir(data: Path, deployment_id: str) -> Path:
    return data / "deployments" / deployment_id


def save_access(directory: Path, require_token: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ACCESS_FILE).write_text(json.dumps({"require_token": require_token}))


def requires_token(directory: Path) -> bool:
    """Whether the deployment in ``directory`` was deployed with ``require_token``."""
    try:
        return bool(json.loads((directory / ACCESS_FILE).read_text()).get("require_token"))
    except (OSError, ValueError, AttributeError):
        return False


def access_request(data: Path, deployment_id: str) -> dict[str, Any] | None:
    """What the model server needs to check tokens (None: ``/predict`` is open)."""
    if not requires_token(deployment_dir(data, deployment_id)):
        return None
    return {"accounts": str(data / ACCOUNT_FILE)}


class PredictAccess:
    """Checks a predict request's bearer token against the account file. Thread-safe."""

    def __init__(self, accounts: Path, model: str) -> None:
        self.accounts = Accounts(accounts)
        self.model = model

    def check(self, environ: dict[str, Any]) -> None:
        """Raise AuthRequired (no or bad token) or PermissionDenied (too little role)."""
        header = str(environ.get("HTTP_AUTHORIZATION", ""))
        info = (
            self.accounts.check_token(header[7:].strip())
            if header[:7].lower() == "bearer "
            else None
        )
        if info is None:
            raise AuthRequired(
                "this deployment's /predict needs a token: send Authorization: Bearer TOKEN "
                "(`ontolab users token create USER --scope runner`)"
            )
        principal = self.accounts.principal(info.user, "token", info.scope, info.token_id)
        held = principal.role_on("model", self.model)
        if held is None or held < Role.RUNNER:
            raise PermissionDenied(
                f"predicting with model {self.model!r} needs role runner on it; {info.user} has "
                f"{held.label if held else 'none'}; an admin grants it: `ontolab users grant "
                f"{info.user} runner --model {self.model}`"
            )
