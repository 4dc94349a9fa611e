"""The generic StreamField blocks editors compose pages from.

Each block is a class in its own module with its template (under
`pages/templates/pages/blocks/`) and a preview value side by side. To add one,
write the class, its template, and list it in the stream blocks that offer it
(`ContentStreamBlock` below, `home.blocks.HomePageStreamBlock`); then run
`python manage.py makemigrations`. The README walks through an example.

These blocks know nothing of the shop: the catalog's own blocks (product
sections, category tiles) live in `commerce/blocks/`.
"""

from wagtail import blocks

from .banners import BannerGroupBlock
from .cta import CallToActionBlock
from .figure import FigureBlock
from .hero import HeroBannerBlock
from .links import LinkBlock
from .slider import SliderBlock
from .text import RawHTMLBlock, RichTextBlock


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
    "ContentStreamBlock",
    "FigureBlock",
    "HeroBannerBlock",
    "LinkBlock",
    "RawHTMLBlock",
    "RichTextBlock",
    "SliderBlock",
]
