"""The dated preview: a page or a snippet "as it will look at a chosen date and time".

Wagtail's preview renders the object its edit form builds from the editor's unsaved input
(`form.save(commit=False)`, then `serve_preview`). Two mixins make that preview dated:

- `DatedPreviewFormMixin`, on the edit form: a "Preview as of" field that is no model
  field and is never saved. When the form builds its instance (for the preview as for a
  save) it puts the value on the instance as `preview_moment`.
- `DatedPreviewMixin`, on the model: `serve_preview` renders inside
  `pages.clock.previewing_at(self.preview_moment)`, so everything that asks the shop's
  clock (`shop_now()`: block campaign windows, running promotions and the prices they
  give) answers as it will at that moment. Left empty, the preview shows now.

Nothing else changes: the live site never sets a moment, and a preview request never
reaches the page cache (`page_cache.is_personal`).

To give a model the dated preview (pages do it in `home.models` and `pages.models`):

    class PromotionForm(DatedPreviewFormMixin, WagtailAdminModelForm):
        pass

    class Promotion(DatedPreviewMixin, PreviewableMixin, ..., models.Model):
        base_form_class = PromotionForm
        panels = [..., DATED_PREVIEW_PANEL]

The form mixin comes first among the form's bases and the model mixin before
`PreviewableMixin` (or `Page`), so their methods wrap Wagtail's.
"""

from django import forms
from wagtail.admin.panels import FieldPanel
from wagtail.admin.widgets import AdminDateTimeInput

from .clock import previewing_at

PREVIEW_FIELD = "preview_as_of"

DATED_PREVIEW_PANEL = FieldPanel(PREVIEW_FIELD, heading="Preview as of")


class DatedPreviewFormMixin(forms.Form):
    """Adds "Preview as of" to an admin edit form; see the module docstring."""

    preview_as_of = forms.DateTimeField(
        required=False,
        widget=AdminDateTimeInput,
        label="Preview as of",
        help_text="Only for the preview: shows the page as shoppers will see it at this "
        "moment (campaign windows, promotions). Not saved; empty shows now.",
    )

    def save(self, commit=True):
        # Set before Wagtail's save: the preview view calls save(commit=False) and then
        # renders this same instance.
        self.instance.preview_moment = self.cleaned_data.get(PREVIEW_FIELD)
        return super().save(commit=commit)


class DatedPreviewMixin:
    """Renders the preview at `preview_moment` (None: now); see the module docstring."""

    preview_moment = None

    def serve_preview(self, request, mode_name):
        with previewing_at(self.preview_moment):
            response = super().serve_preview(request, mode_name)
            # Rendered here, not later by Wagtail's preview handler: templates and blocks
            # read the clock while they render, and the moment only holds inside this block.
            if callable(getattr(response, "render", None)):
                response = response.render()
        return response
