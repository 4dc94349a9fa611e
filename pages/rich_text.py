"""Rich text from the admin's forms: a value the editor did not write is a form error.

Draftail posts its content as JSON (contentstate), which its widget converts to
HTML while the form reads its data, before any validation: a POST with
anything else in a rich-text field (a script, a proxy, a stale form) raised
there, and the edit page answered 500. `RichTextInput` (the default rich text
editor, see WAGTAILADMIN_RICH_TEXT_EDITORS) turns such a value into
`UNREADABLE`, which `RichTextFormField` (every RichTextField in Wagtail's admin
forms, and pages.blocks.RichTextBlock) refuses with a message. The form is then
shown again with the field empty and the error beside it.
"""

from django import forms
from django.core.exceptions import ValidationError
from wagtail.admin.forms.models import register_form_field_override
from wagtail.admin.rich_text import DraftailRichTextArea
from wagtail.fields import RichTextField

MESSAGE = "This text could not be read; write it again in the editor."


class _Unreadable:
    """What an unreadable rich-text value becomes. Truthy, so wrappers keep it (RichText);
    as text it holds NUL, so even a plain CharField refuses it."""

    def __bool__(self):
        return True

    def __str__(self):
        return "\x00"

    def __repr__(self):
        return "UNREADABLE"


UNREADABLE = _Unreadable()


class RichTextInput(DraftailRichTextArea):
    def value_from_datadict(self, data, files, name):
        try:
            return super().value_from_datadict(data, files, name)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            # Not JSON (ValueError), or JSON that is not contentstate.
            return UNREADABLE

    def format_value(self, value):
        return super().format_value("" if value is UNREADABLE else value)


class RichTextFormField(forms.CharField):
    def clean(self, value):
        if value is UNREADABLE:
            raise ValidationError(MESSAGE, code="unreadable")
        return super().clean(value)


def register():
    """Every RichTextField in Wagtail's admin model forms gets `RichTextFormField`."""
    register_form_field_override(RichTextField, override={"form_class": RichTextFormField})
