from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What other systems use: the integration API, the order API, price-comparison feeds."""

    name = "commerce.integrations"
    label = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"
