"""The cart page as shoppers use it on any screen: lines with pictures and options, steppers
that post without JavaScript, delivery terms and the way to free delivery; the bank details
an order paid by transfer shows and mails."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.models import Site

from commerce.models import BankDetails, CartLine, DeliveryMethod
from commerce.services import cart as carts
from commerce.services import checkout as checkouts
from commerce.services import notifications
from commerce.services.cart import CartError
from tests.factories.catalog import (
    make_attribute,
    make_product,
    make_shop,
    only_variant,
)
from tests.factories.checkout import (
    GOOD_CARD,
    make_cart,
    make_coupon,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)
from tests.factories.promotions import make_gift_promotion
from tests.html import soup_of

pytestmark = pytest.mark.django_db
D = Decimal


def lines_of(soup):
    return soup.select(".cart-lines__list .cart-line")


@pytest.fixture
def shirt():
    """A shirt in S and M, Blue; two gallery pictures, the M variant shows the second."""
    size, (small, medium) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    colour, (blue,) = make_attribute("Colour", ["Blue"], varies_per_variant=True, sort_order=2)
    product = make_product(
        "Shirt",
        images=2,
        axes=[size, colour],
        variants=[
            {"sku": "SHIRT-S", "options": [small, blue], "price": D("20.00"), "stock": 9},
            {"sku": "SHIRT-M", "options": [medium, blue], "price": D("20.00"), "stock": 3},
        ],
    )
    pictures = list(product.images.order_by("sort_order"))
    medium_variant = product.variants.get(sku="SHIRT-M")
    medium_variant.images.set([pictures[1].image])
    medium_variant.save()
    return product


# --- Lines ----------------------------------------------------------------------------------


def test_a_line_shows_its_picture_name_link_options_price_stepper_and_remove(
    client, shirt, homepage
):
    shop = make_shop(homepage)
    client.post(reverse("cart:add"), {"variant": shirt.variants.get(sku="SHIRT-M").pk})
    client.post(reverse("cart:add"), {"variant": shirt.variants.get(sku="SHIRT-S").pk})
    soup = soup_of(client.get(reverse("cart:detail")))
    medium, small = lines_of(soup)
    # Each its own picture (which one: test_the_variant_picture_wins_over_the_gallery_order).
    assert medium.select_one("img")["src"] != small.select_one("img")["src"]
    assert medium.select_one(".cart-line__name a")["href"] == (
        f"{shop.url}p/{shirt.slug}/?variant=SHIRT-M"
    )
    assert medium.select_one(".cart-line__name").get_text(strip=True) == "Shirt"
    assert medium.select_one(".cart-line__options").get_text(strip=True) == ("Size M, Colour Blue")
    assert "20.00" in medium.select_one(".cart-line__price").get_text()
    assert "20.00" in medium.select_one(".cart-line__total").get_text()
    stepper = medium.select_one("form.stepper")
    assert [b.get("value") for b in stepper.select("button[name=adjust]")] == ["-1", "1"]
    assert stepper.select_one("button[name=adjust][value='-1']").has_attr("disabled")  # 1 held
    # Enter in the field presses the first submit button: Update, never −.
    assert not stepper.select("button[type=submit]")[0].has_attr("name")
    assert (
        medium.select_one(".cart-line__remove button")
        .get_text(" ", strip=True)
        .startswith("Remove")
    )
    assert soup.find("a", string="Continue shopping")["href"] == shop.url


def test_the_variant_picture_wins_over_the_gallery_order(shirt):
    cart = make_cart(
        [(shirt.variants.get(sku="SHIRT-M"), 1), (shirt.variants.get(sku="SHIRT-S"), 1)]
    )
    summary = carts.summarize(cart)
    carts.add_thumbnails(summary.lines)
    pictures = list(shirt.images.order_by("sort_order"))
    assert [state.thumbnail.image_id for state in summary.lines] == [
        pictures[1].image_id,
        pictures[0].image_id,
    ]


def test_a_line_without_pictures_or_variant_shows_no_broken_image(client, homepage):
    make_shop(homepage)
    mug = make_product("Mug", stock=5)
    gone = make_product("Gone", stock=5)
    client.post(reverse("cart:add"), {"product": mug.pk})
    client.post(reverse("cart:add"), {"product": gone.pk})
    only_variant(gone).delete()
    soup = soup_of(client.get(reverse("cart:detail")))
    assert not soup.select(".cart-lines img")
    assert len(soup.select(".cart-line__image")) == 2
    assert "Gone is no longer available." in soup.get_text()


def test_a_gift_line_is_marked_and_has_no_stepper_or_remove(client, homepage):
    make_shop(homepage)
    mug = make_product("Mug", price=D("10.00"), stock=100)
    tote = make_product("Tote bag", price=D("8.00"), stock=5)
    make_gift_promotion(tote, threshold="20.00", products=[mug])
    client.post(reverse("cart:add"), {"product": mug.pk, "quantity": 2})
    soup = soup_of(client.get(reverse("cart:detail")))
    bought, gift = lines_of(soup)
    assert "cart-line--gift" in gift["class"] and "cart-line--gift" not in bought["class"]
    assert gift.select_one(".cart-line__gift").get_text() == "Gift"
    assert not gift.select("form") and bought.select("form.stepper")
    assert "free" in gift.select_one(".cart-line__price").get_text()


@pytest.mark.parametrize("lines", [1, 20])
def test_cart_page_queries_are_fixed_with_pictures(
    client, homepage, lines, django_assert_max_num_queries
):
    make_shop(homepage)
    make_delivery_method("Courier", price="9.99", free_from="50.00")
    make_payment_method("bank_transfer")
    for n in range(lines):
        product = make_product(f"Pictured {n}", stock=5, images=1)
        client.post(reverse("cart:add"), {"product": product.pk})
    client.get(reverse("cart:detail"))  # sessions, first renditions made
    with django_assert_max_num_queries(24):
        soup = soup_of(client.get(reverse("cart:detail")))
    assert len(soup.select(".cart-lines img")) == lines


# --- Steppers -------------------------------------------------------------------------------


def test_steppers_step_from_the_stored_quantity_within_stock():
    product = make_product(stock=3)
    cart = make_cart([(product, 2)])
    line = cart.lines.get()
    assert carts.set_line_quantity(cart, line.pk, "1", adjust="1") == ""  # from 2, not from "1"
    assert cart.lines.get().quantity == 3
    note = carts.set_line_quantity(cart, line.pk, adjust="1")
    assert "Only 3" in note and cart.lines.get().quantity == 3  # stock caps it
    carts.set_line_quantity(cart, line.pk, adjust="-1")
    carts.set_line_quantity(cart, line.pk, adjust="-1")
    assert cart.lines.get().quantity == 1
    with pytest.raises(CartError, match="use Remove"):
        carts.set_line_quantity(cart, line.pk, adjust="-1")
    assert cart.lines.get().quantity == 1


@pytest.mark.parametrize("adjust", ["2", "-2", "0", "x", "", "１", "9" * 30, "1\x00"])
def test_a_stepper_value_other_than_minus_or_plus_one_is_refused(adjust):
    cart = make_cart([(make_product(stock=9), 2)])
    with pytest.raises(CartError):
        carts.set_line_quantity(cart, cart.lines.get().pk, adjust=adjust)
    assert cart.lines.get().quantity == 2


def test_the_stepper_buttons_post_to_the_line_view(client):
    product = make_product("Mug", stock=9)
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 2}, follow=True)
    line = CartLine.objects.get()
    url = reverse("cart:line_update", args=[line.pk])
    response = client.post(url, {"quantity": "2", "adjust": "1"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Quantity updated."]
    assert CartLine.objects.get().quantity == 3
    client.post(url, {"quantity": "3", "adjust": "-1"}, follow=True)
    client.post(url, {"quantity": "7"}, follow=True)  # Update (or Enter): the typed quantity
    assert CartLine.objects.get().quantity == 7
    response = client.post(url, {"quantity": "7", "adjust": "5"}, follow=True)
    assert response.status_code == 200 and CartLine.objects.get().quantity == 7
    assert [str(m) for m in response.context["messages"]] == [
        "Use the − and + buttons, or type the quantity."
    ]


def test_the_empty_cart_offers_continue_shopping(client, homepage):
    shop = make_shop(homepage)
    soup = soup_of(client.get(reverse("cart:detail")))
    assert "Your cart is empty." in soup.get_text()
    link = soup.find("a", string="Continue shopping")
    assert link["href"] == shop.url


def test_without_a_shop_page_continue_shopping_goes_home(client):
    soup = soup_of(client.get(reverse("cart:detail")))
    assert soup.find("a", string="Continue shopping")["href"] == "/"


# --- Delivery terms and free delivery -------------------------------------------------------


@pytest.fixture
def delivery_methods():
    return {
        "locker": make_delivery_method(
            "Parcel locker", price="4.99", free_from="50.00", delivery_time="1–2 working days"
        ),
        "courier": make_delivery_method("Courier", price="9.99", free_from="80.00"),
        "store": make_delivery_method("Pick-up in store", price="0", free_from="1.00"),
    }


def progress(cart, **kwargs):
    return carts.free_delivery(carts.summarize(cart), **kwargs)


@pytest.mark.parametrize(
    ("quantity", "remaining"),
    [(1, "40.00"), (4, "10.00"), (5, "0.00"), (6, "0.00")],
)
def test_free_delivery_counts_down_to_the_lowest_threshold_and_is_reached_at_it(
    delivery_methods, quantity, remaining
):
    cart = make_cart([(make_product(price=D("10.00"), stock=20), quantity)])
    shown = progress(cart)
    assert shown.method == delivery_methods["locker"]  # the free method has no threshold
    assert shown.remaining == D(remaining)
    assert shown.reached is (remaining == "0.00")
    summary = carts.summarize(
        make_cart([(cart.lines.get().variant, quantity)], delivery=shown.method)
    )
    assert summary.totals.is_free_delivery is shown.reached  # pricing agrees to the cent


def test_the_chosen_method_s_threshold_counts_and_none_without_one(delivery_methods):
    product = make_product(price=D("10.00"), stock=20)
    cart = make_cart([(product, 6)], delivery=delivery_methods["courier"])
    assert progress(cart).remaining == D("20.00")
    cart.delivery_method = make_delivery_method("Freight", price="30.00")
    cart.save()
    assert progress(cart) is None
    cart.delivery_method = delivery_methods["store"]
    cart.save()
    assert progress(cart) is None


def test_no_method_with_a_threshold_no_message(client):
    make_delivery_method("Courier", price="9.99")
    DeliveryMethod.objects.create(name="Off", price=D("5"), free_from=D("1"), is_active=False)
    cart = make_cart([(make_product(stock=5), 1)])
    assert progress(cart) is None
    assert carts.free_delivery(carts.summarize(make_cart())) is None  # empty cart


def test_free_delivery_counts_the_products_after_the_coupon(delivery_methods):
    make_coupon("TENOFF", value="10")
    cart = make_cart([(make_product(price=D("10.00"), stock=20), 5)], coupon_code="TENOFF")
    assert progress(cart).remaining == D("5.00")  # 50.00 − 10 % = 45.00


def test_the_cart_shows_each_method_s_terms_and_what_is_left_for_free_delivery(
    client, delivery_methods
):
    product = make_product(price=D("10.00"), stock=20)
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 3})
    soup = soup_of(client.get(reverse("cart:detail")))
    terms = {
        label.select_one(".choice__name").get_text(): label.select_one(".delivery-terms")
        .get_text(" ", strip=True)
        .replace("\xa0", " ")
        for label in soup.select(".methods-form .choice")
        if label.select_one(".delivery-terms")
    }
    assert terms == {
        "Parcel locker": "4.99 EUR · free from 50.00 EUR · 1–2 working days",
        "Courier": "9.99 EUR · free from 80.00 EUR",
        "Pick-up in store": "Free",
    }
    banner = soup.select_one(".free-delivery").get_text(" ", strip=True)
    assert banner.startswith("20.00 EUR more for free delivery (Parcel locker")
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 2})
    soup = soup_of(client.get(reverse("cart:detail")))
    assert "qualifies for free delivery" in soup.select_one(".free-delivery").get_text()


def test_the_delivery_step_shows_each_method_s_terms(client, delivery_methods):
    make_payment_method()
    client.post(reverse("cart:add"), {"product": make_product(stock=5).pk})
    cart = carts.get_cart(client_request(client))
    ready_checkout(cart)
    soup = soup_of(client.get(reverse("checkout:delivery")))
    text = soup.select_one(".checkout-form").get_text(" ", strip=True).replace("\xa0", " ")
    assert "Parcel locker 4.99 EUR · free from 50.00 EUR · 1–2 working days" in text
    assert soup.select("input[type=radio][name=delivery_method]")
    response = client.post(
        reverse("checkout:delivery"), {"delivery_method": delivery_methods["courier"].pk}
    )
    assert response.status_code == 302
    payment = soup_of(client.get(reverse("checkout:payment")))
    assert not payment.select(".delivery-terms")


def client_request(client):
    from django.http import HttpRequest

    from commerce.services.guests import GUEST_SESSION_KEY

    request = HttpRequest()
    request.session = {GUEST_SESSION_KEY: client.session[GUEST_SESSION_KEY]}
    request.user = None
    return request


def test_the_demo_methods_keep_the_home_page_s_free_delivery_promise():
    import re
    from pathlib import Path

    import home.demo
    from commerce.demo import ensure_checkout_options

    banner = re.search(r"Free delivery on orders over (\d+)", Path(home.demo.__file__).read_text())
    assert banner is not None
    ensure_checkout_options()
    ensure_checkout_options()  # idempotent
    paid = DeliveryMethod.objects.filter(price__gt=0)
    assert paid.count() == 2
    assert {method.free_from for method in paid} == {D(banner.group(1))}
    assert all(method.delivery_time for method in DeliveryMethod.objects.all())


# --- Bank details ---------------------------------------------------------------------------


def set_bank_details(**fields):
    details = BankDetails.for_site(Site.objects.get(is_default_site=True))
    values = {
        "account_holder": "Storefront Ltd",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "bank_name": "Commerzbank",
    } | fields
    for name, value in values.items():
        setattr(details, name, value)
    details.full_clean()
    details.save()
    return details


def test_iban_and_bic_are_validated():
    details = BankDetails(site=Site.objects.get(is_default_site=True), iban="DE00123", bic="NOPE")
    with pytest.raises(ValidationError) as raised:
        details.full_clean()
    assert {"iban", "bic"} <= set(raised.value.message_dict)


def place(provider):
    product = make_product("Lamp", price=D("40.00"), stock=5)
    cart = make_cart(
        [(product, 1)],
        delivery=make_delivery_method(price="5.00"),
        payment=make_payment_method(provider),
    )
    return checkouts.place_order(
        ready_checkout(cart).token,
        payment_data=GOOD_CARD,
    ).order


def test_a_bank_transfer_confirmation_shows_the_account_amount_and_reference(client):
    set_bank_details()
    order = place("bank_transfer")
    soup = soup_of(client.get(reverse("checkout:confirmation", args=[order.token])))
    block = soup.select_one(".bank-transfer")
    details = dict(
        zip(
            [dt.get_text() for dt in block.select("dt")],
            [dd.get_text(" ", strip=True).replace("\xa0", " ") for dd in block.select("dd")],
            strict=True,
        )
    )
    assert details == {
        "Account holder": "Storefront Ltd",
        "IBAN": "DE89 3704 0044 0532 0130 00",
        "BIC": "COBADEFFXXX",
        "Bank": "Commerzbank",
        "Amount": "45.00 EUR",
        "Reference": order.number,
    }


def test_a_card_order_shows_no_bank_details(client):
    set_bank_details()
    order = place("mock_card")
    page = client.get(reverse("checkout:confirmation", args=[order.token])).content.decode()
    assert "DE89" not in page and "bank-transfer" not in page


def test_without_complete_bank_details_only_the_amount_and_reference_show(client):
    set_bank_details(iban="")
    order = place("bank_transfer")
    soup = soup_of(client.get(reverse("checkout:confirmation", args=[order.token])))
    block = soup.select_one(".bank-transfer")
    assert order.number in block.get_text() and "45.00" in block.get_text()
    assert not block.select("dl")
    text, html = mail_parts(order)
    assert "Our bank details" not in text and "Our bank details" not in html
    assert "Please transfer" in text


def mail_parts(order):
    message = notifications.order_message(order, notifications.ORDER_PLACED)
    return message.body, message.alternatives[0].content


def test_the_order_e_mail_carries_the_bank_details_for_a_transfer_only():
    set_bank_details()
    order = place("bank_transfer")
    text, html = mail_parts(order)
    assert (
        "Our bank details:\nAccount holder: Storefront Ltd\nIBAN: DE89 3704 0044 0532 0130 00\n"
        in text
    )
    assert f"Amount: 45.00 EUR\nReference: {order.number}" in text
    assert "<span" not in text
    assert "DE89 3704 0044 0532 0130 00" in html and "Commerzbank" in html
    card_text, card_html = mail_parts(place("mock_card"))
    assert "DE89" not in card_text and "DE89" not in card_html
    assert not mail.outbox


def test_a_bank_transfer_paid_in_shows_no_instructions_any_more(client):
    set_bank_details()
    order = place("bank_transfer")
    type(order).objects.filter(pk=order.pk).update(payment_status="paid")
    page = client.get(reverse("checkout:confirmation", args=[order.token])).content.decode()
    assert "DE89" not in page
