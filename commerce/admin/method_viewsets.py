"""Admin for delivery and payment methods (under "Shop")."""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.snippets.views.snippets import SnippetViewSet

from commerce.models import DeliveryMethod, PaymentMethod
from commerce.payments import registry


class DeliveryMethodViewSet(SnippetViewSet):
    model = DeliveryMethod
    icon = "site"
    menu_label = "Delivery methods"
    list_display = ["name", "price", "free_from", "vat_rate", "is_active", "sort_order"]
    search_fields = ["name"]
    search_backend_name = None


class PaymentMethodForm(WagtailAdminModelForm):
    # Only the providers in settings.STOREFRONT_PAYMENT_PROVIDERS; the model's
    # clean() refuses anything else too.
    provider = forms.ChoiceField(
        choices=registry.choices, help_text=PaymentMethod._meta.get_field("provider").help_text
    )

    class Meta:
        model = PaymentMethod
        fields = ["name", "description", "provider", "is_active", "sort_order"]


class PaymentMethodViewSet(SnippetViewSet):
    model = PaymentMethod
    icon = "form"
    menu_label = "Payment methods"
    list_display = ["name", "provider", "is_active", "sort_order"]
    search_fields = ["name", "provider"]
    search_backend_name = None
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel(
                "description",
                help_text="Shown at checkout; for bank transfer also the account details "
                "printed in the order confirmation.",
            ),
            FieldPanel("provider"),
            FieldRowPanel([FieldPanel("is_active"), FieldPanel("sort_order")]),
        ],
        base_form_class=PaymentMethodForm,
    )
