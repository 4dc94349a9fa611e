"""API key authentication for the integration API.

A key is accepted in the `api_key` query parameter (as AMPER's documentation
shows) or in an `Authorization: Api-Key <key>` header. A missing, unknown or
revoked key gets 401 with a JSON body (`{"detail": "Unauthorized"}`) from ninja's
AuthenticationError handler, before any parameter is looked at. A good key without the
scope an endpoint needs (`key_auth(scope)`) gets 403 with the scope named.
"""

from django.http import HttpRequest
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import APIKeyHeader, APIKeyQuery

from commerce.integrations.models import ApiKey, Scope, key_prefix

HEADER_SCHEME = "Api-Key"


def authenticate_key(key: str | None) -> ApiKey | None:
    """The active key row for a presented key, or None: one indexed query (plus, at
    most once a minute per key, an UPDATE of its last-used time)."""
    if not key:
        return None
    prefix = key_prefix(key)
    if prefix is None:
        return None
    row = ApiKey.objects.active().filter(prefix=prefix).first()
    if row is None or not row.matches(key):
        return None
    row.touch()
    return row


def authenticate_request(request: HttpRequest) -> ApiKey | None:
    """The key row for this request, None when it presents no key at all.

    Every key presented must be valid: a wrong `api_key` is refused even when the
    header holds a good key (and the other way round), so a client never works by
    accident with a stale key lying around. An `Authorization` header with another
    scheme (e.g. Basic, from a proxy) is not ours and is ignored.
    """
    if hasattr(request, "_integration_api_key"):
        return request._integration_api_key
    presented = []
    if "api_key" in request.GET:
        presented.append(request.GET["api_key"])
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == HEADER_SCHEME.lower():
        presented.append(value.strip())
    rows = [authenticate_key(key) for key in presented]
    if not all(rows):
        raise AuthenticationError()
    request._integration_api_key = rows[0] if rows else None
    return request._integration_api_key


def authorize(request: HttpRequest, scope: Scope | None) -> ApiKey | None:
    """The request's key if it has `scope` (any good key when `scope` is None); None
    without a key (401); 403 with a message when the key is good but lacks the scope."""
    row = authenticate_request(request)
    if row is not None and scope is not None and not row.allows(scope):
        raise AuthorizationError(
            message=f"This API key does not have the {scope.value!r} scope "
            f"({scope.label[0].lower()}{scope.label[1:]}). Staff can add it under "
            "Integrations → API keys."
        )
    return row


class QueryApiKey(APIKeyQuery):
    """`?api_key=<key>`, as in AMPER's documentation."""

    param_name = "api_key"

    def __init__(self, scope: Scope | None):
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        return authorize(request, self.scope)


class HeaderApiKey(APIKeyHeader):
    """`Authorization: Api-Key <key>`; the scheme name is matched case-insensitively."""

    param_name = "Authorization"

    def __init__(self, scope: Scope | None):
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        return authorize(request, self.scope)


def key_auth(scope: Scope | None) -> list:
    """An endpoint's `auth`: a key with `scope` (None: any good key, for what a key reads
    of its own, such as its batch jobs), in either place. Two schemes for the OpenAPI
    document; both apply the same rule."""
    return [QueryApiKey(scope), HeaderApiKey(scope)]
