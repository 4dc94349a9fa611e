"""Admin forms shared by every page type."""

from collections import Counter

from django import forms
from django.core.validators import RegexValidator
from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm

from .preview import DatedPreviewFormMixin

RAW_HTML_PERMISSION = "pages.use_raw_html"


# Plain words: the field is a colour picker, so only a typed (or scripted) value can fail.
hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour like #1a73e8.")


class ColourInput(forms.TextInput):
    """The browser's colour picker, `<input type="color">`: editors pick, it sends #rrggbb
    (the validator still checks what arrives, in plain words)."""

    input_type = "color"


class BrandingSettingsForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        colour = self.fields.get("primary_colour")
        if colour is not None:
            # One message for anything that is not #rrggbb, too long included (the form
            # field's own length check would say "Ensure this value has at most 7
            # characters"); the model checks the same again on saving.
            colour.validators = [hex_colour]


def raw_html_values(stream_value):
    """The raw HTML snippets of a StreamField value, as a multiset.

    Only the HTML counts: moving a trusted snippet's campaign window changes no code."""
    if not stream_value:
        return Counter()
    return Counter(
        str(child.value["html"]).strip() for child in stream_value if child.block_type == "raw_html"
    )


class StorefrontPageForm(DatedPreviewFormMixin, WagtailAdminPageForm):
    """Carries the dated preview's "Preview as of" field (`pages.preview`), and stops
    editors without the raw HTML permission from adding or changing it.

    Raw HTML is published unescaped, so writing it is as powerful as writing
    the site's templates. Editors without `pages.use_raw_html` can still move
    or delete the blocks a trusted colleague wrote; any new or changed snippet
    is refused with a form error.

    "Existing" means what the database holds now (the live page and its latest
    draft), never the form's own instance: on the revert screen that instance
    is an old revision, and trusting it would let an editor bring back a
    snippet a trusted colleague removed.
    """

    def clean(self):
        cleaned_data = super().clean()
        if "body" not in cleaned_data:
            return cleaned_data
        user = getattr(self, "for_user", None)
        if user is not None and user.has_perm(RAW_HTML_PERMISSION):
            return cleaned_data
        after = raw_html_values(cleaned_data["body"])
        if after and after - self.raw_html_in_database():
            self.add_error(
                "body",
                "You may move or delete raw HTML blocks, but adding or changing one needs "
                'the "Can add or change raw HTML blocks" permission.',
            )
        return cleaned_data

    def raw_html_in_database(self):
        if not self.instance.pk:
            return Counter()
        stored = type(self.instance).objects.filter(pk=self.instance.pk).first()
        if stored is None:
            return Counter()
        latest = stored.get_latest_revision_as_object()
        # Union, not sum: a snippet in both the live page and the draft counts once.
        return raw_html_values(stored.body) | raw_html_values(latest.body)
