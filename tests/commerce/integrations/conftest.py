"""Fixtures the integration tests share."""

import pytest

from tests.commerce.integrations.webhook_support import Receiver


@pytest.fixture
def receiver():
    """A webhook `Receiver` on loopback for the test, stopped after it."""
    started = Receiver().start()
    yield started
    started.stop()
