"""JSON Web Tokens for the create-order API: signing in, refreshing, checking.

Tokens are HS256-signed with a key derived from `INTEGRATION_JWT_SECRET` (or
`SECRET_KEY` when that is empty), so no key is stored anywhere. Claims:
`sub` (the user id, a string), `type` ("access" or "refresh"), `iat`, `exp`,
`jti` (unique per token) and `sid` (one sign-in: kept across refreshes, sent
back as `session_state`). An access token lives `INTEGRATION_JWT_ACCESS_SECONDS`
(5 minutes), a refresh token `INTEGRATION_JWT_REFRESH_SECONDS` (a day).

Nothing is stored: a token is good until it expires, but every request loads
the user again, so deactivating the account or taking the permission away
stops its tokens at once (403).
"""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.crypto import salted_hmac
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
PERMISSION = "integrations.create_orders"
SCOPE = "amper"  # the scope the AMPER documentation's token answer shows
_ARTICLE = {ACCESS: "an", REFRESH: "a"}


class TokenError(Exception):
    """The token is missing, malformed, badly signed, expired or of the wrong type."""


def signing_key() -> str:
    secret = settings.INTEGRATION_JWT_SECRET or settings.SECRET_KEY
    return salted_hmac(
        "integrations.jwt_auth", "create-order API signing key", secret=secret, algorithm="sha256"
    ).hexdigest()


def lifetime(token_type: str) -> int:
    if token_type == ACCESS:
        return settings.INTEGRATION_JWT_ACCESS_SECONDS
    return settings.INTEGRATION_JWT_REFRESH_SECONDS


def encode(user, token_type: str, *, session: str, now: datetime | None = None) -> str:
    now = now or datetime.now(tz=UTC)
    claims = {
        "sub": str(user.pk),
        "type": token_type,
        "iat": now,
        "exp": now + timedelta(seconds=lifetime(token_type)),
        "jti": uuid.uuid4().hex,
        "sid": session,
    }
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM)


def decode(token: str, token_type: str) -> dict:
    """The token's claims, or TokenError saying what is wrong with it."""
    try:
        claims = jwt.decode(
            token,
            signing_key(),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "type", "iat", "exp", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("The token has expired.") from None
    except jwt.InvalidTokenError:
        raise TokenError("The token is invalid.") from None
    if claims.get("type") != token_type:
        raise TokenError(f"This is not {_ARTICLE[token_type]} {token_type} token.")
    return claims


def token_pair(user, *, session: str | None = None) -> dict:
    """The answer of POST /auth/ and /auth/token-refresh/, in the documented shape."""
    session = session or uuid.uuid4().hex
    now = datetime.now(tz=UTC)
    return {
        "access_token": encode(user, ACCESS, session=session, now=now),
        "expires_in": lifetime(ACCESS),
        "refresh_expires_in": lifetime(REFRESH),
        "refresh_token": encode(user, REFRESH, session=session, now=now),
        "token_type": "Bearer",
        "not-before-policy": 0,
        "session_state": session,
        "scope": SCOPE,
    }


def allowed_user(claims: dict):
    """The token's user if it may use the API; AuthorizationError (403) if not.

    A user deleted since the token was issued is a 401: the token names nobody.
    """
    user = get_user_model().objects.filter(pk=_int_or_none(claims["sub"])).first()
    if user is None:
        raise AuthenticationError(message="The token's user no longer exists.")
    if not user.is_active:
        raise AuthorizationError(message="This account is inactive.")
    if not user.has_perm(PERMISSION):
        raise AuthorizationError(
            message="This account may not create orders through the API "
            f"(it needs the {PERMISSION} permission)."
        )
    return user


def refresh(refresh_token: str) -> dict:
    """A new token pair for a valid refresh token (of the same sign-in session)."""
    claims = decode(refresh_token, REFRESH)
    user = allowed_user(claims)
    return token_pair(user, session=claims.get("sid"))


class JWTBearer(HttpBearer):
    """`Authorization: Bearer <access token>`; `request.auth` is the user."""

    def authenticate(self, request, token):
        try:
            claims = decode(token, ACCESS)
        except TokenError as error:
            raise AuthenticationError(message=str(error)) from None
        return allowed_user(claims)


def _int_or_none(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None
