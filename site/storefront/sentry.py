"""Errors to Sentry when SENTRY_DSN is set; nothing is sent otherwise.

sentry-sdk is an optional dependency (`pip install ".[sentry]"`), imported only when a
DSN is set. No personal data: send_default_pii is off (no user, cookies or client IP),
and each event carries the request id (or task id) that the shop's logs carry, so an
event leads to its log lines.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .env import Environ


def init_sentry(environ: Environ = os.environ) -> bool:
    """Starts Sentry's Django integration if SENTRY_DSN is set; True if it did."""
    dsn = environ.get("SENTRY_DSN", "").strip()
    if not dsn:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError as exc:
        raise ImproperlyConfigured(
            'SENTRY_DSN is set but sentry-sdk is not installed: `pip install ".[sentry]"`, '
            "or unset SENTRY_DSN."
        ) from exc
    try:
        traces = float(environ.get("SENTRY_TRACES_SAMPLE_RATE", "").strip() or 0)
    except ValueError as exc:
        message = "SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1."
        raise ImproperlyConfigured(message) from exc
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        environment=environ.get("SENTRY_ENVIRONMENT", "").strip() or "production",
        # Performance tracing costs on every request: off unless asked for.
        traces_sample_rate=traces,
        before_send=tag_request_id,
    )
    return True


def tag_request_id(event: dict, hint: dict) -> dict:
    from django_guid.context import guid

    request_id = guid.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event
