"""Unguessable public identifiers: 192 bits from `secrets`, URL-safe."""

import secrets


def new_token() -> str:
    return secrets.token_urlsafe(24)
