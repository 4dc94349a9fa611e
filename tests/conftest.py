import os

import pytest
from django.test import override_settings

from home.demo import ensure_site, seed_demo_content

# Playwright's sync API runs an event loop in the test thread; Django refuses
# ORM calls from a thread with a running loop unless told it is safe. The ORM
# calls in browser tests are ordinary synchronous test set-up.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True, scope="session")
def _plain_static_storage():
    """Tests render templates without running collectstatic first.

    Production uses WhiteNoise's manifest storage, which needs the collected
    manifest; the test suite checks that separately (test_deploy_settings).
    """
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path_factory):
    """Uploads and renditions of a test never land in the repository's media/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def homepage(db):
    return ensure_site()


@pytest.fixture
def demo(db):
    """The full demo site: homepage with every block, content pages, settings."""
    seed_demo_content()
    from home.models import HomePage

    return HomePage.objects.get()
