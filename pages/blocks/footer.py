"""Blocks for the footer settings: link columns and social profiles."""

from wagtail import blocks

from .links import LinkBlock


class FooterColumnBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=60)
    links = blocks.ListBlock(LinkBlock(), min_num=1, max_num=12)

    class Meta:
        icon = "list-ul"


class SocialLinkBlock(blocks.StructBlock):
    network = blocks.ChoiceBlock(
        choices=[
            ("facebook", "Facebook"),
            ("instagram", "Instagram"),
            ("linkedin", "LinkedIn"),
            ("pinterest", "Pinterest"),
            ("tiktok", "TikTok"),
            ("x", "X"),
            ("youtube", "YouTube"),
        ]
    )
    url = blocks.URLBlock(label="URL")

    class Meta:
        icon = "link-external"
