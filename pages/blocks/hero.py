"""Hero banner: the large campaign banner at the top of a page."""

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

from pages.clock import shop_now

from .images import PrefetchedImageBlock, sample_image_value
from .links import LinkBlock


class HeroBannerValue(blocks.StructValue):
    def is_showing(self, at=None):
        """True inside the campaign window; open-ended on either side when unset."""
        at = at or shop_now()
        starts, ends = self.get("starts_at"), self.get("ends_at")
        return (starts is None or starts <= at) and (ends is None or at < ends)


def hero_preview_value():
    return {
        "image": sample_image_value("Autumn collection on a wooden table"),
        "heading": "The autumn collection is here",
        "text": "Warm layers, honest prices, delivered in two days.",
        "links": [
            {"url": "https://example.com/", "label": "Shop the collection"},
            {"url": "https://example.com/", "label": "Read the story"},
        ],
    }


class HeroBannerBlock(blocks.StructBlock):
    image = PrefetchedImageBlock(required=False)
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=400)
    links = blocks.ListBlock(
        LinkBlock(label="Call to action"),
        min_num=0,
        max_num=2,
        default=[],
        label="Calls to action",
        help_text="Up to two buttons; the first is the primary one.",
    )
    starts_at = blocks.DateTimeBlock(
        required=False, help_text="Shown from this moment on. Leave empty to show at once."
    )
    ends_at = blocks.DateTimeBlock(
        required=False, help_text="Hidden from this moment on. Leave empty to show until removed."
    )

    class Meta:
        value_class = HeroBannerValue
        icon = "image"
        template = "pages/blocks/hero_banner.html"
        description = (
            "A full-width campaign banner with an image, a heading, a short text and up to "
            "two buttons. Optionally shown only between two dates."
        )

    def get_preview_value(self):
        # A function, not Meta.preview_value: the sample image is looked up
        # when the block picker opens, not when the module is imported.
        return self.normalize(hero_preview_value())

    def clean(self, value):
        value = super().clean(value)
        starts, ends = value.get("starts_at"), value.get("ends_at")
        if starts and ends and ends <= starts:
            raise StructBlockValidationError(
                block_errors={"ends_at": ValidationError("The end must come after the start.")}
            )
        return value

    def render(self, value, context=None):
        # Outside its campaign window the banner renders nothing at all, so a
        # scheduled campaign needs no publish at midnight.
        if not value.is_showing():
            return ""
        return super().render(value, context=context)
