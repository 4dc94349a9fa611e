"""The generic StreamField blocks editors compose pages from.

Each block is a class in its own module with its template (under
`pages/templates/pages/blocks/`) and a preview value side by side. Every block a
stream offers has a campaign window (an on/off switch, a start and an end): it
derives from `CampaignBlock` (`campaign.py`). To add one, write the class, its
template, and list it in the stream blocks that offer it
(`ContentStreamBlock` below, `home.blocks.HomePageStreamBlock`); then run
`python manage.py makemigrations`. The README walks through an example.

These blocks know nothing of the shop: the catalog's own blocks (product
sections, category tiles) live in `commerce/blocks/`.
"""

from wagtail import blocks

from .banners import BannerGroupBlock
from .campaign import CampaignBlock, CampaignValue, is_shown, shown_blocks
from .cta import CallToActionBlock
from .figure import FigureBlock
from .hero import HeroBannerBlock
from .links import LinkBlock
from .slider import SliderBlock
from .text import RawHTMLBlock, RawHTMLSectionBlock, RichTextBlock, RichTextSectionBlock


class ContentStreamBlock(blocks.StreamBlock):
    """What a content page (About, Delivery, Terms…) is made of."""

    rich_text = RichTextSectionBlock()
    figure = FigureBlock()
    call_to_action = CallToActionBlock()
    banner_group = BannerGroupBlock()
    raw_html = RawHTMLSectionBlock()


__all__ = [
    "BannerGroupBlock",
    "CallToActionBlock",
    "CampaignBlock",
    "CampaignValue",
    "ContentStreamBlock",
    "FigureBlock",
    "HeroBannerBlock",
    "LinkBlock",
    "RawHTMLBlock",
    "RawHTMLSectionBlock",
    "RichTextBlock",
    "RichTextSectionBlock",
    "SliderBlock",
    "is_shown",
    "shown_blocks",
]
