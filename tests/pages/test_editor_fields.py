"""Editors' fields: link URLs that take site paths, a banner group that starts with enough
banners, the brand colour picker and its plain-words error, the tagline on the shop."""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.models import Site

from home.blocks import HomePageStreamBlock
from pages.blocks import BannerGroupBlock, LinkBlock
from pages.blocks.links import validate_link_url
from pages.models import BrandingSettings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/gift-guide/",
        "/",
        "/shop/c/clothing/?colour=green#top",
        "/%C3%BCber-uns/",
        "https://example.com/",
        "http://example.com/path?q=1",
        "HTTPS://EXAMPLE.COM/",
        "mailto:shop@example.com",
        "mailto:shop@example.com?subject=Hello",
    ],
)
def test_link_urls_editors_may_use(url):
    validate_link_url(url)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("javascript:alert(1)", "“javascript:” links are not allowed"),
        ("JavaScript:alert(1)", "“javascript:” links are not allowed"),
        ("java\tscript:alert(1)", "Enter a path on this site"),
        ("data:text/html,<b>x</b>", "“data:” links are not allowed"),
        ("vbscript:msgbox", "“vbscript:” links are not allowed"),
        ("ftp://example.com/file", "“ftp:” links are not allowed"),
        ("tel:+48123456789", "“tel:” links are not allowed"),
        ("//evil.example/", "starts with a single /"),
        ("/\\evil.example/", "starts with a single /"),
        ("/gift guide/", "has no spaces"),
        ("/gift\nguide/", "has no spaces"),
        ("gift-guide/", "such as /gift-guide/"),
        ("www.example.com", "such as /www.example.com"),
        ("https://", "Enter a path on this site"),
        ("https:example.com", "Enter a path on this site"),
        ("mailto:", "Enter an e-mail address after mailto:"),
        ("mailto:not-an-address", "Enter an e-mail address after mailto:"),
    ],
)
def test_link_urls_refused_with_a_message_that_says_what_to_type(url, says):
    with pytest.raises(ValidationError) as excinfo:
        validate_link_url(url)
    assert says in " ".join(excinfo.value.messages)


def link(url, label="Gift guide"):
    return {"page": None, "url": url, "label": label}


def test_a_link_block_takes_a_site_path_and_renders_it():
    block = LinkBlock()
    value = block.clean(block.normalize(link("/gift-guide/")))
    html = block.render(value, context={})
    assert 'href="/gift-guide/"' in html and ">Gift guide</a>" in html


def test_a_link_block_refuses_javascript_on_its_url_field():
    block = LinkBlock()
    with pytest.raises(StructBlockValidationError) as excinfo:
        block.clean(block.normalize(link("javascript:alert(document.cookie)")))
    assert "url" in excinfo.value.block_errors


def test_a_new_banner_group_starts_with_the_two_banners_it_needs():
    for block in (BannerGroupBlock(), HomePageStreamBlock().child_blocks["banner_group"]):
        default = block.get_default()
        assert len(default["banners"]) == block.child_blocks["banners"].meta.min_num == 2
        # The editor gets that default as the new block's state.
        state = block.get_form_state(default)
        assert len(state["banners"]) == 2


def settings_url(site):
    return reverse("wagtailsettings:edit", args=["pages", "brandingsettings", site.pk])


def branding_data(**changes):
    data = {
        "shop_name": "Acme",
        "tagline": "",
        "logo": "",
        "primary_colour": "#1a73e8",
        "currency_code": "EUR",
    }
    data.update(changes)
    return data


class TestBrandingForm:
    def test_the_brand_colour_is_a_colour_picker(self, admin_client, homepage):
        site = Site.objects.get(is_default_site=True)
        soup = BeautifulSoup(admin_client.get(settings_url(site)).content, "html.parser")
        field = soup.select_one("input[name=primary_colour]")
        assert field["type"] == "color" and field["value"] == "#1f6f5c"

    @pytest.mark.parametrize("value", ["red", "#12345", "#1a73e8;}", "１a73e8", ""])
    def test_a_bad_colour_is_refused_in_plain_words(self, admin_client, homepage, value):
        site = Site.objects.get(is_default_site=True)
        response = admin_client.post(settings_url(site), branding_data(primary_colour=value))
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        error = soup.select_one("[data-contentpath=primary_colour] .error-message")
        expected = "This field is required." if value == "" else "Enter a colour like #1a73e8."
        assert error.get_text(strip=True) == expected
        assert BrandingSettings.for_site(site).primary_colour == "#1f6f5c"

    def test_a_picked_colour_is_saved_and_used(self, admin_client, client, homepage):
        site = Site.objects.get(is_default_site=True)
        response = admin_client.post(settings_url(site), branding_data(primary_colour="#1a73e8"))
        assert response.status_code == 302
        assert BrandingSettings.for_site(site).primary_colour == "#1a73e8"
        assert "--brand: #1a73e8;" in client.get("/").content.decode()


class TestTagline:
    def test_the_tagline_is_shown_in_the_footer(self, client, homepage):
        branding = BrandingSettings.for_site(Site.objects.get(is_default_site=True))
        branding.tagline = "Tools & things that last"
        branding.save()
        soup = BeautifulSoup(client.get("/").content, "html.parser")
        tagline = soup.select_one("footer [data-tagline]")
        assert tagline.get_text(strip=True) == "Tools & things that last"

    def test_no_tagline_no_empty_paragraph(self, client, homepage):
        branding = BrandingSettings.for_site(Site.objects.get(is_default_site=True))
        branding.tagline = ""
        branding.save()
        soup = BeautifulSoup(client.get("/").content, "html.parser")
        assert soup.select_one("footer [data-tagline]") is None
