"""A per-process cache bounded in bytes as well as in entries.

Django's LocMemCache counts entries only: 2,000 pages of 50 kB and 2,000 of 500 kB are
the same to it, so a worker's memory follows whatever the shop happens to cache. This
backend keeps the sum of its stored (pickled) values and keys under `MAX_BYTES` by
evicting the least recently used entries first (LocMemCache already keeps its entries
in use order: `get` moves a key to the front, `_cull` pops from the back). A value
larger than the whole budget is not stored at all.

    CACHES = {"default": {
        "BACKEND": "storefront.bounded_cache.BoundedLocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 2000, "MAX_BYTES": 32 * 1024 * 1024},
    }}

Like LocMemCache, every instance with the same LOCATION shares one store (Django makes
an instance per thread), so the byte ledger is shared the same way, under the same lock.
"""

from django.core.cache.backends import locmem

DEFAULT_MAX_BYTES = 32 * 1024 * 1024

# By LOCATION, beside LocMemCache's own module-level stores: {key: bytes} per store.
_sizes: dict[str, dict[str, int]] = {}
_totals: dict[str, list[int]] = {}  # a one-item list: shared and mutable


class BoundedLocMemCache(locmem.LocMemCache):
    def __init__(self, name, params):
        super().__init__(name, params)
        options = params.get("OPTIONS") or {}
        self.max_bytes = int(options.get("MAX_BYTES", DEFAULT_MAX_BYTES))
        self._sizes = _sizes.setdefault(name, {})
        self._total = _totals.setdefault(name, [0])

    def size_in_bytes(self) -> int:
        """What the stored values and keys weigh now (the figure MAX_BYTES bounds)."""
        with self._lock:
            return self._total[0]

    @staticmethod
    def _weight(key, pickled) -> int:
        return len(key) + len(pickled)

    def _set(self, key, value, timeout=locmem.DEFAULT_TIMEOUT):
        weight = self._weight(key, value)
        self._delete(key)  # a replaced value's bytes leave first
        if weight > self.max_bytes:
            return  # would push out everything else and still not fit
        while self._cache and (
            self._total[0] + weight > self.max_bytes or len(self._cache) >= self._max_entries
        ):
            self._evict_oldest()
        self._cache[key] = value
        self._cache.move_to_end(key, last=False)
        self._expire_info[key] = self.get_backend_timeout(timeout)
        self._sizes[key] = weight
        self._total[0] += weight

    def _evict_oldest(self):
        key, _ = self._cache.popitem()  # the back: least recently used
        self._expire_info.pop(key, None)
        self._total[0] -= self._sizes.pop(key, 0)

    def _cull(self):
        # Only LocMemCache._set calls this, and _set is ours: kept for completeness.
        self._evict_oldest()

    def _delete(self, key):
        deleted = super()._delete(key)
        if deleted:
            self._total[0] -= self._sizes.pop(key, 0)
        return deleted

    def incr(self, key, delta=1, version=None):
        value = super().incr(key, delta, version)
        # The counter's pickled size may have changed (1 byte for most ints): account for it.
        stored_key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if stored_key in self._cache:
                weight = self._weight(stored_key, self._cache[stored_key])
                self._total[0] += weight - self._sizes.get(stored_key, 0)
                self._sizes[stored_key] = weight
        return value

    def clear(self):
        with self._lock:
            self._cache.clear()
            self._expire_info.clear()
            self._sizes.clear()
            self._total[0] = 0
