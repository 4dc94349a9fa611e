"""The shop behind a real Varnish (Debian's package) on loopback: the shared HTTP cache.

One app server (the Procfile's `web` line, gunicorn) and one private varnishd in front of it
(scripts/ensure-varnish.sh with deploy/varnish/default.vcl), started once for the module;
the app server purges that Varnish (HTTP_CACHE_PURGE_URL). Its task queue is the immediate
one, so the purge that follows a commit has reached Varnish when the admin's answer comes
back; in production the worker sends it (README, "Shared HTTP cache").

What is shown: an anonymous page without a form is stored and served by Varnish; personal
requests (a signed-in shopper, the session cookie) and POSTs pass; pages holding a CSRF
token (product pages) are never stored; a product saved in the admin is fresh through
Varnish at once and the stored pages are purged. Data as in test_multinode: autocommit,
the database emptied when the module ends.
"""

import os
import subprocess
import uuid

import pytest
import requests
from django.urls import reverse

from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.catalog import make_product, make_shop, product_form_data
from tests.processes import LOOPBACK, REPOSITORY, app_server_env, free_port, wait_until
from tests.storefront.test_multinode import (
    Process,
    collect_static,
    procfile,
    production_hashers,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("VARNISH"),
        reason="VARNISH is not set (scripts/run-tests.sh sets it with scripts/ensure-varnish.sh)",
    ),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
]

START_TIMEOUT = 90
REQUEST_TIMEOUT = 60
PUBLIC_HOST = "shop.example.com"
PROXY = "X-Proxy-Cache"


class Visitor:
    """One browser, talking to Varnish under the shop's public name."""

    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()
        self.session.headers["Host"] = PUBLIC_HOST

    def get(self, path: str, **headers) -> requests.Response:
        return self.session.get(
            self.url + path, headers=headers, allow_redirects=False, timeout=REQUEST_TIMEOUT
        )

    def post(self, path: str, data: dict) -> requests.Response:
        if "csrftoken" not in self.session.cookies:
            self.get("/account/login/")  # a page with a form sets the CSRF cookie
        data = {**data, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]}
        return self.session.post(
            self.url + path, data=data, allow_redirects=False, timeout=REQUEST_TIMEOUT
        )

    def sign_in(self, path: str, username: str) -> None:
        answer = self.post(path, {"username": username, "password": PASSWORD})
        assert answer.status_code == 302, answer.text[-2000:]


@pytest.fixture(scope="module")
def proxy(django_db_setup, django_db_blocker, tmp_path_factory):
    """The Varnish address (http://127.0.0.1:port) in front of a running shop."""
    from django.core.management import call_command
    from wagtail.models import Site

    from home.demo import ensure_site
    from pages.models import BrandingSettings, FooterSettings

    tmp = tmp_path_factory.mktemp("varnish")
    collect_static(tmp / "static")
    prefix = f"varnish-{uuid.uuid4().hex[:12]}"
    web_port, varnish_port = free_port(), free_port()
    varnish_dir = tmp / "varnishd"
    web = None
    with django_db_blocker.unblock():
        homepage = ensure_site()
        make_shop(homepage)
        # The site's own name is what the shop purges: the name shoppers use.
        site = Site.objects.get(is_default_site=True)
        site.hostname, site.port = PUBLIC_HOST, 80
        site.save()
        BrandingSettings.for_site(site)
        FooterSettings.for_site(site)
        env = app_server_env(
            tmp,
            public_host=PUBLIC_HOST,
            cache_prefix=prefix,
            PORT=str(web_port),
            TASK_BACKEND="immediate",
            HTTP_CACHE_PURGE_URL=f"http://{LOOPBACK}:{varnish_port}",
            HTTP_CACHE_SECONDS="300",
            WEB_CONCURRENCY="1",
            WEB_THREADS="4",
        )
        try:
            web = Process("web", procfile()["web"], env, tmp)
            subprocess.run(  # noqa: S603 - the project's own script
                [
                    str(REPOSITORY / "scripts/ensure-varnish.sh"),
                    "start",
                    str(web_port),
                    str(varnish_port),
                    str(varnish_dir),
                ],
                check=True,
                stdout=subprocess.PIPE,
                timeout=120,
            )
            url = f"http://{LOOPBACK}:{varnish_port}"

            def shop_answers():
                if web.popen.poll() is not None:
                    raise RuntimeError(f"gunicorn exited:\n{web.log()}")
                try:
                    return requests.get(f"http://{LOOPBACK}:{web_port}/healthz/", timeout=2).ok
                except requests.RequestException:
                    return False

            wait_until(shop_answers, timeout=START_TIMEOUT, interval=0.2)
            yield url
        finally:
            pid_file = varnish_dir / "varnishd.pid"
            if pid_file.exists():
                subprocess.run(["kill", pid_file.read_text().strip()], check=False)  # noqa: S603, S607
            if web is not None:
                web.stop()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker):
    """Autocommit, as in test_multinode: the app server sees the test's rows at once."""
    with django_db_blocker.unblock():
        yield


def test_an_anonymous_page_is_stored_and_served_by_varnish(proxy):
    first = Visitor(proxy).get("/")
    second = Visitor(proxy).get("/")
    assert first.status_code == second.status_code == 200
    assert "public" in first.headers["Cache-Control"]
    assert (first.headers[PROXY], second.headers[PROXY]) == ("miss", "hit")
    assert second.text == first.text
    # Other cookies (CSRF, analytics) share the anonymous copy.
    with_cookies = Visitor(proxy).get("/", Cookie="csrftoken=abc; _ga=1")
    assert with_cookies.headers[PROXY] == "hit"
    # A browser's revalidation is answered by Varnish itself.
    revalidated = Visitor(proxy).get("/", **{"If-None-Match": second.headers["ETag"]})
    assert revalidated.status_code == 304


def test_personal_requests_pass_varnish(proxy):
    Visitor(proxy).get("/")
    assert Visitor(proxy).get("/").headers[PROXY] == "hit"
    with production_hashers():
        shopper = make_customer(f"shopper-{uuid.uuid4().hex[:8]}@example.com")
    visitor = Visitor(proxy)
    visitor.sign_in("/account/login/", shopper.email)
    page = visitor.get("/")
    assert page.status_code == 200
    assert page.headers[PROXY] == "pass"
    assert "private" in page.headers["Cache-Control"]
    assert "/account/logout/" in page.text
    # And the anonymous copy is still the anonymous one.
    anonymous = Visitor(proxy).get("/")
    assert anonymous.headers[PROXY] == "hit"
    assert anonymous.text.count(shopper.email) == 0


def test_posts_are_never_cached(proxy):
    visitor = Visitor(proxy)
    for _ in range(2):
        answer = visitor.post("/cart/add/", {"variant": "0", "quantity": "1"})
        assert answer.headers[PROXY] == "pass"


def test_pages_with_a_csrf_token_are_never_stored(proxy):
    product = make_product(f"Tea tin {uuid.uuid4().hex[:6]}", stock=5)
    path = product.get_url()
    answers = [Visitor(proxy).get(path) for _ in range(2)]
    for answer in answers:
        assert answer.status_code == 200
        assert answer.headers[PROXY] == "miss"
        assert "private" in answer.headers["Cache-Control"]
    # Each visitor got a token of their own, never another's.
    assert answers[0].cookies["csrftoken"] != answers[1].cookies["csrftoken"]


def test_a_product_saved_in_the_admin_is_fresh_through_varnish_at_once(proxy):
    from django.contrib.auth import get_user_model

    product = make_product(f"Lamp {uuid.uuid4().hex[:6]}", stock=5)
    path = product.get_url()
    assert product.name in Visitor(proxy).get(path).text
    Visitor(proxy).get("/")
    assert Visitor(proxy).get("/").headers[PROXY] == "hit"
    with production_hashers():
        editor = get_user_model().objects.create_superuser(
            f"editor-{uuid.uuid4().hex[:8]}", "editor@example.com", PASSWORD
        )

    staff = Visitor(proxy)
    staff.get("/admin/login/")
    staff.sign_in("/admin/login/", editor.username)
    saved = staff.post(
        reverse("wagtailsnippets_commerce_product:edit", args=[product.pk]),
        product_form_data(product, name="Lamp, renamed", **{"action-publish": "1"}),
    )
    assert saved.status_code == 302, saved.text[-3000:]

    fresh = Visitor(proxy).get(path)
    assert "Lamp, renamed" in fresh.text
    # The catalog version changed: Varnish's stored pages were purged after the commit.
    wait_until(lambda: Visitor(proxy).get("/").headers[PROXY] == "miss", timeout=5)
    assert Visitor(proxy).get("/").headers[PROXY] == "hit"
