"""Slider: a row of slides that scrolls sideways (CSS scroll snap, no JS needed)."""

from wagtail import blocks

from .campaign import CampaignBlock
from .images import PrefetchedImageBlock, sample_image_value
from .links import LinkBlock


class SlideBlock(blocks.StructBlock):
    image = PrefetchedImageBlock(required=False)
    caption = blocks.CharBlock(required=False, max_length=160)
    link = LinkBlock(required=False)

    class Meta:
        icon = "image"


def slider_preview_value():
    return {
        "heading": "New this week",
        "slides": [
            {
                "image": sample_image_value("Slide one"),
                "caption": "Hand-made mugs",
                "link": {"url": "https://example.com/", "label": "See more"},
            },
            {
                "image": sample_image_value("Slide two"),
                "caption": "Linen tablecloths",
                "link": {"url": "https://example.com/", "label": "See more"},
            },
        ],
    }


class SliderBlock(CampaignBlock):
    heading = blocks.CharBlock(required=False, max_length=120)
    slides = blocks.ListBlock(SlideBlock(), min_num=1, max_num=12)

    class Meta:
        icon = "media"
        template = "pages/blocks/slider.html"
        description = "A horizontally scrolling row of slides with captions and links."

    def get_preview_value(self):
        # A function, not Meta.preview_value: the sample image is looked up
        # when the block picker opens, not when the module is imported.
        return self.normalize(slider_preview_value())
