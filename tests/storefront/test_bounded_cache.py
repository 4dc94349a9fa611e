"""The per-process cache is bounded in bytes (storefront/bounded_cache.py), at the edge."""

import pickle
import uuid

import pytest

from storefront.bounded_cache import BoundedLocMemCache


def weight(cache, key, value):
    """What one entry counts against MAX_BYTES: its stored key and pickled value."""
    stored_key = cache.make_and_validate_key(key)
    return len(stored_key) + len(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


def bounded(max_bytes, max_entries=1000):
    return BoundedLocMemCache(
        f"bounded-{uuid.uuid4().hex}",
        {"OPTIONS": {"MAX_BYTES": max_bytes, "MAX_ENTRIES": max_entries}},
    )


VALUE = "x" * 1000


@pytest.fixture
def one_entry():
    """The size of one 1,000-character entry under a three-letter key."""
    return weight(bounded(10**6), "k01", VALUE)


def test_exactly_at_the_bound_everything_stays(one_entry):
    cache = bounded(3 * one_entry)
    for key in ("k01", "k02", "k03"):
        cache.set(key, VALUE)
    assert cache.size_in_bytes() == 3 * one_entry
    assert [cache.get(key) for key in ("k01", "k02", "k03")] == [VALUE] * 3


def test_one_byte_over_evicts_the_least_recently_used(one_entry):
    cache = bounded(3 * one_entry)
    for key in ("k01", "k02", "k03"):
        cache.set(key, VALUE)
    cache.get("k01")  # k02 is now the least recently used
    cache.set("k04", VALUE)
    assert cache.get("k02") is None
    assert all(cache.get(key) == VALUE for key in ("k01", "k03", "k04"))
    assert cache.size_in_bytes() == 3 * one_entry

    bigger = VALUE + "y"  # one byte more than the one it pushes out
    cache.set("k05", bigger)
    assert cache.size_in_bytes() <= 3 * one_entry
    assert cache.get("k05") == bigger
    assert cache.get("k01") is None  # two had to go to make room for one byte more
    assert cache.get("k03") is None


def test_a_value_larger_than_the_whole_bound_is_not_stored_and_evicts_nothing(one_entry):
    cache = bounded(2 * one_entry)
    cache.set("k01", VALUE)
    cache.set("big", "z" * (2 * one_entry))
    assert cache.get("big") is None
    assert cache.get("k01") == VALUE
    assert cache.size_in_bytes() == one_entry


def test_a_replaced_value_counts_once_and_a_smaller_one_frees_bytes(one_entry):
    cache = bounded(10 * one_entry)
    cache.set("k01", VALUE)
    cache.set("k01", VALUE)
    assert cache.size_in_bytes() == one_entry
    cache.set("k01", "small")
    assert cache.size_in_bytes() == weight(cache, "k01", "small")


def test_delete_clear_expiry_and_counters_keep_the_ledger_exact(one_entry):
    cache = bounded(10 * one_entry)
    cache.set("k01", VALUE)
    cache.set("k02", VALUE)
    cache.delete("k01")
    assert cache.size_in_bytes() == one_entry
    cache.set("gone", VALUE, timeout=-1)  # already expired: read as missing, and dropped
    assert cache.get("gone") is None
    assert cache.size_in_bytes() == one_entry
    cache.set("n", 1)
    cache.incr("n", 10**30)  # a far bigger pickled int
    assert cache.get("n") == 1 + 10**30
    assert cache.size_in_bytes() == one_entry + weight(cache, "n", 1 + 10**30)
    cache.clear()
    assert cache.size_in_bytes() == 0


def test_the_entry_bound_still_holds(one_entry):
    cache = bounded(100 * one_entry, max_entries=2)
    for key in ("k01", "k02", "k03"):
        cache.set(key, VALUE)
    assert cache.get("k01") is None
    assert cache.size_in_bytes() == 2 * one_entry


def test_instances_of_one_location_share_the_store_and_its_ledger(one_entry):
    name = f"bounded-{uuid.uuid4().hex}"
    params = {"OPTIONS": {"MAX_BYTES": 2 * one_entry}}
    first, second = BoundedLocMemCache(name, params), BoundedLocMemCache(name, params)
    first.set("k01", VALUE)
    second.set("k02", VALUE)
    second.set("k03", VALUE)  # over: k01, set through the other instance, goes
    assert first.get("k01") is None
    assert first.size_in_bytes() == second.size_in_bytes() == 2 * one_entry


def test_the_shop_uses_it_when_no_redis_is_configured():
    from storefront import settings as shop_settings

    if shop_settings.CACHE_URL:
        pytest.skip("CACHE_URL is set: the shop's cache is Redis")
    default = shop_settings.CACHES["default"]
    assert default["BACKEND"] == "storefront.bounded_cache.BoundedLocMemCache"
    assert default["OPTIONS"]["MAX_BYTES"] == 32 * 1024 * 1024
