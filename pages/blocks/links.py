"""A link to a page on this site or to an external URL, used by every block."""

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError


class LinkValue(blocks.StructValue):
    @property
    def is_set(self):
        return self.get("page") is not None or bool(self.get("url"))

    def href(self, request=None):
        page = self.get("page")
        if page is not None:
            return page.get_url(request=request) or ""
        return self.get("url") or ""

    @property
    def text(self):
        page = self.get("page")
        return self.get("label") or (page.title if page is not None else self.get("url", ""))


class LinkBlock(blocks.StructBlock):
    """Exactly one target: a page (follows it when it moves) or a URL.

    `LinkBlock(required=False)` may also be left entirely empty.
    """

    page = blocks.PageChooserBlock(required=False, help_text="A page on this site.")
    url = blocks.URLBlock(required=False, label="URL", help_text="Or an external address.")
    label = blocks.CharBlock(
        required=False, max_length=80, help_text="Link text; defaults to the page title."
    )

    class Meta:
        value_class = LinkValue
        icon = "link"
        template = "pages/blocks/link.html"
        form_classname = "link-block"
        required = True

    def clean(self, value):
        value = super().clean(value)
        if not self.meta.required and not value.is_set and not value.get("label"):
            return value
        has_page, has_url = value.get("page") is not None, bool(value.get("url"))
        if has_page == has_url:
            message = ValidationError("Choose either a page or a URL, not both or neither.")
            raise StructBlockValidationError(block_errors={"page": message, "url": message})
        if has_url and not value.get("label"):
            raise StructBlockValidationError(
                block_errors={"label": ValidationError("A link to a URL needs link text.")}
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        context["href"] = value.href(request)
        # Outbound links open in the same tab; noopener denies the target a
        # handle on this window (the referrer policy is set site-wide).
        context["is_external"] = value.get("page") is None
        return context
