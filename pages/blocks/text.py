"""Text blocks: rich text for everyone, raw HTML for trusted editors only."""

from django.utils.functional import cached_property
from wagtail import blocks

from .campaign import CampaignBlock

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
        label = "Text"


class RawHTMLBlock(blocks.RawHTMLBlock):
    class Meta:
        icon = "code"
        label = "HTML"


class WrappedValueBlock(CampaignBlock):
    """A campaign block around one value that used to be the stream child itself.

    Before campaign windows a rich text or raw HTML child stored its bare string. The
    data migrations (home 0004, pages 0002) wrap stored pages and their revisions; this
    reads any bare string left (code or fixtures that still write one) the same way.
    """

    wrapped = None  # the name of the child that holds the value

    def wrap(self, value):
        return {self.wrapped: value} if isinstance(value, str) else value

    def to_python(self, value):
        return super().to_python(self.wrap(value))

    def bulk_to_python(self, values):
        return super().bulk_to_python([self.wrap(value) for value in values])

    def normalize(self, value):
        return super().normalize(self.wrap(value))


class RichTextSectionBlock(WrappedValueBlock):
    text = RichTextBlock()

    wrapped = "text"

    class Meta:
        icon = "doc-full"
        label = "Rich text"
        template = "pages/blocks/rich_text.html"
        preview_value = {
            "text": "<h2>Why shop with us</h2><p>Free returns for 30 days, delivery in two "
            "working days and a real person on the phone when you need one.</p>"
        }
        description = "Formatted text with headings, lists, links and images."


class RawHTMLSectionBlock(WrappedValueBlock):
    """Rendered unescaped: whoever writes it can run script on the public site.

    Only editors holding the `pages.use_raw_html` permission may add or change
    these blocks (enforced by `pages.forms.StorefrontPageForm`); others can
    move or delete existing ones, and change their campaign window. See "Trust
    model" in the README.
    """

    html = RawHTMLBlock()

    wrapped = "html"

    class Meta:
        icon = "code"
        template = "pages/blocks/raw_html.html"
        label = "Raw HTML"
        preview_value = {
            "html": '<div style="padding:1rem;border:1px dashed #999">Embedded widget</div>'
        }
        description = (
            "HTML inserted as-is, for embeds that have no block of their own. Needs the "
            '"Can add or change raw HTML blocks" permission.'
        )
