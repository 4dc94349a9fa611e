"""Admin forms shared by every page type."""

from collections import Counter

from wagtail.admin.forms import WagtailAdminPageForm

RAW_HTML_PERMISSION = "pages.use_raw_html"


def raw_html_values(stream_value):
    """The raw HTML snippets of a StreamField value, as a multiset."""
    if not stream_value:
        return Counter()
    return Counter(
        str(child.value).strip() for child in stream_value if child.block_type == "raw_html"
    )


class StorefrontPageForm(WagtailAdminPageForm):
    """Stops editors without the raw HTML permission from adding or changing it.

    Raw HTML is published unescaped, so writing it is as powerful as writing
    the site's templates. Editors without `pages.use_raw_html` can still move
    or delete the blocks a trusted colleague wrote; any new or changed snippet
    is refused with a form error.
    """

    def clean(self):
        cleaned_data = super().clean()
        user = getattr(self, "for_user", None)
        if "body" not in cleaned_data or user is None or user.has_perm(RAW_HTML_PERMISSION):
            return cleaned_data
        before = raw_html_values(self.instance.body if self.instance.pk else None)
        after = raw_html_values(cleaned_data["body"])
        if after - before:
            self.add_error(
                "body",
                "You may move or delete raw HTML blocks, but adding or changing one needs "
                'the "Can add or change raw HTML blocks" permission.',
            )
        return cleaned_data
