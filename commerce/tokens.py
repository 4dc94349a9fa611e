"""Unguessable public identifiers: 192 bits from `secrets`, URL-safe."""

import math
import secrets

TOKEN_BYTES = 24


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_regex(nbytes: int = TOKEN_BYTES) -> str:
    """What `secrets.token_urlsafe(nbytes)` can produce: base64url, no padding, a fixed length."""
    return f"[A-Za-z0-9_-]{{{math.ceil(nbytes * 4 / 3)}}}"
