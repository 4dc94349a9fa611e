"""Tests against a real Redis (REDIS_URL; scripts/run-tests.sh starts one with
scripts/ensure-redis.sh): a cache of one test's own, and what is needed to find its keys.

The server is shared by parallel test workers and by other test runs, so nothing here
empties a whole database: every key a test writes starts with a prefix of its own, and
only those keys are deleted.
"""

import os
import uuid
from dataclasses import dataclass

import pytest
from django.core.cache.backends.redis import RedisCache

from storefront.redis_settings import redis_cache

#: The second alias `redis_cache` defines: the same Redis and prefix through a cache
#: object and connection pool of its own, as a second app server (another process) has.
SECOND_NODE = "second_node"


def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        pytest.skip("REDIS_URL is not set (scripts/run-tests.sh sets it: scripts/ensure-redis.sh)")
    return url


def unique_name(kind: str) -> str:
    """A name no other test, parallel worker or test run uses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"test:{kind}:{worker}:{uuid.uuid4().hex[:12]}"


class PrefixOnlyRedisCache(RedisCache):
    """Django's RedisCache, except that `clear()` deletes this cache's keys only.

    RedisCache.clear() is FLUSHDB: on a shared server it would empty the caches of every
    other test running at that moment.
    """

    def clear(self):
        delete_keys(self._cache.get_client(write=True), self.key_prefix)


def delete_keys(client, prefix: str) -> int:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        client.delete(*keys)
    return len(keys)


@dataclass
class RedisCacheUnderTest:
    url: str
    prefix: str

    def client(self):
        """A plain redis-py client, to look at the keys themselves."""
        import redis

        return redis.Redis.from_url(self.url)

    def stored_keys(self) -> list[str]:
        return sorted(
            key.decode() for key in self.client().scan_iter(match=f"{self.prefix}:*", count=500)
        )


def redis_cache_settings(url: str, prefix: str) -> dict:
    """CACHES with `default` and SECOND_NODE on the real Redis, as production builds them
    (storefront/redis_settings.py), but clearing only `prefix`."""
    config = {**redis_cache(url, prefix), "BACKEND": "tests.redis_support.PrefixOnlyRedisCache"}
    return {"default": config, SECOND_NODE: dict(config)}
