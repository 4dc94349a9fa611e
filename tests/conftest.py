import functools
import os
from decimal import Decimal

import pytest
from django.test import override_settings
from wagtail.models import Site

from home.demo import ensure_site
from pages.models import BrandingSettings, FooterSettings
from tests.factories.catalog import make_category, make_product, make_shop, seed_small_demo

# Playwright's sync API runs an event loop in the test thread; Django refuses
# ORM calls from a thread with a running loop unless told it is safe. The ORM
# calls in browser tests are ordinary synchronous test set-up.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True, scope="session")
def _test_server_settings():
    """Production settings, minus the two things a plain-HTTP test server can't do,
    and a fast password hash.

    - Static files: production uses WhiteNoise's manifest storage, which needs
      `collectstatic` first; test_deploy_settings.py checks that path.
    - HTTPS: the test client and live_server speak plain HTTP, so no redirect
      to https:// and no Secure-only cookies. check --deploy is tested with
      the real values in a subprocess.
    - Tasks: run at once in the test's process (ImmediateBackend).
    - Cache: in this process's memory whatever CACHE_URL says, so each parallel
      worker (pytest-xdist) has its own; a shared Redis would serve one worker's
      pages to another, keep them from an earlier run, and be cleared under a
      worker by the other's tests.
    """
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(
        # Tests create and sign in hundreds of accounts; a hash built to be slow would
        # take most of the suite's time and proves nothing here.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STORAGES=storages,
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "OPTIONS": {"MAX_ENTRIES": 2000},
            }
        },
        # Tasks run at once, in the test's process: a test sees an e-mail the moment the
        # order commits. tests/storefront/test_tasks_worker.py runs the database queue
        # with a real worker process.
        TASKS={
            "default": {
                "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                "QUEUES": ["default"],
            }
        },
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
    ):
        yield


@pytest.fixture(autouse=True, scope="session")
def _small_demo_pictures():
    """Demo pictures at a quarter of their size, drawn once per session.

    Every test that seeds the demo saves these pictures and, on its first page view, resizes
    and re-encodes them (WebP and JPEG) into every rendition its templates ask for; at full
    size (up to 1920x720) that was most of such a test's time. The same code runs on a
    sixteenth of the pixels: Wagtail never upscales, so renditions just come out smaller,
    and no test asserts a demo picture's size.
    """
    import pages.demo

    full_size = pages.demo.render_picture

    @functools.cache
    def small_picture(caption, start, end, size):
        return full_size(caption, start, end, (size[0] // 4, size[1] // 4))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages.demo, "render_picture", small_picture)
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path_factory):
    """Uploads and renditions of a test never land in the repository's media/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the page cache is keyed by the catalog
    version, which every test's rolled-back transaction brings back to the same number."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def homepage(db):
    return ensure_site()


@pytest.fixture
def shop(homepage):
    """The site's shop page (`make_shop`), under the homepage."""
    return make_shop(homepage)


@pytest.fixture
def kettle(shop):
    """A stocked product in a category, on a site whose settings rows exist already.

    Site settings are created on first read, and creating them bumps the catalog version;
    a live site has them long before anyone counts cache hits."""
    site = Site.objects.get(is_default_site=True)
    BrandingSettings.for_site(site)
    FooterSettings.for_site(site)
    return make_product(
        "Copper kettle", price=Decimal("30.00"), main_category=make_category("Kitchen"), stock=5
    )


@pytest.fixture
def no_page_cache(settings):
    """Every request renders, for tests about what rendering shows and what it costs (a
    page-cache hit is one query whatever the page holds: see test_page_cache.py)."""
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def demo(db):
    """The full demo site with a small catalog (see seed_small_demo)."""
    return seed_small_demo()


@pytest.fixture
def wsgi_app_in_test_transaction():
    """Django's real WSGI app, minus the per-request connection clean-up: it would close
    the connection holding the test's transaction (Django's test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from storefront.wsgi import application

    def served(environ, start_response):
        """Each answer read and closed as a WSGI server does, so `request_finished` runs
        (it clears the request id, pages/request_log.py); schemathesis never closes them."""
        response = application(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield served
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def redis_cache():
    """Django's cache on the real Redis at REDIS_URL for this test (the session-wide cache
    is per process on purpose, see `_test_server_settings`): `caches["default"]` and
    `caches["second_node"]` (tests.redis_support.SECOND_NODE, another app server's view of
    the same keys), both with production's options and a key prefix of this test's own.

    Yields a RedisCacheUnderTest (url, prefix, client(), stored_keys()). Skipped when
    REDIS_URL is unset; `make test` always sets it. The test's keys are deleted afterwards,
    and only they: the server is shared by parallel workers.
    """
    from tests.redis_support import (
        RedisCacheUnderTest,
        delete_keys,
        redis_cache_settings,
        redis_url,
        unique_name,
    )

    under_test = RedisCacheUnderTest(url=redis_url(), prefix=unique_name("cache"))
    try:
        with override_settings(CACHES=redis_cache_settings(under_test.url, under_test.prefix)):
            yield under_test
    finally:
        delete_keys(under_test.client(), under_test.prefix)


@pytest.fixture(autouse=True)
def _no_request_id_after_the_test():
    """A server clears the request id when it closes the answer (`request_finished`,
    pages/request_log.py); a test that reads a streamed answer, or calls a view itself,
    never closes one, and its id would stay on the next test's log lines."""
    yield
    from django_guid.context import guid

    guid.set(None)
