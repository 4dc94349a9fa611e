"""Races for the concurrency tests: every call in its own thread and connection."""

import threading

from django.db import connections


def run_at_once(calls, *, refused=()) -> list[tuple[str, object]]:
    """Runs every call in its own thread and connection, all released at once.

    Each result is ("ok", value), ("refused", message) for an exception of a type in
    `refused`, or ("crashed", repr) for any other. Fails if a call hangs (deadlock?).
    """
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", call())
        except refused as error:
            results[index] = ("refused", str(error))
        except Exception as error:  # noqa: BLE001 - reported by the callers' assertions
            results[index] = ("crashed", repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not [t for t in threads if t.is_alive()], "a call hung (deadlock?)"
    return results
