"""Text blocks: rich text for everyone, raw HTML for trusted editors only."""

from django.utils.functional import cached_property
from wagtail import blocks

RICH_TEXT_FEATURES = [
    "h2", "h3", "h4", "bold", "italic", "ol", "ul", "hr", "link", "document-link", "image",
    "embed", "blockquote",
]  # fmt: skip


class RichTextBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    @cached_property
    def field(self):
        """Wagtail's field, as the `RichTextFormField` that refuses unreadable input."""
        # Imported here: Wagtail's admin widgets need the app registry, and blocks load
        # while models are still being loaded.
        from pages.rich_text import RichTextFormField

        field = super().field
        return RichTextFormField(widget=field.widget, **self.field_options)

    class Meta:
        icon = "doc-full"
        template = "pages/blocks/rich_text.html"
        preview_value = (
            "<h2>Why shop with us</h2><p>Free returns for 30 days, delivery in two working "
            "days and a real person on the phone when you need one.</p>"
        )
        description = "Formatted text with headings, lists, links and images."


class RawHTMLBlock(blocks.RawHTMLBlock):
    """Rendered unescaped: whoever writes it can run script on the public site.

    Only editors holding the `pages.use_raw_html` permission may add or change
    these blocks (enforced by `pages.forms.StorefrontPageForm`); others can
    move or delete existing ones. See "Trust model" in the README.
    """

    class Meta:
        icon = "code"
        template = "pages/blocks/raw_html.html"
        label = "Raw HTML"
        preview_value = '<div style="padding:1rem;border:1px dashed #999">Embedded widget</div>'
        description = (
            "HTML inserted as-is, for embeds that have no block of their own. Needs the "
            '"Can add or change raw HTML blocks" permission.'
        )
