"""Widgets for fields that take several values: ticks in a list with a filter box.

Ctrl-click multi-selects lose a whole selection on one plain click and hide what is chosen
once the list scrolls. Checkboxes keep each choice visible; the filter box (shown by a small
script, so the list still works without it) narrows a long list as staff type.
"""

from django import forms


class FilterableCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    template_name = "commerce/admin/widgets/filterable_checkboxes.html"

    class Media:
        js = ["commerce/admin/checkbox-filter.js"]
        css = {"all": ["commerce/admin/checkbox-filter.css"]}

    def __init__(self, attrs=None, choices=(), *, placeholder="Type to filter"):
        super().__init__(attrs, choices)
        self.placeholder = placeholder

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["placeholder"] = self.placeholder
        return context
