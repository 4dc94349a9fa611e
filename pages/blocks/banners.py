"""Banner group: two to four image banners side by side."""

from wagtail import blocks

from .campaign import CampaignBlock
from .images import PrefetchedImageBlock, sample_image_value
from .links import LinkBlock


class BannerBlock(blocks.StructBlock):
    image = PrefetchedImageBlock(required=False)
    title = blocks.CharBlock(max_length=80)
    subtitle = blocks.CharBlock(required=False, max_length=120)
    link = LinkBlock()

    class Meta:
        icon = "image"


def banner_group_preview_value():
    return {
        "heading": "Shop by occasion",
        "banners": [
            {
                "image": sample_image_value("Outdoor gear"),
                "title": "Outdoors",
                "subtitle": "Ready for any weather",
                "link": {"url": "https://example.com/", "label": "Explore"},
            },
            {
                "image": sample_image_value("Kitchen tools"),
                "title": "Kitchen",
                "subtitle": "Tools that last",
                "link": {"url": "https://example.com/", "label": "Explore"},
            },
        ],
    }


def starting_at_minimum(list_block: blocks.ListBlock) -> blocks.ListBlock:
    """A list block that a new block starts with `min_num` empty items, not Wagtail's one:
    an editor adding a banner group sees both banners it needs, not an error on saving.
    Runtime only (like min_num, it is not part of the stored data), so no migration."""
    list_block.meta.default = [
        list_block.child_block.get_default() for _ in range(list_block.meta.min_num or 1)
    ]
    return list_block


class BannerGroupBlock(CampaignBlock):
    heading = blocks.CharBlock(required=False, max_length=120)
    banners = starting_at_minimum(blocks.ListBlock(BannerBlock(), min_num=2, max_num=4))

    class Meta:
        icon = "grip"
        template = "pages/blocks/banner_group.html"
        description = "Two to four image banners side by side, each linking somewhere."

    def get_preview_value(self):
        # A function, not Meta.preview_value: the sample image is looked up
        # when the block picker opens, not when the module is imported.
        return self.normalize(banner_group_preview_value())
