"""What a storefront render may keep from one catalog version to the next request.

A page-cache miss (a filter combination nobody asked for since the last change, a
shopper the page cache does not serve) still renders the parts that do not depend on
the request: the filterable attributes, the storefront's categories, each product's
tile fragment. They change only when the catalog does, and every catalog write bumps
the catalog version in the same transaction (`services.catalog_version`), so keying
them on the version makes them exactly as fresh as the page cache: never stale, and
old entries are simply never read again and age out.

One switch and lifetime with the page cache (`STOREFRONT_PAGE_CACHE_SECONDS`; 0 turns
these off too: every part is then computed on every request).
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache

from commerce.services.catalog_version import request_catalog_version


def enabled() -> bool:
    return settings.STOREFRONT_PAGE_CACHE_SECONDS > 0


def version_key(name: str, version: int) -> str:
    return f"storefront:v:{version}:{name}"


def per_version(name: str, compute: Callable, *, request=None):
    """`compute()`'s value, computed once per catalog version (`name` says what it is)."""
    if not enabled():
        return compute()
    key = version_key(name, request_catalog_version(request))
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.STOREFRONT_PAGE_CACHE_SECONDS)
    return value


def per_version_many(name: str, ids: Iterable, compute: Callable, *, request=None) -> dict:
    """{id: value} for `ids`, one cache round trip for all of them; `compute(missing_ids)`
    returns {id: value} for those not cached at this version, in one go."""
    ids = list(dict.fromkeys(ids))
    if not enabled():
        return compute(ids) if ids else {}
    version = request_catalog_version(request)
    keys = {pk: version_key(f"{name}:{pk}", version) for pk in ids}
    found = cache.get_many(list(keys.values())) if ids else {}
    values = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in ids if pk not in values]
    if missing:
        computed = compute(missing)
        cache.set_many(
            {keys[pk]: value for pk, value in computed.items()},
            settings.STOREFRONT_PAGE_CACHE_SECONDS,
        )
        values |= computed
    return values
