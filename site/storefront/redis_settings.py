"""Settings for the parts of the shop that live in Redis: the shared cache (CACHE_URL) and,
with TASK_BACKEND=rq, the task queue (REDIS_URL). settings.py calls these; the tests build
their Redis cache with the same function, so they test the options production runs with.
"""

from typing import Any

#: Seconds to wait for Redis to accept a connection, and for an answer. A cache that is
#: down or unreachable makes a request fail fast instead of holding a web worker (redis-py
#: waits for ever by default); a page is a few tens of kB, well within a second.
CACHE_CONNECT_TIMEOUT = 0.5
CACHE_SOCKET_TIMEOUT = 1.0
#: A pooled connection idle this long is checked with a PING before use, so the first
#: request after a Redis restart does not fail on a connection the server dropped.
CACHE_HEALTH_CHECK_SECONDS = 30

#: RQ: seconds a job may run before its worker kills it (RQ's default is 180; a large price
#: feed takes longer on a small machine).
RQ_JOB_TIMEOUT = 900


def redis_cache(location: str, key_prefix: str) -> dict[str, Any]:
    """A CACHES entry for Django's RedisCache at `location` (redis://, rediss://, unix://).

    Every key starts with `key_prefix`, so several shops (or staging and production, or
    parallel test runs) can share one Redis without reading each other's pages or
    counting each other's requests. `cache.clear()` still empties the whole Redis
    database (FLUSHDB): give each shop its own database number or server.
    """
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.retry import Retry

    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": key_prefix,
        # Passed to redis-py's connection pool.
        "OPTIONS": {
            "socket_connect_timeout": CACHE_CONNECT_TIMEOUT,
            "socket_timeout": CACHE_SOCKET_TIMEOUT,
            "health_check_interval": CACHE_HEALTH_CHECK_SECONDS,
            # One immediate reconnect when a connection breaks (a restart, a failover); a
            # Redis that stays down fails the second time, at once. Not on a timeout: that
            # would double the wait on a server that hangs.
            "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        },
    }


def rq_queues(url: str, names: list[str]) -> dict[str, dict[str, Any]]:
    """django-rq's RQ_QUEUES: each task queue of the shop as an RQ queue at `url`."""
    return {name: {"URL": url, "DEFAULT_TIMEOUT": RQ_JOB_TIMEOUT} for name in names}
