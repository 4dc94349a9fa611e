"""System checks for site-wide settings (`python manage.py check --deploy`)."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.http.request import validate_host


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@register(Tags.security, deploy=True)
def admin_base_url_check(app_configs, **kwargs):
    """Staff e-mails link to WAGTAILADMIN_BASE_URL: it must be the public HTTPS address.

    Settings refuse to start without it when DEBUG is off; this catches a value that
    is set but wrong, and a missing one where settings are overridden.
    """
    url = getattr(settings, "WAGTAILADMIN_BASE_URL", None) or ""
    hint = "Set WAGTAILADMIN_BASE_URL to the address staff open the admin at, "
    hint += "such as https://shop.example.com."
    if not url:
        return [Warning("WAGTAILADMIN_BASE_URL is not set.", hint=hint, id="storefront.W001")]
    parts = urlsplit(url)
    host = parts.hostname or ""
    if _is_loopback(host):
        return [
            Warning(
                f"WAGTAILADMIN_BASE_URL ({url}) points at this machine: links in staff "
                "e-mails would open the reader's own computer.",
                hint=hint,
                id="storefront.W002",
            )
        ]
    if parts.scheme != "https":
        return [
            Warning(
                f"WAGTAILADMIN_BASE_URL ({url}) is not an https:// address.",
                hint=hint,
                id="storefront.W003",
            )
        ]
    if not validate_host(host, settings.ALLOWED_HOSTS):
        return [
            Warning(
                f"WAGTAILADMIN_BASE_URL's host {host!r} is not in ALLOWED_HOSTS, so this "
                "site does not answer at the address staff e-mails link to.",
                hint=hint,
                id="storefront.W004",
            )
        ]
    return []
