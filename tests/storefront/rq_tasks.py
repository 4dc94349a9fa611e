"""Tasks that tests/storefront/test_rq_backend.py runs on a real RQ worker process. Each
counts its runs in Redis, at the URL and key it is given, so the test sees every try."""

import redis

from commerce.services.tasks import NO_RETRY, RetryPolicy, background_task

#: Three tries, no backoff of its own: retries wait RQ's shortest delay.
THREE_TRIES = RetryPolicy(attempts=3, backoff=0, max_backoff=0)


def count_run(url: str, key: str) -> int:
    return redis.Redis.from_url(url).incr(key)


@background_task(retry=NO_RETRY)
def runs_once(url: str, key: str, word: str) -> str:
    count_run(url, key)
    return word.upper()


@background_task(retry=THREE_TRIES)
def down_for(url: str, key: str, failures: int) -> int:
    """Fails as a server that is down would, on its first `failures` tries."""
    runs = count_run(url, key)
    if runs <= failures:
        raise ConnectionRefusedError(f"the server is down (try {runs})")
    return runs


@background_task(retry=THREE_TRIES)
def broken(url: str, key: str) -> None:
    count_run(url, key)
    raise ValueError("a bug, not a passing fault")
