"""Hero banner: the large campaign banner at the top of a page."""

from wagtail import blocks

from .campaign import CampaignBlock
from .images import PrefetchedImageBlock, sample_image_value
from .links import LinkBlock


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


class HeroBannerBlock(CampaignBlock):
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

    class Meta:
        icon = "image"
        template = "pages/blocks/hero_banner.html"
        description = (
            "A full-width campaign banner with an image, a heading, a short text and up to "
            "two buttons."
        )

    def get_preview_value(self):
        # A function, not Meta.preview_value: the sample image is looked up
        # when the block picker opens, not when the module is imported.
        return self.normalize(hero_preview_value())
