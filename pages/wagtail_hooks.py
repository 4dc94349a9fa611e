from django.contrib.auth.models import Permission
from wagtail import hooks


@hooks.register("register_permissions")
def raw_html_permission():
    """Makes "Can add or change raw HTML blocks" assignable to groups in the admin."""
    return Permission.objects.filter(content_type__app_label="pages", codename="use_raw_html")
