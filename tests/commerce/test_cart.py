"""The cart: adding, quantities, coupons, what changed, guest carts and their merge on login."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.urls import reverse

from commerce.models import Cart, CartLine, ProductStatus, ProductVariant
from commerce.services import cart as carts
from commerce.services.cart import CartError
from commerce.services.guests import GUEST_SESSION_KEY
from tests.factories.catalog import (
    make_attribute,
    make_category,
    make_product,
    make_shop,
    only_variant,
    set_stock,
)
from tests.factories.checkout import make_cart, make_coupon, make_delivery_method
from tests.html import variant_links_in_main

pytestmark = pytest.mark.django_db
D = Decimal


def set_price(variant, price):
    ProductVariant.objects.filter(pk=variant.pk).update(price=price)


@pytest.fixture
def coat():
    """A coat in sizes S and M and colours Red and Green; M/Red does not exist."""
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True, sort_order=1)
    colour, (red, green) = make_attribute(
        "Colour", ["Red", "Green"], varies_per_variant=True, sort_order=2
    )
    product = make_product(
        "Coat",
        axes=[size, colour],
        variants=[
            {"sku": "COAT-S-RED", "options": [s, red], "price": D("100.00"), "stock": 3},
            {"sku": "COAT-S-GRN", "options": [s, green], "price": D("110.00"), "stock": 20},
            {"sku": "COAT-M-GRN", "options": [m, green], "price": D("120.00"), "stock": 5},
        ],
    )
    return {v.sku: v for v in product.variants.all()} | {"product": product}


def test_adding_the_same_product_twice_adds_to_one_line():
    product = make_product(stock=10, price=D("5.00"))
    cart = make_cart([(product, 2), (product, 3)])
    assert [(line.variant_id, line.quantity) for line in cart.lines.all()] == [
        (only_variant(product).pk, 5)
    ]


def test_two_variants_of_one_product_are_two_lines_named_by_their_options(coat):
    red, green = coat["COAT-S-RED"], coat["COAT-S-GRN"]
    cart = make_cart([(red, 1), (green, 2), (red, 1)])
    lines = [(line.variant_id, line.product_name, line.quantity) for line in cart.lines.all()]
    assert lines == [
        (red.pk, "Coat — Size S, Colour Red", 2),
        (green.pk, "Coat — Size S, Colour Green", 2),
    ]
    summary = carts.summarize(cart)
    assert [(s.name, s.sku) for s in summary.lines] == [
        ("Coat — Size S, Colour Red", "COAT-S-RED"),
        ("Coat — Size S, Colour Green", "COAT-S-GRN"),
    ]
    assert summary.totals.subtotal == D("420.00")


def test_quantity_is_capped_by_the_variants_own_stock_not_the_products(coat):
    cart = make_cart()
    note = carts.add_variant(cart, coat["COAT-S-RED"].pk, 10)
    assert note == "Only 3 of Coat — Size S, Colour Red in stock; your cart holds 3."
    assert carts.add_variant(cart, coat["COAT-S-GRN"].pk, 10) == ""
    assert sorted(cart.lines.values_list("quantity", flat=True)) == [3, 10]


def test_an_inactive_variant_cannot_be_added_but_its_siblings_can(coat):
    ProductVariant.objects.filter(pk=coat["COAT-S-RED"].pk).update(is_active=False)
    with pytest.raises(CartError, match="Coat — Size S, Colour Red cannot be bought"):
        carts.add_variant(make_cart(), coat["COAT-S-RED"].pk, 1)
    assert carts.add_variant(make_cart(), coat["COAT-S-GRN"].pk, 1) == ""


def test_a_variant_in_an_inactive_warehouse_only_is_out_of_stock(coat):
    from commerce.models import Warehouse

    set_stock(coat["COAT-M-GRN"], {"main": 0, "closed": 9})
    Warehouse.objects.filter(code="closed").update(is_active=False)
    with pytest.raises(CartError, match="out of stock"):
        carts.add_variant(make_cart(), coat["COAT-M-GRN"].pk, 1)


def test_a_variant_deactivated_while_in_the_cart_is_flagged_and_not_priced(coat):
    cart = make_cart([(coat["COAT-S-RED"], 1), (coat["COAT-S-GRN"], 1)])
    ProductVariant.objects.filter(pk=coat["COAT-S-RED"].pk).update(is_active=False)
    summary = carts.summarize(cart)
    assert summary.problems == ["Coat — Size S, Colour Red cannot be bought at the moment."]
    assert summary.totals.subtotal == D("110.00")
    assert not summary.can_check_out
    line = cart.lines.get(variant=coat["COAT-S-RED"])
    with pytest.raises(CartError, match="cannot be bought"):
        carts.set_line_quantity(cart, line.pk, 2)


def test_a_variant_deleted_while_in_the_cart_keeps_its_name_flagged(coat):
    cart = make_cart([(coat["COAT-S-RED"], 1), (coat["COAT-S-GRN"], 1)])
    coat["COAT-S-RED"].delete()
    summary = carts.summarize(cart)
    assert summary.problems == ["Coat — Size S, Colour Red is no longer available."]
    gone = summary.lines[0]
    assert (gone.variant, gone.name, gone.sku, gone.pricing) == (
        None,
        "Coat — Size S, Colour Red",
        "",
        None,
    )
    with pytest.raises(CartError, match="no longer available; remove it"):
        carts.set_line_quantity(cart, gone.line.pk, 2)
    assert carts.remove_line(cart, gone.line.pk) == "Coat — Size S, Colour Red"
    assert carts.summarize(cart).can_check_out


def test_a_product_made_unpurchasable_flags_all_its_variants(coat):
    cart = make_cart([(coat["COAT-S-RED"], 1), (coat["COAT-M-GRN"], 1)])
    product = coat["product"]
    product.status = ProductStatus.DISABLED
    product.save_revision().publish()
    assert carts.summarize(cart).problems == [
        "Coat — Size S, Colour Red cannot be bought at the moment.",
        "Coat — Size M, Colour Green cannot be bought at the moment.",
    ]


def test_a_variant_price_change_is_reported_for_that_line_only(coat):
    cart = make_cart([(coat["COAT-S-RED"], 1), (coat["COAT-S-GRN"], 1)])
    set_price(coat["COAT-S-GRN"], D("99.00"))
    changes = carts.acknowledge_changes(carts.summarize(cart))
    assert changes == ["The price of Coat — Size S, Colour Green changed from 110.00 to 99.00."]
    assert sorted(cart.lines.values_list("unit_price", flat=True)) == [D("99.00"), D("100.00")]


def test_choose_variant_takes_a_variant_or_a_product_with_one_variant(coat):
    mug = make_product("Mug", stock=5)
    assert carts.choose_variant(None, mug.pk) == only_variant(mug).pk
    assert carts.choose_variant(" 7 ", "") == 7
    assert carts.choose_variant(coat["COAT-S-RED"].pk, coat["product"].pk) == coat["COAT-S-RED"].pk
    with pytest.raises(CartError) as error:
        carts.choose_variant(None, coat["product"].pk)
    assert str(error.value) == "Choose a size and a colour."
    with pytest.raises(CartError, match="not one of this product's options"):
        carts.choose_variant(only_variant(mug).pk, coat["product"].pk)
    for bad in ("x", "-1", "0", "9" * 40, "1.5"):
        with pytest.raises(CartError):
            carts.choose_variant(bad, None)
    with pytest.raises(CartError):
        carts.choose_variant(None, None)


def test_a_product_with_axes_and_one_variant_left_is_that_variant():
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    product = make_product("Scarf", axes=[size], variants=[{"options": [s], "stock": 1}])
    assert carts.choose_variant(None, product.pk) == only_variant(product).pk


def test_the_message_names_every_axis_in_order():
    first, (a,) = make_attribute("Edition", ["First"], varies_per_variant=True, sort_order=1)
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True, sort_order=2)
    colour, (red,) = make_attribute("Colour", ["Red"], varies_per_variant=True, sort_order=3)
    product = make_product(
        "Book bag",
        axes=[first, size, colour],
        variants=[{"options": [a, s, red]}, {"options": [a, m, red]}],
    )
    assert carts.choose_options_message(product.pk) == "Choose an edition, a size and a colour."


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "", "1.5", None])
def test_bad_quantities_are_refused_with_a_message(raw):
    product = make_product(stock=10)
    cart = make_cart()
    with pytest.raises(CartError, match="quantity"):
        carts.add_product(cart, product.pk, raw)
    assert not cart.lines.exists()


def test_quantity_is_capped_by_stock_with_a_note():
    product = make_product("Lamp", stock=3)
    cart = make_cart()
    note = carts.add_product(cart, product.pk, 5)
    assert note == "Only 3 of Lamp in stock; your cart holds 3."
    assert cart.lines.get().quantity == 3


def test_quantity_is_capped_by_the_line_maximum(settings):
    settings.STOREFRONT_MAX_LINE_QUANTITY = 4
    product = make_product(stock=100)
    cart = make_cart()
    assert "At most 4" in carts.add_product(cart, product.pk, 10)
    assert cart.lines.get().quantity == 4


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"status": ProductStatus.DISABLED}, "cannot be bought"),
        ({"status": ProductStatus.HIDDEN}, "cannot be bought"),
        ({"publish": False}, "cannot be bought"),
    ],
)
def test_unbuyable_products_cannot_be_added(fields, message):
    product = make_product(stock=5, **fields)
    with pytest.raises(CartError, match=message):
        carts.add_product(make_cart(), product.pk, 1)


def test_out_of_stock_and_unknown_products_cannot_be_added():
    with pytest.raises(CartError, match="out of stock"):
        carts.add_product(make_cart(), make_product(stock=0).pk, 1)
    with pytest.raises(CartError, match="cannot be bought"):
        carts.add_product(make_cart(), 987654, 1)


def test_a_line_of_another_cart_cannot_be_changed_or_removed():
    product = make_product(stock=5)
    mine, theirs = make_cart([(product, 1)]), make_cart([(product, 2)])
    their_line = theirs.lines.get()
    with pytest.raises(CartError):
        carts.set_line_quantity(mine, their_line.pk, 4)
    with pytest.raises(CartError):
        carts.remove_line(mine, their_line.pk)
    their_line.refresh_from_db()
    assert their_line.quantity == 2


def test_summary_flags_lines_that_became_unbuyable_and_blocks_checkout():
    keep = make_product("Keep", stock=5, price=D("2.00"))
    gone = make_product("Gone", stock=5)
    short = make_product("Short", stock=5)
    cart = make_cart([(keep, 1), (gone, 1), (short, 4)])
    gone.status = ProductStatus.DISABLED
    gone.save_revision().publish()
    set_stock(only_variant(short), 2)
    summary = carts.summarize(cart)
    assert summary.problems == [
        "Gone cannot be bought at the moment.",
        "Only 2 of Short in stock; lower the quantity to continue.",
    ]
    assert not summary.can_check_out
    assert summary.totals.subtotal == D("2.00")  # only what can be bought is priced


def test_a_deleted_product_stays_in_the_cart_flagged():
    product = make_product("Vanishing", stock=5)
    cart = make_cart([(product, 1)])
    product.delete()
    summary = carts.summarize(cart)
    assert summary.problems == ["Vanishing is no longer available."]
    assert cart.lines.get().variant is None


def test_a_price_change_is_reported_once_and_then_remembered():
    product = make_product("Kettle", stock=5, price=D("20.00"))
    cart = make_cart([(product, 1)])
    set_price(only_variant(product), D("22.50"))
    changes = carts.acknowledge_changes(carts.summarize(cart))
    assert changes == ["The price of Kettle changed from 20.00 to 22.50."]
    assert carts.acknowledge_changes(carts.summarize(cart)) == []
    assert cart.lines.get().unit_price == D("22.50")


def test_a_price_change_shown_after_the_line_went_in_another_tab_is_no_failure():
    """The page priced the cart, then an order (or another tab) took the line: the
    shopper is still told, and there is no line left to remember the price on."""
    product = make_product("Kettle", stock=5, price=D("20.00"))
    cart = make_cart([(product, 1)])
    set_price(only_variant(product), D("22.50"))
    summary = carts.summarize(cart)
    carts.remove_line(cart, cart.lines.get().pk)

    changes = carts.acknowledge_changes(summary)

    assert changes == ["The price of Kettle changed from 20.00 to 22.50."]
    assert not cart.lines.exists()


def test_a_coupon_that_stopped_applying_is_reported_and_not_deducted():
    product = make_product(stock=5, price=D("50.00"))
    make_coupon("BIG", min_cart_value=D("40"))
    cart = make_cart([(product, 1)])
    assert carts.apply_coupon(cart, " big ").ok
    cart.refresh_from_db()
    assert cart.coupon_code == "BIG"
    set_price(only_variant(product), D("30.00"))
    summary = carts.summarize(cart)
    assert summary.totals.discount == D("0.00")
    changes = carts.acknowledge_changes(summary)
    assert "The coupon BIG needs a cart of at least 40.00; add 10.00 more." in changes


def test_delivery_method_choice_must_be_active():
    cart = make_cart()
    inactive = make_delivery_method(is_active=False)
    with pytest.raises(CartError):
        carts.choose_delivery_method(cart, inactive.pk)
    with pytest.raises(CartError):
        carts.choose_delivery_method(cart, "nonsense")


# --- Views -----------------------------------------------------------------------


def test_guest_adds_through_the_form_and_the_cart_is_keyed_by_an_unguessable_token(client):
    product = make_product("Mug", stock=5, price=D("7.00"))
    response = client.post(reverse("cart:add"), {"product": product.pk, "quantity": "2"})
    assert response.status_code == 302
    token = client.session[GUEST_SESSION_KEY]
    assert len(token) >= 32 and not token.isdigit()
    cart = Cart.objects.get(token=token)
    assert cart.lines.get().quantity == 2
    page = client.get(reverse("cart:detail"))
    assert page.status_code == 200
    assert {"private", "no-store"} <= {d.strip() for d in page["Cache-Control"].split(",")}
    assert "Mug" in page.content.decode()


def test_bad_add_requests_get_a_message_not_an_error(client):
    for data in (
        {"product": "x", "quantity": "1"},
        {"quantity": "1"},
        {"product": "1", "quantity": "-4"},
    ):
        response = client.post(reverse("cart:add"), data, follow=True)
        assert response.status_code == 200
        assert list(response.context["messages"])


def test_the_form_adds_the_chosen_variant(client, coat, homepage):
    shop = make_shop(homepage)
    response = client.post(
        reverse("cart:add"),
        {"product": coat["product"].pk, "variant": coat["COAT-M-GRN"].pk, "quantity": "2"},
    )
    assert response.status_code == 302
    line = CartLine.objects.get()
    assert (line.variant_id, line.quantity, line.unit_price) == (
        coat["COAT-M-GRN"].pk,
        2,
        D("120.00"),
    )
    page = client.get(reverse("cart:detail")).content.decode()
    assert "Coat — Size M, Colour Green" in page and "COAT-M-GRN" in page
    assert f'href="{shop.url}p/{coat["product"].slug}/?variant=COAT-M-GRN"' in page


def test_a_product_with_axes_and_no_variant_chosen_goes_back_with_a_message(client, coat, homepage):
    make_shop(homepage)
    response = client.post(reverse("cart:add"), {"product": coat["product"].pk, "quantity": 1})
    assert response.status_code == 302
    assert response["Location"] == coat["product"].get_url()
    page = client.get(reverse("cart:detail"))
    assert [str(m) for m in page.context["messages"]] == ["Choose a size and a colour."]
    assert not CartLine.objects.exists()
    with_next = client.post(
        reverse("cart:add"), {"product": coat["product"].pk, "quantity": 1, "next": "/shop/x/"}
    )
    assert with_next["Location"] == "/shop/x/"


def test_the_product_field_alone_adds_a_product_with_one_variant(client):
    mug = make_product("Mug", stock=5)
    client.post(reverse("cart:add"), {"product": mug.pk, "quantity": 1})
    assert CartLine.objects.get().variant_id == only_variant(mug).pk


def test_bad_variant_choices_get_a_message_never_an_error(client, coat):
    mug = make_product("Mug", stock=5)
    inactive, deleted = coat["COAT-S-RED"], coat["COAT-S-GRN"]
    ProductVariant.objects.filter(pk=inactive.pk).update(is_active=False)
    deleted_pk = deleted.pk
    deleted.delete()
    product = coat["product"].pk
    cases = [
        {"variant": "abc"},
        {"variant": "１"},
        {"variant": "9" * 30},
        {"variant": str(2**63)},
        {"variant": "-3"},
        {"variant": ""},
        {"variant": deleted_pk},
        {"variant": inactive.pk},
        {"variant": only_variant(mug).pk, "product": product},
        {"variant": coat["COAT-M-GRN"].pk, "product": "x"},
        {"product": "9" * 30},
        {"product": 987654},
    ]
    for data in cases:
        response = client.post(reverse("cart:add"), {**data, "quantity": 1}, follow=True)
        assert response.status_code == 200, data
        assert list(response.context["messages"]), data
    assert not CartLine.objects.exists()
    nul = client.post(reverse("cart:add"), {"variant": "1\x00", "quantity": 1})
    assert nul.status_code == 400


def test_cart_page_queries_do_not_grow_with_lines_variants_or_axes(client, coat, homepage):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_shop(homepage)

    def page_queries():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("cart:detail"))
        assert page.status_code == 200
        return len(queries), page.content.decode()

    client.post(reverse("cart:add"), {"variant": coat["COAT-S-RED"].pk, "quantity": 1})
    client.post(reverse("cart:add"), {"product": make_product(stock=5).pk, "quantity": 1})
    few, _ = page_queries()
    for variant in (coat["COAT-S-GRN"], coat["COAT-M-GRN"]):
        client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})
    fit, fits = make_attribute("Fit", ["A", "B", "C"], varies_per_variant=True)
    hue, hues = make_attribute("Hue", ["X", "Y"], varies_per_variant=True)
    length, (long,) = make_attribute("Length", ["L"], varies_per_variant=True)
    wide = make_product(
        "Wide",
        axes=[fit, hue, length],
        variants=[{"options": [a, b, long], "stock": 5} for a in fits for b in hues],
    )
    for variant in wide.variants.all():
        client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})
    assert CartLine.objects.count() == 10
    many, page = page_queries()
    assert many <= few, (few, many)
    assert len(variant_links_in_main(page)) == 10  # each line links to its variant


def test_next_parameter_cannot_send_shoppers_off_site(client):
    product = make_product(stock=5)
    response = client.post(
        reverse("cart:add"), {"product": product.pk, "quantity": 1, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("cart:detail")


def test_cart_pages_only_accept_posts_for_changes(client):
    assert client.get(reverse("cart:add")).status_code == 405
    assert client.get(reverse("cart:coupon")).status_code == 405


def test_one_shoppers_cart_line_is_out_of_reach_for_another(client):
    product = make_product(stock=5)
    theirs = make_cart([(product, 2)])
    line = theirs.lines.get()
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    client.post(reverse("cart:line_update", args=[line.pk]), {"quantity": 9})
    client.post(reverse("cart:line_remove", args=[line.pk]))
    assert CartLine.objects.get(pk=line.pk).quantity == 2


def test_csrf_is_enforced_on_cart_forms():
    from django.test import Client

    product = make_product(stock=5)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    assert response.status_code == 403
    assert not CartLine.objects.exists()


def test_guest_cart_merges_into_the_account_cart_on_login(client):
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw-long-enough-1")
    both = make_product("Both", stock=50)
    guest_only = make_product("Guest only", stock=50)
    account_cart = make_cart([(both, 2)], user=user)
    make_coupon("HELLO")
    client.post(reverse("cart:add"), {"product": both.pk, "quantity": 3})
    client.post(reverse("cart:add"), {"product": guest_only.pk, "quantity": 1})
    client.post(reverse("cart:coupon"), {"code": "hello"})
    guest_token = client.session[GUEST_SESSION_KEY]

    # authenticate() needs the request: django-axes checks the lock-out with it.
    client.login(request=HttpRequest(), username="ada", password="pw-long-enough-1")

    assert not Cart.objects.filter(token=guest_token).exists()
    lines = {line.product_name: line.quantity for line in account_cart.lines.all()}
    assert lines == {"Both": 5, "Guest only": 1}
    account_cart.refresh_from_db()
    assert account_cart.coupon_code == "HELLO"
    assert GUEST_SESSION_KEY not in client.session
    assert carts.merge_guest_cart(guest_token, user) is None  # a second run changes nothing


def test_guest_and_account_carts_merge_per_variant(coat):
    user = get_user_model().objects.create_user("bea", "bea@example.com", "pw-long-enough-1")
    red, green, m = coat["COAT-S-RED"], coat["COAT-S-GRN"], coat["COAT-M-GRN"]
    account_cart = make_cart([(red, 1), (green, 1)], user=user)
    guest = make_cart([(green, 2), (m, 1), (red, 1)])
    Cart.objects.filter(pk=guest.pk).update(token="g" * 40)
    m.delete()  # the guest's line of a deleted variant moves as it is

    carts.merge_guest_cart("g" * 40, user)

    lines = {
        line.product_name: (line.variant_id, line.quantity) for line in account_cart.lines.all()
    }
    assert lines == {
        "Coat — Size S, Colour Red": (red.pk, 2),
        "Coat — Size S, Colour Green": (green.pk, 3),
        "Coat — Size M, Colour Green": (None, 1),
    }


def test_a_product_coupon_applies_to_every_variant_of_the_product(coat):
    mug = make_product("Mug", stock=5, price=D("50.00"))
    coupon = make_coupon("COATS", value="10", scope="products")
    coupon.products.add(coat["product"])
    cart = make_cart(
        [(coat["COAT-S-RED"], 1), (coat["COAT-M-GRN"], 1), (mug, 1)], coupon_code="COATS"
    )
    summary = carts.summarize(cart)
    assert [state.pricing.discountable for state in summary.lines] == [True, True, False]
    assert summary.totals.discount == D("22.00")  # 10% of 100 + 120, nothing off the mug


def test_a_category_coupon_applies_to_every_variant_and_counts_them_together(coat):
    clothes = make_category("Clothes")
    coat["product"].main_category = clothes
    coat["product"].save_revision().publish()
    coupon = make_coupon("CLOTHES", value="15", kind="amount", scope="categories")
    coupon.categories.add(clothes)
    coupon.min_cart_value = D("200")
    coupon.save()
    cart = make_cart([(coat["COAT-S-RED"], 1), (coat["COAT-S-GRN"], 1)], coupon_code="CLOTHES")
    summary = carts.summarize(cart)
    assert summary.coupon_check.ok
    assert summary.coupon_check.eligible_product_ids == {coat["product"].pk}
    assert summary.totals.discount == D("15.00")


def test_category_restricted_coupon_discounts_only_that_branch():
    tools = make_category("Tools")
    saws = make_category("Saws", parent=tools)
    toys = make_category("Toys")
    saw = make_product(stock=5, price=D("100.00"), main_category=saws)
    toy = make_product(stock=5, price=D("50.00"), main_category=toys)
    coupon = make_coupon("TOOLS20", value="20", scope="categories")
    coupon.categories.add(tools)
    cart = make_cart([(saw, 1), (toy, 1)], coupon_code="TOOLS20")
    totals = carts.summarize(cart).totals
    assert totals.discount == D("20.00")
    assert totals.grand_total == D("130.00")


def test_purge_deletes_only_idle_guest_carts_and_keeps_orders():
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from commerce.models import Order
    from commerce.services.checkout import place_order
    from tests.factories.checkout import GOOD_CARD, make_payment_method, ready_checkout

    user = get_user_model().objects.create_user("keep", "keep@example.com", "pw")
    product = make_product(stock=10)
    old_guest = make_cart([(product, 1)])
    fresh_guest = make_cart([(product, 1)])
    old_user_cart = make_cart([(product, 1)], user=user)
    ordered = make_cart(
        [(product, 1)], delivery=make_delivery_method(), payment=make_payment_method()
    )
    order = place_order(ready_checkout(ordered).token, payment_data=GOOD_CARD).order
    long_ago = timezone.now() - timedelta(days=31)
    Cart.objects.filter(pk__in=[old_guest.pk, old_user_cart.pk, ordered.pk]).update(
        updated_at=long_ago
    )
    Cart.objects.filter(pk=fresh_guest.pk).update(updated_at=long_ago + timedelta(days=2))

    call_command("purge_stale_carts", "--days", "30")

    assert set(Cart.objects.values_list("pk", flat=True)) == {fresh_guest.pk, old_user_cart.pk}
    assert Order.objects.filter(pk=order.pk).exists()
