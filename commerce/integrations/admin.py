"""Admin for API keys (Integrations → API keys).

A key is created with a name and its scopes; the page after creation shows the key once
(it is not stored, only its hash). Editing renames a key, changes its scopes or revokes it
for good; a revoked key stays listed so its last use can still be seen. Staff give a key
only scopes whose admin permission they hold themselves (`models.scopes_beyond`).
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

from commerce.integrations.models import ApiKey, Scope, default_scopes, scopes_beyond


class ApiKeyForm(WagtailAdminModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What requests with this key may do. Give it only what the system needs.",
        error_messages={"required": "Choose at least one thing this key may do."},
    )
    revoke = forms.BooleanField(
        required=False,
        label="Revoke this key",
        help_text="Requests with it are refused at once. A revoked key can't be restored.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The model field's value: a new key's default scopes, or the key's own.
        scopes = self.instance.scopes if self.instance.pk else default_scopes()
        self.initial["scopes"] = scopes if isinstance(scopes, list) else []

    def clean_scopes(self):
        chosen = self.cleaned_data["scopes"]
        kept = self.instance.scopes if self.instance.pk else []
        # A scope the key had already may stay; only what is added needs the permission.
        added = [scope for scope in chosen if scope not in kept]
        beyond = scopes_beyond(self.for_user, added) if self.for_user is not None else []
        if beyond:
            names = "; ".join(scope.label for scope in beyond)
            raise forms.ValidationError(
                f"You can't give a key what you may not do yourself: {names}."
            )
        return [scope for scope in Scope.values if scope in chosen]  # in a fixed order

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


class ScopesColumn(Column):
    def get_value(self, instance):
        return ", ".join(instance.scopes) if isinstance(instance.scopes, list) else ""


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
        ScopesColumn("scopes", label="Scopes"),
        DateColumn("created_at", label="Created"),
        DateColumn("last_used_at", label="Last used"),
    ]
    list_filter = []
    search_fields = None
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("scopes"), FieldPanel("revoke")], base_form_class=ApiKeyForm
    )


class IntegrationsViewSetGroup(SnippetViewSetGroup):
    menu_label = "Integrations"
    menu_icon = "link-external"
    menu_order = 160
    items = (ApiKeyViewSet,)
