"""Public rendering of the homepage and content pages, with their SEO tags."""

import pytest
from django.template.loader import render_to_string

from tests.factories.catalog import add_content_page, make_image

pytestmark = pytest.mark.django_db


def test_content_page_renders_intro_body_and_breadcrumb(client, homepage):
    about = add_content_page(
        homepage,
        "About us",
        slug="about",
        intro="Who we are",
        body=[("rich_text", "<p>Since 1999.</p>")],
    )
    team = add_content_page(about, "Our team", slug="team")
    response = client.get("/about/team/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Our team</h1>" in html
    assert '<a href="/about/">About us</a>' in html and '<a href="/">Home</a>' in html
    assert team.url == "/about/team/"
    html = client.get("/about/").content.decode()
    assert '<p class="lead">Who we are</p>' in html and "Since 1999." in html


def test_seo_title_description_canonical_and_open_graph(client, homepage, settings):
    page = add_content_page(
        homepage,
        "Delivery",
        slug="delivery",
        seo_title="Delivery times & costs",
        search_description="When your parcel arrives.",
        og_image=make_image("Van"),
    )
    html = client.get(page.url).content.decode()
    assert "<title>Delivery times &amp; costs · Storefront</title>" in html
    assert '<meta name="description" content="When your parcel arrives.">' in html
    assert '<link rel="canonical" href="http://localhost/delivery/">' in html
    assert '<meta property="og:title" content="Delivery times &amp; costs">' in html
    assert '<meta property="og:url" content="http://localhost/delivery/">' in html
    assert '<meta property="og:image" content="http://localhost/media/images/' in html
    assert 'content="noindex"' not in html


def test_title_falls_back_to_page_title(client, homepage):
    page = add_content_page(homepage, "Terms", slug="terms")
    assert "<title>Terms · Storefront</title>" in client.get(page.url).content.decode()


def test_noindex_page_says_so(client, homepage):
    page = add_content_page(homepage, "Hidden", slug="hidden", noindex=True)
    html = client.get(page.url).content.decode()
    assert '<meta name="robots" content="noindex">' in html


def test_user_text_is_escaped(client, homepage):
    page = add_content_page(
        homepage, "<script>alert(1)</script>", slug="xss", intro='"><img src=x onerror=alert(1)>'
    )
    html = client.get(page.url).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x onerror" not in html


def test_draft_page_is_not_public(client, homepage):
    add_content_page(homepage, "Secret plan", slug="secret", publish=False)
    assert client.get("/secret/").status_code == 404


def test_404_page(client, homepage):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and '<meta name="robots" content="noindex">' in html
    assert '<a class="skip-link"' in html  # the normal layout, with menu and footer


def test_500_page_needs_no_context():
    html = render_to_string("500.html")
    assert "Something went wrong" in html and "storefront/css/main.css" in html


def test_server_error_returns_the_500_page(client, homepage, monkeypatch):
    from home.models import HomePage

    def explode(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(HomePage, "serve", explode)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_healthz(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_the_order_api_mounted_at_the_root_does_not_shadow_the_homepage(client, homepage):
    assert client.get("/").status_code == 200
