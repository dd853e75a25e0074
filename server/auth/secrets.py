"""Password hashes (PBKDF2-SHA256, checked only at login) and API token strings.

A token reads ``olt_<id>_<secret>``: the id (12 hex digits) finds its row, the secret (32
random bytes) is stored only as its SHA-256. A secret of 256 random bits needs no slow hash:
nobody can guess it from its digest, and checking it costs one SHA-256 per request, not the
~200 ms a per-request PBKDF2 costs (MLflow's basic auth).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

PBKDF2_ITERATIONS = 600_000  # OWASP 2023 for PBKDF2-HMAC-SHA256; as MLflow's basic auth
_SCHEME = "pbkdf2_sha256"
TOKEN_PREFIX = "olt_"
_TOKEN = r"([0-9a-f]{12})_([A-Za-z0-9_-]{43})"  # after the prefix: id, secret


def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    """``pbkdf2_sha256$ITERATIONS$SALT$HASH`` (base64) for ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "$".join((_SCHEME, str(iterations), _b64(salt), _b64(digest)))


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (from :func:`hash_password`); constant time."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        mine = hashlib.pbkdf2_hmac("sha256", password.encode(), _unb64(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(mine, _unb64(digest))


def new_token(prefix: str = TOKEN_PREFIX) -> tuple[str, str, str]:
    """A fresh token: ``(token_id, full token shown once, stored hash of its secret)``.
    ``prefix`` says what kind it is (``olt_`` a user's API token)."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return token_id, f"{prefix}{token_id}_{secret}", secret_hash(secret)


def split_token(text: str, prefix: str = TOKEN_PREFIX) -> tuple[str, str] | None:
    """``(token_id, secret)`` of a well-formed token of the ``prefix`` kind, else None."""
    match = re.fullmatch(re.escape(prefix) + _TOKEN, text)
    return (match.group(1), match.group(2)) if match else None


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header value; None for any other."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_hash(secret: str, stored: str) -> bool:
    """Whether ``secret`` hashes to ``stored``, compared in constant time."""
    return hmac.compare_digest(secret_hash(secret), stored)


def new_password() -> str:
    """A random password for the first admin (printed once)."""
    return secrets.token_urlsafe(18)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)
