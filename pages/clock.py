"""The shop's "now": the real time, or the moment an editor previews at.

Everything that depends on a window (block campaign windows, running
promotions, the prices they give) asks `shop_now()` instead of
`timezone.now()`, so a preview "as on 2 December, 10:00" renders the whole page
as shoppers will see it then. Only the preview sets another moment
(`previewing_at`); a context variable, so concurrent requests never see each
other's moment.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_preview_moment: ContextVar[datetime | None] = ContextVar("preview_moment", default=None)


def shop_now() -> datetime:
    return _preview_moment.get() or timezone.now()


def previewed_moment() -> datetime | None:
    """The moment being previewed, or None outside a dated preview."""
    return _preview_moment.get()


@contextmanager
def previewing_at(moment: datetime | None):
    """Within this block `shop_now()` is `moment` (None: the real time)."""
    token = _preview_moment.set(moment)
    try:
        yield
    finally:
        _preview_moment.reset(token)
