"""What every batch write of the integration API answers: one result per item sent.

An ERP sends a list (AMPER's `Send…Async(list)`); each item is checked on its own and
gets `created`, `updated`, `unchanged` or `error` with its field messages, so a bad item
never holds back the good ones and the ERP knows exactly which to fix and send again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

CREATED, UPDATED, UNCHANGED, ERROR = "created", "updated", "unchanged", "error"
STATUSES = (CREATED, UPDATED, UNCHANGED, ERROR)


@dataclass
class ItemResult:
    index: int  # from 0, the item's place in the list sent
    external_id: str  # what the ERP knows the item by ("" when the item has none)
    status: str = UNCHANGED
    errors: dict[str, list[str]] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)  # the fields an update changed
    note: str = ""  # what the ERP should know about an item written otherwise than sent

    def fail(self, name: str, message: str) -> ItemResult:
        self.status = ERROR
        self.errors.setdefault(name, []).append(message)
        return self


def counts(results: list[ItemResult]) -> dict[str, int]:
    """{status: how many items}, every status present (0 when none)."""
    tally = Counter(result.status for result in results)
    return {status: tally.get(status, 0) for status in STATUSES}
