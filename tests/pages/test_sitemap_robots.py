"""sitemap.xml lists live, public, indexable pages; robots.txt points to it."""

import pytest
from defusedxml import ElementTree as ET
from wagtail.models import PageViewRestriction

from tests.factories.catalog import add_content_page

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap_locations(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    return {loc.text for loc in root.findall("sm:url/sm:loc", NS)}


def test_sitemap_lists_only_live_public_indexable_pages(client, homepage):
    about = add_content_page(homepage, "About")
    add_content_page(about, "Team")
    add_content_page(homepage, "Draft", publish=False)
    add_content_page(homepage, "Noindex", noindex=True)
    add_content_page(homepage, "Excluded", exclude_from_sitemap=True)
    private = add_content_page(homepage, "Private")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    add_content_page(private, "Under private")
    homepage.save_revision().publish()

    assert sitemap_locations(client) == {
        "http://localhost/",
        "http://localhost/about/",
        "http://localhost/about/team/",
    }


def test_noindex_homepage_is_left_out(client, homepage):
    homepage.noindex = True
    homepage.save_revision().publish()
    add_content_page(homepage, "About")
    assert sitemap_locations(client) == {"http://localhost/about/"}


def test_sitemap_escapes_urls(client, homepage):
    add_content_page(homepage, "Tom & Jerry", slug="tom-jerry")
    assert "http://localhost/tom-jerry/" in sitemap_locations(client)


def test_robots_txt(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_robots_txt_is_get_only(client, db):
    assert client.post("/robots.txt").status_code == 405
