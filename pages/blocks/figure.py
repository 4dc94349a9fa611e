"""Figure: an image with an optional caption, for content pages."""

from wagtail import blocks

from .campaign import CampaignBlock
from .images import PrefetchedImageBlock, sample_image_value


class FigureBlock(CampaignBlock):
    image = PrefetchedImageBlock()
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "pages/blocks/figure.html"
        description = "An image with an optional caption."

    def get_preview_value(self):
        return self.normalize(
            {
                "image": sample_image_value("Our warehouse team"),
                "caption": "Our warehouse team packing the morning orders.",
            }
        )
