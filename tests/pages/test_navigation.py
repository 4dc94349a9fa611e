"""Main menu from the page tree; footer and branding from site settings."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import PageViewRestriction, Site

from commerce.models import ShopPage
from pages.models import BrandingSettings, ContentPage, FooterSettings
from pages.navigation import build_main_menu
from tests.factories.catalog import add_content_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(homepage):
    about = add_content_page(homepage, "About", show_in_menus=True)
    add_content_page(about, "Team", show_in_menus=True)
    add_content_page(about, "Jobs", show_in_menus=False)
    delivery = add_content_page(homepage, "Delivery", show_in_menus=True)
    add_content_page(delivery, "Draft child", show_in_menus=True, publish=False)
    add_content_page(homepage, "Terms", show_in_menus=False)
    hidden = add_content_page(homepage, "Not in menu", show_in_menus=False)
    add_content_page(hidden, "Orphan", show_in_menus=True)  # parent is not in the menu
    private = add_content_page(homepage, "Members", show_in_menus=True)
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    deep = add_content_page(homepage.get_children().get(slug="about").specific, "Deep")
    add_content_page(deep, "Third level", show_in_menus=True)
    return homepage


def menu_titles(items):
    return [(item.title, [child.title for child in item.children]) for item in items]


def test_two_levels_of_live_public_pages_in_tree_order(rf, tree):
    request = rf.get("/")
    items = build_main_menu(request)
    assert menu_titles(items) == [("About", ["Team"]), ("Delivery", [])]
    assert [item.url for item in items] == ["/about/", "/delivery/"]
    assert items[0].children[0].url == "/about/team/"


def test_current_section_is_marked(client, tree):
    html = client.get("/about/team/").content.decode()
    assert '<a href="/about/" class="main-nav__link" aria-current="page">About</a>' in html
    assert '<a href="/delivery/" class="main-nav__link">Delivery</a>' in html


def test_menu_costs_the_same_queries_for_any_number_of_pages(
    rf, homepage, django_assert_num_queries
):
    for i in range(3):
        section = add_content_page(homepage, f"Section {i}", show_in_menus=True)
        add_content_page(section, f"Child {i}", show_in_menus=True)
    request = rf.get("/")
    Site.find_for_request(request)  # cached on the request, as in a real page view
    # Wagtail keeps the sites' root paths in the cache, filled by any earlier page view
    # (tests start with an empty cache, so fill it here).
    Site.get_site_root_paths()
    # The request's shop page (none here), looked up once per request by the header: the
    # shop's menu hook reads it (commerce.services.catalog.category_menu).
    ShopPage.for_request(request)

    with django_assert_num_queries(2) as small:
        build_main_menu(request)
    # Live pages without a published revision: the menu reads the tree, not revisions,
    # and publishing eighteen more revisions was most of this test's time.
    for i in range(3, 12):
        section = homepage.add_child(
            instance=ContentPage(title=f"Section {i}", slug=f"section-{i}", show_in_menus=True)
        )
        section.add_child(
            instance=ContentPage(title=f"Child {i}", slug=f"child-{i}", show_in_menus=True)
        )
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(build_main_menu(request)) == 12


def test_menu_renders_with_a_mobile_toggle_closed_on_load(client, tree):
    html = client.get("/").content.decode()
    assert '<nav class="main-nav" aria-label="Main">' in html
    # Closed on every load; the menu follows the toggle, so CSS shows it while it is open
    # (phones) or always (wide screens).
    assert '<details class="site-header__toggle">' in html
    assert '<summary class="site-header__menu-button">Menu</summary>' in html
    assert html.index("site-header__toggle") < html.index('class="main-nav"')
    assert "<details open" not in html
    assert 'class="main-nav__submenu"' in html


def test_footer_columns_contact_and_social_links(client, homepage):
    about = add_content_page(homepage, "About")
    site = Site.objects.get(is_default_site=True)
    footer = FooterSettings.for_site(site)
    footer.columns = [
        (
            "column",
            {
                "title": "Company",
                "links": [
                    {"page": about, "url": "", "label": ""},
                    {"page": None, "url": "https://blog.example.org/", "label": "Blog"},
                ],
            },
        )
    ]
    footer.contact_email = "help@shop.example"
    footer.contact_phone = "+44 1234 567890"
    footer.social_links = [("link", {"network": "instagram", "url": "https://insta.example/s"})]
    footer.legal_text = "© Shop Ltd"
    footer.save()

    html = client.get("/").content.decode()
    footer_html = html[html.index("<footer") :]
    assert '<h2 class="footer-column__title">Company</h2>' in footer_html
    assert 'href="/about/"' in footer_html and ">About</a>" in footer_html
    assert 'href="https://blog.example.org/"' in footer_html
    assert 'href="mailto:help@shop.example"' in footer_html
    assert 'href="tel:+44 1234 567890"' in footer_html
    assert 'href="https://insta.example/s"' in footer_html and ">Instagram</a>" in footer_html
    assert "© Shop Ltd" in footer_html


def test_footer_link_follows_a_moved_page(client, homepage):
    about = add_content_page(homepage, "About")
    section = add_content_page(homepage, "Company")
    footer = FooterSettings.for_site(Site.objects.get(is_default_site=True))
    footer.columns = [
        ("column", {"title": "C", "links": [{"page": about, "url": "", "label": ""}]})
    ]
    footer.save()
    about.move(section, pos="last-child")
    assert 'href="/company/about/"' in client.get("/").content.decode()


def test_branding_name_colour_and_logo(client, homepage):
    from tests.factories.catalog import make_image

    branding = BrandingSettings.for_site(Site.objects.get(is_default_site=True))
    branding.shop_name = "Acme & Co"
    branding.primary_colour = "#aa3300"
    branding.save()
    html = client.get("/").content.decode()
    assert '<span class="site-header__name">Acme &amp; Co</span>' in html
    assert "--brand: #aa3300;" in html
    assert "<title>Home · Acme &amp; Co</title>" in html

    branding.logo = make_image("Logo")
    branding.save()
    html = client.get("/").content.decode()
    assert 'class="site-header__logo"' in html and 'alt="Acme &amp; Co"' in html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("primary_colour", "red;}body{display:none"),
        ("primary_colour", "#12345"),
        ("currency_code", "eur"),
        ("currency_code", "EURO"),
    ],
)
def test_branding_rejects_values_that_would_break_css_or_prices(homepage, field, value):
    branding = BrandingSettings.for_site(Site.objects.get(is_default_site=True))
    setattr(branding, field, value)
    with pytest.raises(ValidationError) as excinfo:
        branding.full_clean()
    assert field in excinfo.value.message_dict
