"""The homepage's stream: the generic blocks of `pages` and the catalog blocks of `commerce`."""

from wagtail import blocks

from commerce.blocks import CategoryTilesBlock, ProductSectionBlock
from pages.blocks import (
    BannerGroupBlock,
    CallToActionBlock,
    HeroBannerBlock,
    RawHTMLSectionBlock,
    RichTextSectionBlock,
    SliderBlock,
)


class HomePageStreamBlock(blocks.StreamBlock):
    """What the homepage is made of; every block has a campaign window (`pages.blocks.campaign`)."""

    hero_banner = HeroBannerBlock()
    product_section = ProductSectionBlock()
    category_tiles = CategoryTilesBlock()
    banner_group = BannerGroupBlock()
    slider = SliderBlock()
    call_to_action = CallToActionBlock()
    rich_text = RichTextSectionBlock()
    raw_html = RawHTMLSectionBlock()
