"""Admin for API keys (Integrations → API keys) and webhooks (Integrations → Webhooks,
Webhook deliveries).

A key is created with a name and its scopes; the page after creation shows the key once
(it is not stored, only its hash). Editing renames a key, changes its scopes or revokes it
for good; a revoked key stays listed so its last use can still be seen. Staff give a key
only scopes whose admin permission they hold themselves (`models.scopes_beyond`).

A webhook is created with a name, URL and events; the page after creation shows its secret
once (it is stored, to sign, but never shown again); "Rotate the secret" on the edit form
makes a new one and shows it the same way. Deliveries are a read-only log, filtered by
webhook, status and event; a failed one is re-sent by POST from its page (permission
"Can re-send webhook delivery"). The rules: `services/webhooks.py`. The ERP's batch jobs
are a read-only log too (`admin_logs.py`).
"""

from django import forms
from django.contrib import messages
from django.http import HttpResponseForbidden, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    InspectView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from commerce.integrations.admin_logs import BatchJobViewSet, LogPermissionPolicy, LogViewSet
from commerce.integrations.models import (
    ApiKey,
    DeliveryStatus,
    Scope,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
    default_scopes,
    new_webhook_secret,
    scopes_beyond,
)
from commerce.integrations.services import webhooks


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
        return shown_once(
            self,
            "integrations/admin/api_key_created.html",
            title="API key created",
            icon="key",
            api_key=self.api_key,
        )


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


# --- Webhooks -------------------------------------------------------------------------------


class WebhookForm(WagtailAdminModelForm):
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What this subscriber is sent.",
        error_messages={"required": "Choose at least one event."},
    )
    rotate_secret = forms.BooleanField(
        required=False,
        label="Rotate the secret",
        help_text="A new secret signs every delivery from now on; the old one stops working "
        "at once. The new one is shown once, after saving.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        events = self.instance.events if self.instance.pk else []
        self.initial["events"] = events if isinstance(events, list) else []
        self.was_active = self.instance.is_active if self.instance.pk else True

    def clean_events(self):
        chosen = self.cleaned_data["events"]
        return [event for event in WebhookEvent.values if event in chosen]  # a fixed order

    def save(self, commit=True):
        if self.instance.is_active and not self.was_active:
            webhooks.switch_on(self.instance)  # switched on again: a fresh count of failures
        elif self.was_active and not self.instance.is_active:
            webhooks.switch_off(self.instance, reason=f"Switched off by {self.for_user}.")
        return super().save(commit=commit)


def shown_once(view, template: str, *, title: str, icon: str, **context) -> TemplateResponse:
    """The page after creating a key or a webhook (or rotating its secret): the one time
    the secret is shown, so never stored by a cache."""
    response = TemplateResponse(
        view.request,
        template,
        {
            "object": view.object,
            "header_title": title,
            "page_title": f"{title}: {view.object.name}",
            "header_icon": icon,
            "index_url": view.get_success_url(),
            **context,
        },
    )
    add_never_cache_headers(response)
    return response


def secret_page(view, secret, title):
    return shown_once(
        view,
        "integrations/admin/webhook_secret.html",
        title=title,
        icon="link-external",
        secret=secret,
    )


class WebhookCreateView(CreateView):
    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields.pop("rotate_secret", None)  # a new webhook gets its first secret
        return form

    def save_instance(self):
        self.form.instance.secret = new_webhook_secret()
        return super().save_instance()

    def save_action(self):
        if self.expects_json_response:
            return super().save_action()
        return secret_page(self, self.object.secret, "Webhook created")


class WebhookEditView(EditView):
    def save_action(self):
        if self.expects_json_response or not self.form.cleaned_data.get("rotate_secret"):
            return super().save_action()
        secret = webhooks.rotate_secret(self.object)
        return secret_page(self, secret, "Webhook secret rotated")


class WebhookStatusColumn(Column):
    def get_value(self, instance):
        if instance.is_active:
            return "Active"
        return f"Switched off: {instance.disabled_reason}" if instance.disabled_reason else "Off"


class EventsColumn(Column):
    def get_value(self, instance):
        return ", ".join(instance.events) if isinstance(instance.events, list) else ""


class WebhookViewSet(SnippetViewSet):
    model = WebhookSubscription
    icon = "link-external"
    menu_label = "Webhooks"
    add_view_class = WebhookCreateView
    edit_view_class = WebhookEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "name",
        Column("url", label="URL"),
        EventsColumn("events", label="Events"),
        WebhookStatusColumn("is_active", label="Status"),
        Column("consecutive_failures", label="Failures in a row"),
        DateColumn("created_at", label="Created"),
    ]
    list_filter = ["is_active"]
    search_fields = None
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("url"),
            FieldPanel("events"),
            FieldPanel("stock_threshold"),
            FieldPanel("is_active"),
            FieldPanel("rotate_secret"),
        ],
        base_form_class=WebhookForm,
    )


class WebhookDeliveryPermissionPolicy(LogPermissionPolicy):
    """Deliveries are a log: viewed (view_webhookdelivery) and re-sent
    (resend_webhookdelivery); never added, edited or deleted in the admin."""

    actions = {"resend": "integrations.resend_webhookdelivery"}


delivery_permission_policy = WebhookDeliveryPermissionPolicy(WebhookDelivery)
register_permission_policy(WebhookDelivery, delivery_permission_policy)


def can_resend(user) -> bool:
    return delivery_permission_policy.user_has_permission(user, "resend")


class WebhookDeliveryInspectView(InspectView):
    template_name = "integrations/admin/webhook_delivery_inspect.html"
    page_title = "Webhook delivery"

    def get_object(self, queryset=None):
        return get_object_or_404(WebhookDelivery.objects.select_related("subscription"), pk=self.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        delivery = self.object
        context.update(
            delivery=delivery,
            body=webhooks.body_of(delivery).decode(),
            can_resend=can_resend(self.request.user) and delivery.status == DeliveryStatus.FAILED,
            resend_url=reverse(
                "wagtailsnippets_integrations_webhookdelivery:resend", args=[delivery.pk]
            ),
        )
        return context


def resend_view(request, pk):
    """POST only: puts a failed delivery back on the queue (services.webhooks.resend)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_resend(request.user):
        # A plain 403, not Wagtail's redirect to the dashboard: an action endpoint that a
        # page without the button never posts to.
        return HttpResponseForbidden("You may not re-send webhook deliveries.")
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("subscription"), pk=pk)
    try:
        webhooks.resend(delivery)
    except webhooks.ResendRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"The {delivery.event} delivery was queued to be sent again.")
    return redirect("wagtailsnippets_integrations_webhookdelivery:inspect", delivery.pk)


class WebhookDeliveryViewSet(LogViewSet):
    model = WebhookDelivery
    icon = "list-ul"
    menu_label = "Webhook deliveries"
    inspect_view_class = WebhookDeliveryInspectView
    log_permissions = ("view_webhookdelivery", "resend_webhookdelivery")
    list_display = [
        Column("event", label="Event"),
        Column("subscription", label="Webhook"),
        Column("status", label="Status", accessor="get_status_display"),
        Column("last_http_status", label="HTTP status"),
        Column("last_response_ms", label="Response (ms)"),
        Column("attempts", label="Attempts"),
        Column("last_error", label="Last error"),
        DateColumn("created_at", label="Created"),
        DateColumn("last_attempt_at", label="Last attempt"),
    ]
    list_filter = ["subscription", "status", "event"]

    def get_queryset(self, request):
        return WebhookDelivery.objects.select_related("subscription")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), path("resend/<int:pk>/", resend_view, name="resend")]


class IntegrationsViewSetGroup(SnippetViewSetGroup):
    menu_label = "Integrations"
    menu_icon = "link-external"
    menu_order = 160
    items = (ApiKeyViewSet, WebhookViewSet, WebhookDeliveryViewSet, BatchJobViewSet)
