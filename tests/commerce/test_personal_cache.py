"""Every visitor gets the cached page, and only their own personal parts on it
(commerce.services.personal_parts through commerce.services.page_cache): two shoppers with
different carts, lists, names and messages, interleaved, on every page type; hits stay hits
and cost at most two queries more than a stranger's."""

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from wagtail.models import Site

from commerce.services.catalog_version import bump_catalog_version
from pages.models import BrandingSettings, FooterSettings
from tests.factories.catalog import add_content_page, make_category, make_product, make_shop

pytestmark = pytest.mark.django_db

CACHE = "X-Storefront-Cache"
PERSONAL_HIT_EXTRA_QUERIES = 2


@pytest.fixture
def catalog(homepage):
    site = Site.objects.get(is_default_site=True)
    BrandingSettings.for_site(site)
    FooterSettings.for_site(site)
    make_shop(homepage)
    add_content_page(homepage, "About")
    kitchen = make_category("Kitchen")
    return {
        "kettle": make_product(
            "Copper kettle", price=Decimal("30.00"), main_category=kitchen, stock=50
        ),
        "pan": make_product("Iron pan", price=Decimal("45.00"), main_category=kitchen, stock=50),
        "mug": make_product("Stone mug", price=Decimal("9.00"), main_category=kitchen, stock=50),
    }


def page_urls(catalog):
    return [
        "/",
        "/about/",
        "/shop/",
        "/shop/c/kitchen/",
        "/shop/search/?q=kettle",
        f"/shop/p/{catalog['kettle'].slug}/",
    ]


def shopper(username, first_name, email):
    client = Client()
    user = get_user_model().objects.create_user(
        username, email=email, password="x", first_name=first_name
    )
    client.force_login(user)
    return client


def add_to_cart(client, product, quantity):
    response = client.post(reverse("cart:add"), {"product": product.pk, "quantity": quantity})
    assert response.status_code == 302


def save_to_new_list(client, product, name):
    response = client.post(
        reverse("lists:add"), {"product": product.pk, "list": "new", "new_name": name}
    )
    assert response.status_code == 302


def text(response):
    return BeautifulSoup(response.content, "html.parser").get_text(" ", strip=True)


def header(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return soup.select_one("header.site-header").get_text(" ", strip=True)


@pytest.fixture
def ann_and_bob(catalog):
    ann = shopper("ann", "Annabel", "annabel@example.com")
    bob = shopper("bob", "Robertson", "robertson@example.com")
    add_to_cart(ann, catalog["kettle"], 2)
    add_to_cart(bob, catalog["pan"], 3)
    add_to_cart(bob, catalog["mug"], 4)
    save_to_new_list(ann, catalog["kettle"], "Annabels wishes")
    save_to_new_list(bob, catalog["pan"], "Robertsons picks")
    for client in (ann, bob):  # show and consume the messages of those writes
        client.get("/about/")
    return ann, bob


def test_two_shoppers_interleaved_see_only_their_own_parts_on_every_page(catalog, ann_and_bob):
    ann, bob = ann_and_bob
    stranger = Client()
    for url in page_urls(catalog):
        outcomes = []
        for client in (ann, bob, stranger, bob, ann):
            response = client.get(url)
            assert response.status_code == 200, url
            outcomes.append(response[CACHE])
            page, head = text(response), header(response)
            if client is ann:
                assert "Annabel" in head and "Cart 2" in head and "Copper kettle" in head
                assert "Robertson" not in page and "Iron pan" not in head
            elif client is bob:
                assert "Robertson" in head and "Cart 7" in head and "Iron pan" in head
                assert "Annabel" not in page and "Copper kettle" not in head
            else:
                assert "Log in" in head and "Annabel" not in page and "Robertson" not in page
                assert "mini-cart" not in response.content.decode()
        # The first answer may render the page; every later one is the same cached body.
        assert outcomes[1:] == ["hit"] * 4, (url, outcomes)


def test_list_choices_and_the_stock_alert_address_are_the_shoppers_own(catalog, ann_and_bob):
    ann, bob = ann_and_bob
    url = f"/shop/p/{catalog['mug'].slug}/"
    ann_page, bob_page = ann.get(url), bob.get(url)
    assert bob_page[CACHE] == "hit"
    assert "Annabels wishes" in ann_page.content.decode()
    assert "Robertsons picks" not in ann_page.content.decode()
    assert "Robertsons picks" in bob_page.content.decode()
    assert "Annabels wishes" not in bob_page.content.decode()
    assert "annabel@example.com" in ann_page.content.decode()
    assert "annabel@example.com" not in bob_page.content.decode()
    stranger_page = Client().get(url).content.decode()
    assert "Annabels wishes" not in stranger_page and "@example.com" not in stranger_page


def test_a_message_shows_once_on_a_cached_page_and_only_to_its_shopper(catalog, ann_and_bob):
    ann, bob = ann_and_bob
    url = f"/shop/p/{catalog['kettle'].slug}/"
    for client in (ann, bob):
        client.get(url)
    add_to_cart(ann, catalog["mug"], 1)  # "Added … to your cart" waits for Ann's next page
    bob_page = bob.get(url)
    ann_page = ann.get(url)
    again = ann.get(url)
    assert (bob_page[CACHE], ann_page[CACHE], again[CACHE]) == ("hit", "hit", "hit")
    assert (
        "Stone mug"
        in BeautifulSoup(ann_page.content, "html.parser").select_one(".messages").get_text()
    )
    assert not BeautifulSoup(again.content, "html.parser").select(".messages")
    assert not BeautifulSoup(bob_page.content, "html.parser").select(".messages")
    assert "Cart 3" in header(ann_page)


def test_a_cart_change_shows_at_once_on_a_cached_page(catalog, ann_and_bob):
    ann, _ = ann_and_bob
    url = "/shop/"
    ann.get(url)
    add_to_cart(ann, catalog["pan"], 1)
    response = ann.get(url)
    assert response[CACHE] == "hit"
    assert "Cart 3" in header(response) and "Iron pan" in header(response)


def test_a_guest_with_a_cart_gets_the_cached_page_with_their_cart(catalog):
    guest = Client()
    add_to_cart(guest, catalog["pan"], 2)
    guest.get("/")
    response = guest.get("/")
    assert response[CACHE] == "hit"
    assert "Cart 2" in header(response) and "Log in" in header(response)
    assert "Cart" in header(Client().get("/")) and "Iron pan" not in header(Client().get("/"))


def test_a_catalog_change_reaches_personal_hits_at_once(catalog, ann_and_bob):
    ann, _ = ann_and_bob
    url = "/shop/"
    ann.get(url)
    assert ann.get(url)[CACHE] == "hit"
    product = catalog["mug"]
    product.name = "Porcelain mug"
    product.save()
    bump_catalog_version()
    response = ann.get(url)
    assert response[CACHE] == "miss" and "Porcelain mug" in text(response)


@pytest.mark.parametrize("lines", [1, 3])
def test_a_personal_hit_costs_at_most_two_queries_more_than_a_strangers(
    catalog, lines, django_assert_num_queries, django_assert_max_num_queries
):
    products = list(catalog.values())
    ann = shopper("ann", "Annabel", "annabel@example.com")
    for product in products[:lines]:
        add_to_cart(ann, product, 2)
    save_to_new_list(ann, products[0], "Annabels wishes")
    stranger = Client()
    for url in page_urls(catalog):
        for client in (stranger, ann, stranger, ann):
            client.get(url)
        with django_assert_num_queries(1):  # the catalog version
            assert stranger.get(url)[CACHE] == "hit"
        # Loading the session and the user, which every signed-in request pays, plus
        # the personal parts: the cart's lines and (product pages) the shopper's lists.
        with django_assert_max_num_queries(1 + 2 + PERSONAL_HIT_EXTRA_QUERIES):
            assert ann.get(url)[CACHE] == "hit"


def test_a_customer_groups_price_reaches_only_its_members_through_the_cache(catalog):
    from django.contrib.auth.models import Group

    from tests.factories.promotions import condition, make_promotion, reward

    staff_group = Group.objects.create(name="Trade customers")
    make_promotion(
        "Trade price",
        [condition([reward(catalog["kettle"], given_price="12.34")])],
        groups=[staff_group],
    )
    member = shopper("ann", "Annabel", "annabel@example.com")
    get_user_model().objects.get(username="ann").groups.add(staff_group)
    other = shopper("bob", "Robertson", "robertson@example.com")
    url = f"/shop/p/{catalog['kettle'].slug}/"
    for _ in range(2):
        for client, sees_trade_price in ((other, False), (member, True), (Client(), False)):
            response = client.get(url)
            assert ("12.34" in response.content.decode()) is sees_trade_price
    assert (other.get(url)[CACHE], member.get(url)[CACHE]) == ("hit", "hit")
