"""Fixtures the integration tests share."""

import pytest

from tests.commerce.integrations.webhook_support import Receiver


@pytest.fixture
def receiver(settings):
    """A webhook `Receiver` on loopback for the test, stopped after it. Loopback is a
    private address, which webhooks are sent to only when the setting allows it."""
    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = True
    started = Receiver().start()
    yield started
    started.stop()
