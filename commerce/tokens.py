"""Unguessable public identifiers: 192 bits from `secrets`, URL-safe.

`token_regex` is the one rule for what can be a token: URL converters match
it, and code reading a token from a form or a session asks `is_token` before
any query, so a value that can't exist costs nothing.
"""

import math
import re
import secrets

TOKEN_BYTES = 24


def new_token(nbytes: int = TOKEN_BYTES) -> str:
    return secrets.token_urlsafe(nbytes)


def token_regex(nbytes: int = TOKEN_BYTES) -> str:
    """What `secrets.token_urlsafe(nbytes)` can produce: base64url, no padding, a fixed length."""
    return f"[A-Za-z0-9_-]{{{math.ceil(nbytes * 4 / 3)}}}"


def is_token(value, nbytes: int = TOKEN_BYTES) -> bool:
    """Could `value` be `secrets.token_urlsafe(nbytes)`? (`new_token` by default.)"""
    return isinstance(value, str) and re.fullmatch(token_regex(nbytes), value) is not None
