"""Admin for API keys (Integrations → API keys).

A key is created with just a name; the page after creation shows the key once
(it is not stored, only its hash). Editing renames a key or revokes it for
good; a revoked key stays listed so its last use can still be seen.
"""

from django import forms
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from commerce.integrations.models import ApiKey


class ApiKeyForm(WagtailAdminModelForm):
    revoke = forms.BooleanField(
        required=False,
        label="Revoke this key",
        help_text="Requests with it are refused at once. A revoked key can't be restored.",
    )

    def save(self, commit=True):
        if self.cleaned_data.get("revoke") and self.instance.revoked_at is None:
            self.instance.revoked_at = timezone.now()
        return super().save(commit=commit)


class ApiKeyCreateView(CreateView):
    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields.pop("revoke", None)  # nothing to revoke yet
        return form

    def save_instance(self):
        self.api_key = self.form.instance.set_new_key()
        return super().save_instance()

    def save_action(self):
        if self.expects_json_response:
            return super().save_action()
        response = TemplateResponse(
            self.request,
            "integrations/api_key_created.html",
            {
                "object": self.object,
                "api_key": self.api_key,
                "header_title": "API key created",
                "page_title": f"API key created: {self.object.name}",
                "header_icon": "key",
                "index_url": self.get_success_url(),
            },
        )
        add_never_cache_headers(response)
        return response


class ApiKeyEditView(EditView):
    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.object.revoked_at is not None and "revoke" in form.fields:
            del form.fields["revoke"]
        return form


class StatusColumn(Column):
    def get_value(self, instance):
        return "Revoked" if instance.is_revoked else "Active"


class ApiKeyViewSet(SnippetViewSet):
    model = ApiKey
    icon = "key"
    menu_label = "API keys"
    add_view_class = ApiKeyCreateView
    edit_view_class = ApiKeyEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "name",
        Column("prefix", label="Key starts with"),
        StatusColumn("status", label="Status"),
        DateColumn("created_at", label="Created"),
        DateColumn("last_used_at", label="Last used"),
    ]
    list_filter = []
    search_fields = None
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("revoke")], base_form_class=ApiKeyForm
    )


class IntegrationsViewSetGroup(SnippetViewSetGroup):
    menu_label = "Integrations"
    menu_icon = "link-external"
    menu_order = 160
    items = (ApiKeyViewSet,)
