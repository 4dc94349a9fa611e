"""Which payment providers exist: settings.STOREFRONT_PAYMENT_PROVIDERS, by dotted path."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def _providers():
    providers = {}
    for path in settings.STOREFRONT_PAYMENT_PROVIDERS:
        provider = import_string(path)()
        providers[provider.code] = provider
    return providers


def codes() -> list[str]:
    return list(_providers())


def choices() -> list[tuple[str, str]]:
    return [(code, provider.name) for code, provider in _providers().items()]


def get(code: str):
    try:
        return _providers()[code]
    except KeyError:
        raise LookupError(f"No payment provider {code!r}.") from None
