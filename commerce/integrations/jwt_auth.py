"""JSON Web Tokens for the create-order API: signing in, refreshing, checking.

Tokens are HS256-signed with a key derived from `INTEGRATION_JWT_SECRET` (or
`SECRET_KEY` when that is empty), so no key is stored anywhere. Claims:
`sub` (the user id, a string), `type` ("access" or "refresh"), `iat`, `exp`,
`jti` (unique per token), `sid` (one sign-in: kept across refreshes, sent
back as `session_state`) and `pwd` (a keyed hash of the user's password hash).
An access token lives `INTEGRATION_JWT_ACCESS_SECONDS` (5 minutes), a refresh
token `INTEGRATION_JWT_REFRESH_SECONDS` (a day).

Every request loads the user again, so deactivating the account or taking the
permission away stops its tokens at once (403). A new password changes `pwd`,
which ends every token issued before it (401). Each sign-in is a
`TokenFamily` row holding the id of its one valid refresh token: a refresh
token works once, and presenting one again (someone kept a copy) revokes the
whole sign-in, its access tokens included (401).
"""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer

from .models import TokenFamily

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
PERMISSION = "integrations.create_orders"
SCOPE = "amper"  # the scope the AMPER documentation's token answer shows
_ARTICLE = {ACCESS: "an", REFRESH: "a"}

REUSED = "This refresh token was already used; every token of its sign-in is revoked."
REVOKED = "The token's sign-in was revoked; sign in again."
OUTDATED = "The password changed after the token was issued; sign in again."


class TokenError(Exception):
    """The token is missing, malformed, badly signed, expired or of the wrong type."""


def signing_key() -> str:
    secret = settings.INTEGRATION_JWT_SECRET or settings.SECRET_KEY
    return salted_hmac(
        "integrations.jwt_auth", "create-order API signing key", secret=secret, algorithm="sha256"
    ).hexdigest()


def password_stamp(user) -> str:
    """Changes whenever the user's password does (its hash is salted afresh each time)."""
    secret = settings.INTEGRATION_JWT_SECRET or settings.SECRET_KEY
    return salted_hmac(
        "integrations.jwt_auth.password", user.password, secret=secret, algorithm="sha256"
    ).hexdigest()[:32]


def lifetime(token_type: str) -> int:
    if token_type == ACCESS:
        return settings.INTEGRATION_JWT_ACCESS_SECONDS
    return settings.INTEGRATION_JWT_REFRESH_SECONDS


def encode(
    user, token_type: str, *, session: str, now: datetime | None = None, jti: str | None = None
) -> str:
    now = now or datetime.now(tz=UTC)
    claims = {
        "sub": str(user.pk),
        "type": token_type,
        "iat": now,
        "exp": now + timedelta(seconds=lifetime(token_type)),
        "jti": jti or uuid.uuid4().hex,
        "sid": session,
        "pwd": password_stamp(user),
    }
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM)


def decode(token: str, token_type: str) -> dict:
    """The token's claims, or TokenError saying what is wrong with it."""
    try:
        claims = jwt.decode(
            token,
            signing_key(),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "type", "iat", "exp", "jti", "sid", "pwd"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("The token has expired.") from None
    except jwt.InvalidTokenError:
        raise TokenError("The token is invalid.") from None
    if claims.get("type") != token_type:
        raise TokenError(f"This is not {_ARTICLE[token_type]} {token_type} token.")
    return claims


def _pair(user, session: str) -> tuple[dict, str]:
    """The answer of POST /auth/ and /auth/token-refresh/ in the documented shape,
    and the new refresh token's jti."""
    now = datetime.now(tz=UTC)
    refresh_jti = uuid.uuid4().hex
    pair = {
        "access_token": encode(user, ACCESS, session=session, now=now),
        "expires_in": lifetime(ACCESS),
        "refresh_expires_in": lifetime(REFRESH),
        "refresh_token": encode(user, REFRESH, session=session, now=now, jti=refresh_jti),
        "token_type": "Bearer",
        "not-before-policy": 0,
        "session_state": session,
        "scope": SCOPE,
    }
    return pair, refresh_jti


def sign_in(user) -> dict:
    """The token pair of a new sign-in (a new family).

    The user's sign-ins whose every token has expired are forgotten here, so the
    table holds about one row per live sign-in without a cleaning job.
    """
    longest = timedelta(seconds=max(lifetime(ACCESS), lifetime(REFRESH)))
    TokenFamily.objects.filter(user=user).expired(longest_lifetime=longest).delete()
    session = uuid.uuid4().hex
    pair, refresh_jti = _pair(user, session)
    TokenFamily.objects.create(sid=session, user=user, refresh_jti=refresh_jti)
    return pair


def allowed_user(claims: dict):
    """The token's user if it may use the API; AuthenticationError (401) or
    AuthorizationError (403) if not.

    A user deleted since the token was issued is a 401: the token names nobody.
    So is a token older than the user's password, or of a revoked sign-in.
    """
    user = get_user_model().objects.filter(pk=_int_or_none(claims["sub"])).first()
    if user is None:
        raise AuthenticationError(message="The token's user no longer exists.")
    if not constant_time_compare(claims["pwd"], password_stamp(user)):
        raise AuthenticationError(message=OUTDATED)
    if TokenFamily.objects.revoked().filter(sid=claims["sid"]).exists():
        raise AuthenticationError(message=REVOKED)
    if not user.is_active:
        raise AuthorizationError(message="This account is inactive.")
    if not user.has_perm(PERMISSION):
        raise AuthorizationError(
            message="This account may not create orders through the API "
            f"(it needs the {PERMISSION} permission)."
        )
    return user


def refresh(refresh_token: str) -> dict:
    """A new token pair for the current refresh token of a sign-in; the old one is spent.

    The family row is locked, so two refreshes with one token can't both win.
    A spent token revokes the family; that is committed before the 401 is raised.
    """
    claims = decode(refresh_token, REFRESH)
    with transaction.atomic():
        family = TokenFamily.objects.select_for_update().filter(sid=claims["sid"]).first()
        if family is None or str(family.user_id) != claims["sub"]:
            raise TokenError("The token is invalid.")
        if family.revoked_at is not None:
            raise TokenError(REVOKED)
        reused = not constant_time_compare(family.refresh_jti, claims["jti"])
        if reused:
            family.revoked_at = timezone.now()
            family.save(update_fields=["revoked_at"])
        else:
            user = allowed_user(claims)  # a 403 leaves the token unspent
            pair, family.refresh_jti = _pair(user, family.sid)
            family.last_issued_at = timezone.now()
            family.save(update_fields=["refresh_jti", "last_issued_at"])
    if reused:
        raise TokenError(REUSED)
    return pair


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
