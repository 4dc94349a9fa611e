from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What other systems use: the integration API, the order API, price-comparison feeds."""

    name = "commerce.integrations"
    label = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Webhooks hear the shop's writers through signals (commerce.services.events and
        # Wagtail's published/unpublished): the core never imports the integrations.
        from commerce.integrations.services.webhooks import connect_signals

        connect_signals()
