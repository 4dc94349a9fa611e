"""Campaign windows: every page block can be switched off, or shown only between two moments.

As AMPER's homepage sections, each block of the homepage and of content pages has an
on/off switch and an optional start and end. One rule decides, `is_shown`, against the
shop's clock (`pages.clock.shop_now`): the live site asks it at the real time, a dated
preview (`pages.preview`) at the moment the editor chose. Outside its window a block
renders nothing, so a campaign needs no publish at midnight; a cached page stops at the
next start or end of any of its blocks (`next_boundary_after`, read by
`commerce.services.page_cache`).

A block gets its window by deriving from `CampaignBlock` instead of `blocks.StructBlock`:
the three fields come last in its form, in a "Campaign window" group. Blocks whose value
is not a StructBlock (rich text, raw HTML) are wrapped in one (`pages.blocks.text`).
"""

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.blocks.struct_block import BlockGroup, StructBlockValidationError

from pages.clock import shop_now

WINDOW_FIELDS = ("switched_off", "starts_at", "ends_at")


def is_shown(value, at=None) -> bool:
    """The rule: switched on, and `at` (default: the shop's now) inside the window.

    The start is inclusive and the end exclusive; an empty date leaves that side open.
    `value` is a block's value (or any mapping with the window's keys)."""
    if value.get("switched_off"):
        return False
    at = at or shop_now()
    starts, ends = value.get("starts_at"), value.get("ends_at")
    return (starts is None or starts <= at) and (ends is None or at < ends)


def window_boundaries(stream_value):
    """Every start and end set on the blocks of a StreamField value (switched-off blocks
    have none: they stay hidden whatever the time)."""
    for child in stream_value or ():
        value = child.value
        if isinstance(value, CampaignValue) and not value.get("switched_off"):
            for moment in (value.get("starts_at"), value.get("ends_at")):
                if moment is not None:
                    yield moment


def next_boundary_after(stream_values, now):
    """The first moment after `now` at which a block of these StreamField values appears or
    disappears, or None."""
    later = [
        moment
        for stream_value in stream_values
        for moment in window_boundaries(stream_value)
        if moment > now
    ]
    return min(later, default=None)


def shown_blocks(stream_value, at=None):
    """The blocks of a StreamField value that shoppers see at `at` (default: the shop's now),
    in their order."""
    at = at or shop_now()
    return [
        child
        for child in stream_value or ()
        if not isinstance(child.value, CampaignValue) or is_shown(child.value, at)
    ]


class CampaignValue(blocks.StructValue):
    def is_shown(self, at=None):
        return is_shown(self, at)


class CampaignBlock(blocks.StructBlock):
    """A StructBlock with the campaign window; derive page blocks from it."""

    switched_off = blocks.BooleanBlock(
        required=False,
        label="Switched off",
        help_text="Hidden from shoppers whatever the dates, until switched on again.",
    )
    starts_at = blocks.DateTimeBlock(
        required=False, help_text="Shown from this moment on. Leave empty to show at once."
    )
    ends_at = blocks.DateTimeBlock(
        required=False, help_text="Hidden from this moment on. Leave empty to show until removed."
    )

    class Meta:
        value_class = CampaignValue

    def get_form_layout(self):
        if self.meta.form_layout is not None:
            return super().get_form_layout()
        content = [name for name in self.child_blocks if name not in WINDOW_FIELDS]
        window = BlockGroup(
            list(WINDOW_FIELDS),
            heading="Campaign window",
            icon="date",
            # What a collapsed group shows: the dates, so a schedule is seen at a glance.
            label_format="{starts_at} – {ends_at}",
        )
        return BlockGroup([*content, window])

    def clean(self, value):
        value = super().clean(value)
        starts, ends = value.get("starts_at"), value.get("ends_at")
        if starts and ends and ends <= starts:
            raise StructBlockValidationError(
                block_errors={"ends_at": ValidationError("The end must come after the start.")}
            )
        return value

    def render(self, value, context=None):
        # Outside its window a block renders nothing; pages also leave it out of their
        # stream (`shown_blocks`), this covers a block rendered on its own.
        if not is_shown(value):
            return ""
        return super().render(value, context=context)
