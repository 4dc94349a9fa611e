"""The homepage's stream: the generic blocks of `pages` and the catalog blocks of `commerce`."""

from wagtail import blocks

from commerce.blocks import CategoryTilesBlock, ProductSectionBlock
from pages.blocks import (
    BannerGroupBlock,
    CallToActionBlock,
    HeroBannerBlock,
    RawHTMLBlock,
    RichTextBlock,
    SliderBlock,
)


class HomePageStreamBlock(blocks.StreamBlock):
    """What the homepage is made of."""

    hero_banner = HeroBannerBlock()
    product_section = ProductSectionBlock()
    category_tiles = CategoryTilesBlock()
    banner_group = BannerGroupBlock()
    slider = SliderBlock()
    call_to_action = CallToActionBlock()
    rich_text = RichTextBlock()
    raw_html = RawHTMLBlock()
