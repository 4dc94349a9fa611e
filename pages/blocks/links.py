"""A link to a page on this site or to an external URL, used by every block."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

LINK_URL_FORMS = (
    "a path on this site such as /gift-guide/, a full address such as "
    "https://example.com/ or an e-mail link such as mailto:shop@example.com"
)


def validate_link_url(value: str) -> None:
    """A link editors may type: a path on this site ("/gift-guide/"), an http(s) address or
    a mailto: link. Every other scheme is refused (javascript:, data:, vbscript: run code
    or show content in the shopper's browser), so the list is of what is allowed."""
    if value.startswith("/"):
        # "//host" and "/\host" leave the site in browsers; spaces and control characters
        # belong percent-encoded.
        if value.startswith("//") or "\\" in value or any(c.isspace() or c < " " for c in value):
            raise ValidationError(
                f"Enter {LINK_URL_FORMS}. A path has no spaces and starts with a single /."
            )
        return
    scheme, colon, rest = value.partition(":")
    scheme = scheme.lower()
    if scheme in ("http", "https") and colon:
        URLValidator(schemes=["http", "https"], message=f"Enter {LINK_URL_FORMS}.")(value)
    elif scheme == "mailto" and colon:
        try:
            validate_email(rest.split("?", 1)[0])
        except ValidationError:
            raise ValidationError(
                "Enter an e-mail address after mailto:, such as mailto:shop@example.com."
            ) from None
    elif colon and scheme.isascii() and scheme.isalpha():
        raise ValidationError(f"“{scheme}:” links are not allowed. Enter {LINK_URL_FORMS}.")
    else:
        raise ValidationError(
            f"Enter {LINK_URL_FORMS}. A page on this site starts with /, such as /{value}."
            if colon == "" and " " not in value
            else f"Enter {LINK_URL_FORMS}."
        )


class LinkURLBlock(blocks.FieldBlock):
    """A URL field that also takes site paths ("/gift-guide/") and mailto: links, which
    Wagtail's URLBlock refuses (it wants a scheme and a host)."""

    def __init__(self, required=True, help_text=None, max_length=500, **kwargs):
        self.field = forms.CharField(
            required=required,
            help_text=help_text,
            max_length=max_length,
            validators=[validate_link_url],
            widget=forms.TextInput(attrs={"placeholder": "/gift-guide/ or https://…"}),
        )
        super().__init__(**kwargs)

    class Meta:
        icon = "link"


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
    url = LinkURLBlock(
        required=False,
        label="URL",
        help_text="Or a path on this site (/gift-guide/), a full address (https://…) or mailto:….",
    )
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
