"""Call-to-action strip: one sentence and one button across the page."""

from wagtail import blocks

from .campaign import CampaignBlock
from .links import LinkBlock


class CallToActionBlock(CampaignBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=300)
    link = LinkBlock()
    style = blocks.ChoiceBlock(
        choices=[("brand", "Brand colour"), ("light", "Light"), ("dark", "Dark")],
        default="brand",
    )

    class Meta:
        icon = "pick"
        template = "pages/blocks/call_to_action.html"
        preview_value = {
            "heading": "Free delivery on orders over 50",
            "text": "Order by 2 pm and it leaves our warehouse today.",
            "link": {"url": "https://example.com/", "label": "See delivery options"},
            "style": "brand",
        }
        description = "A coloured strip with a short message and one button."
