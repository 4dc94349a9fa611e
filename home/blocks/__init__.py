"""StreamField blocks editors compose pages from.

Each block is a class in its own module with its template (under
`home/templates/home/blocks/`) and a preview value side by side. To add one,
write the class, its template, and list it in the stream blocks below; then run
`python manage.py makemigrations`. The README walks through an example.
"""

from wagtail import blocks

from commerce.blocks import CategoryTilesBlock, ProductSectionBlock

from .banners import BannerGroupBlock
from .cta import CallToActionBlock
from .figure import FigureBlock
from .hero import HeroBannerBlock
from .links import LinkBlock
from .slider import SliderBlock
from .text import RawHTMLBlock, RichTextBlock


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


class ContentStreamBlock(blocks.StreamBlock):
    """What a content page (About, Delivery, Terms…) is made of."""

    rich_text = RichTextBlock()
    figure = FigureBlock()
    call_to_action = CallToActionBlock()
    banner_group = BannerGroupBlock()
    raw_html = RawHTMLBlock()


__all__ = [
    "BannerGroupBlock",
    "CallToActionBlock",
    "CategoryTilesBlock",
    "ContentStreamBlock",
    "FigureBlock",
    "HeroBannerBlock",
    "HomePageStreamBlock",
    "LinkBlock",
    "ProductSectionBlock",
    "RawHTMLBlock",
    "RichTextBlock",
    "SliderBlock",
]
