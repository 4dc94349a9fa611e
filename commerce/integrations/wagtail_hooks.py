from django.contrib.auth.models import Permission
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from commerce.integrations.admin import IntegrationsViewSetGroup

register_snippet(IntegrationsViewSetGroup)


@hooks.register("register_permissions")
def create_orders_permission():
    """Makes "Can create orders through the create-order API" assignable to groups."""
    return Permission.objects.filter(
        content_type__app_label="integrations", codename="create_orders"
    )
