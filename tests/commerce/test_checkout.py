"""Order placement: what an order copies, what it takes, and every way it refuses."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from commerce.models import (
    Cart,
    Checkout,
    Coupon,
    CouponRedemption,
    MockPayment,
    Order,
    OrderLineAllocation,
    OrderStatus,
    PaymentStatus,
    ProductVariant,
    SentEmail,
    Stock,
)
from commerce.services import cart as carts
from commerce.services import checkout as checkouts
from commerce.services.checkout import CheckoutError, CheckoutExpired, TotalChanged
from tests.factories.catalog import as_variant, make_attribute, make_product, make_warehouse
from tests.factories.checkout import (
    ADDRESS,
    DECLINED_CARD,
    GOOD_CARD,
    make_cart,
    make_coupon,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)
from tests.html import variant_links_in_main

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def methods():
    return make_delivery_method(price="15.00", free_from="500.00"), make_payment_method()


def stock_of(item):
    """{warehouse code: units} of a variant (a product without axes: its one variant)."""
    rows = Stock.objects.filter(variant=as_variant(item))
    return dict(rows.values_list("warehouse__code", "quantity"))


def set_price(item, price):
    ProductVariant.objects.filter(pk=as_variant(item).pk).update(price=price)


def test_an_order_copies_everything_and_takes_stock_warehouse_by_warehouse(methods):
    delivery, payment = methods
    make_warehouse("first", sort_order=1)
    make_warehouse("second", sort_order=2)
    lamp = make_product("Lamp", sku="LAMP-1", price=D("40.00"), stock={"second": 5, "first": 2})
    cable = make_product("Cable", sku="CAB-1", price=D("5.50"), vat_rate=D("8"), stock=10)
    make_coupon("TENOFF", kind="fixed", value="10.00")
    cart = make_cart(
        [(lamp, 3), (cable, 2)], coupon_code="TENOFF", delivery=delivery, payment=payment
    )
    checkout = ready_checkout(cart)

    placement = checkouts.place_order(checkout.token, payment_data=GOOD_CARD, currency="PLN")

    order = placement.order
    assert placement.created
    assert (order.subtotal, order.discount, order.delivery_cost, order.grand_total) == (
        D("131.00"),
        D("10.00"),
        D("15.00"),
        D("136.00"),
    )
    assert order.number == f"{timezone.localdate():%Y}-{order.pk:06d}"
    assert (order.email, order.full_name, order.currency) == (
        "ada@example.com",
        "Ada Lovelace",
        "PLN",
    )
    assert order.delivery_address == ADDRESS and order.billing_address == ADDRESS
    assert (order.delivery_method_name, order.payment_provider) == ("Courier", "mock_card")
    assert order.coupon_code == "TENOFF"
    assert (order.status, order.payment_status) == (OrderStatus.PAID, PaymentStatus.PAID)
    assert [(h.from_status, h.to_status) for h in order.history.all()] == [
        ("", "new"),
        ("new", "paid"),
    ]
    lines = [
        (
            line.product_name,
            line.sku,
            line.unit_price,
            line.quantity,
            line.line_total,
            line.vat_rate,
        )
        for line in order.lines.all()
    ]
    assert lines == [
        ("Lamp", "LAMP-1", D("40.00"), 3, D("120.00"), D("23.00")),
        ("Cable", "CAB-1", D("5.50"), 2, D("11.00"), D("8.00")),
    ]
    assert sum(line.discount for line in order.lines.all()) == D("10.00")
    lamp_line = order.lines.get(sku="LAMP-1")
    assert [(a.warehouse.code, a.quantity) for a in lamp_line.allocations.all()] == [
        ("first", 2),
        ("second", 1),
    ]
    assert stock_of(lamp) == {"first": 0, "second": 4}
    assert stock_of(cable) == {"main": 8}
    assert Coupon.objects.get(code="TENOFF").times_used == 1
    assert CouponRedemption.objects.get().order == order
    assert not cart.lines.exists()
    cart.refresh_from_db()
    assert cart.coupon_code == ""


def test_two_variants_of_one_product_become_two_order_lines(methods, client, homepage):
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True, sort_order=1)
    colour, (red, green) = make_attribute(
        "Colour", ["Red", "Green"], varies_per_variant=True, sort_order=2
    )
    make_warehouse("first", sort_order=1)
    coat = make_product(
        "Heritage coat",
        axes=[size, colour],
        vat_rate=D("8"),
        variants=[
            {"sku": "HC-S-R", "options": [s, red], "price": D("100.00"), "stock": {"first": 1}},
            {"sku": "HC-M-G", "options": [m, green], "price": D("120.00"), "stock": 4},
        ],
    )
    small, medium = coat.variants.order_by("sku").reverse()
    cart = make_cart([(small, 1), (medium, 2)], delivery=methods[0], payment=methods[1])

    order = checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD).order

    lines = [
        (
            line.product_id,
            line.variant_id,
            line.product_name,
            line.variant_name,
            line.description,
            line.sku,
            line.unit_price,
            line.quantity,
            line.vat_rate,
        )
        for line in order.lines.all()
    ]
    assert lines == [
        (
            coat.pk,
            small.pk,
            "Heritage coat",
            "Size S, Colour Red",
            "Heritage coat — Size S, Colour Red",
            "HC-S-R",
            D("100.00"),
            1,
            D("8.00"),
        ),
        (
            coat.pk,
            medium.pk,
            "Heritage coat",
            "Size M, Colour Green",
            "Heritage coat — Size M, Colour Green",
            "HC-M-G",
            D("120.00"),
            2,
            D("8.00"),
        ),
    ]
    assert [
        (a.line.sku, a.warehouse.code, a.quantity)
        for a in OrderLineAllocation.objects.order_by("id")
    ] == [("HC-S-R", "first", 1), ("HC-M-G", "main", 2)]
    assert (stock_of(small), stock_of(medium)) == ({"first": 0}, {"main": 2})
    assert order.subtotal == D("340.00")

    page = client.get(reverse("checkout:confirmation", args=[order.token]))
    text = page.content.decode()
    for expected in ("Heritage coat — Size S, Colour Red", "HC-S-R", "HC-M-G"):
        assert expected in text


def test_the_variant_selling_out_bumps_the_catalog_version_its_sibling_does_not(methods):
    from commerce.services.catalog_version import catalog_version as current_catalog_version

    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    coat = make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "C-S", "options": [s], "stock": 1},
            {"sku": "C-M", "options": [m], "stock": 9},
        ],
    )
    small, medium = coat.variants.get(sku="C-S"), coat.variants.get(sku="C-M")
    version = current_catalog_version()
    cart = make_cart([(medium, 2)], delivery=methods[0], payment=methods[1])
    checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD)
    assert current_catalog_version() == version  # M is still in stock
    cart = make_cart([(small, 1)], delivery=methods[0], payment=methods[1])
    checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD)
    assert current_catalog_version() != version  # S sold out, though the coat has stock


def test_a_variant_deactivated_after_the_review_page_is_refused(methods):
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    coat = make_product(
        "Coat",
        axes=[size],
        variants=[{"options": [s], "stock": 5}, {"options": [m], "stock": 5}],
    )
    small = coat.variants.get(options=s)
    cart = make_cart([(small, 1), (coat.variants.get(options=m), 1)], payment=methods[1])
    cart.delivery_method = methods[0]
    cart.save()
    checkout = ready_checkout(cart)
    ProductVariant.objects.filter(pk=small.pk).update(is_active=False)
    with pytest.raises(CheckoutError, match="Coat — Size S cannot be bought"):
        checkouts.place_order(checkout.token, payment_data=GOOD_CARD)
    small.delete()
    with pytest.raises(CheckoutError, match="Coat — Size S is no longer available"):
        checkouts.place_order(checkout.token, payment_data=GOOD_CARD)
    assert not Order.objects.exists()
    assert stock_of(coat.variants.get(options=m)) == {"main": 5}


def test_editing_the_catalog_later_never_changes_the_order(methods):
    product = make_product("Original", sku="ORIG", price=D("9.00"), stock=5)
    cart = make_cart([(product, 1)], delivery=methods[0], payment=methods[1])
    order = checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD).order
    product.name = "Renamed"
    product.save_revision().publish()
    ProductVariant.objects.filter(product=product).update(sku="NEW", price=D("99.00"))
    methods[0].name = "Renamed courier"
    methods[0].save()
    product.delete()
    order.refresh_from_db()
    line = order.lines.get()
    assert (line.product_name, line.sku, line.unit_price, line.product, line.variant) == (
        "Original",
        "ORIG",
        D("9.00"),
        None,
        None,
    )
    assert order.delivery_method_name == "Courier"


def test_a_second_submit_returns_the_first_order(methods):
    product = make_product(stock=5)
    cart = make_cart([(product, 2)], delivery=methods[0], payment=methods[1])
    checkout = ready_checkout(cart)
    first = checkouts.place_order(checkout.token, payment_data=GOOD_CARD)
    again = checkouts.place_order(checkout.token, payment_data=GOOD_CARD)
    assert (again.order, again.created) == (first.order, False)
    assert Order.objects.count() == 1
    assert stock_of(product) == {"main": 3}


def test_a_declined_card_leaves_no_order_and_takes_nothing(methods):
    product = make_product(stock=5)
    make_coupon("ONCE", usage_limit=1)
    cart = make_cart([(product, 2)], coupon_code="ONCE", delivery=methods[0], payment=methods[1])
    checkout = ready_checkout(cart)
    with pytest.raises(CheckoutError, match="declined"):
        checkouts.place_order(checkout.token, payment_data=DECLINED_CARD)
    assert not Order.objects.exists()
    assert not MockPayment.objects.exists()
    assert stock_of(product) == {"main": 5}
    assert Coupon.objects.get().times_used == 0
    assert cart.lines.get().quantity == 2
    checkout.refresh_from_db()
    assert checkout.order is None  # the shopper can try another card


def test_offline_payment_leaves_the_order_new_and_pending(methods):
    product = make_product(stock=5)
    cart = make_cart(
        [(product, 1)], delivery=methods[0], payment=make_payment_method("bank_transfer")
    )
    order = checkouts.place_order(ready_checkout(cart).token).order
    assert (order.status, order.payment_status) == (OrderStatus.NEW, PaymentStatus.PENDING)


def test_an_expired_checkout_cannot_place_and_is_renewed_with_its_answers(methods, settings):
    settings.STOREFRONT_CHECKOUT_IDLE_MINUTES = 30
    product = make_product(stock=5)
    cart = make_cart([(product, 1)], delivery=methods[0], payment=methods[1])
    checkout = ready_checkout(cart)
    Checkout.objects.filter(pk=checkout.pk).update(
        last_activity_at=timezone.now() - timedelta(minutes=31)
    )
    with pytest.raises(CheckoutExpired):
        checkouts.place_order(checkout.token, payment_data=GOOD_CARD)
    renewed, expired = checkouts.open_checkout(cart)
    assert expired and renewed.token != checkout.token
    assert (renewed.email, renewed.billing_address) == ("ada@example.com", ADDRESS)
    with pytest.raises(CheckoutExpired):  # the old review page's token is dead
        checkouts.place_order(checkout.token, payment_data=GOOD_CARD)
    assert cart.lines.count() == 1 and stock_of(product) == {"main": 5}


def test_a_checkout_just_inside_the_idle_limit_still_places(methods, settings):
    settings.STOREFRONT_CHECKOUT_IDLE_MINUTES = 30
    cart = make_cart([(make_product(stock=5), 1)], delivery=methods[0], payment=methods[1])
    checkout = ready_checkout(cart)
    Checkout.objects.filter(pk=checkout.pk).update(
        last_activity_at=timezone.now() - timedelta(minutes=29, seconds=50)
    )
    assert checkouts.place_order(checkout.token, payment_data=GOOD_CARD).created


def test_a_total_other_than_the_one_shown_is_refused(methods):
    cart = make_cart(
        [(make_product(stock=5, price=D("10.00")), 1)], delivery=methods[0], payment=methods[1]
    )
    checkout = ready_checkout(cart)
    with pytest.raises(TotalChanged, match="from 20.00 to 25.00"):
        checkouts.place_order(checkout.token, payment_data=GOOD_CARD, expected_total=D("20.00"))
    assert checkouts.place_order(
        checkout.token, payment_data=GOOD_CARD, expected_total=D("25.00")
    ).created


def test_a_price_changed_since_the_shopper_saw_it_is_refused(methods):
    product = make_product("Kettle", stock=5, price=D("10.00"))
    cart = make_cart([(product, 1)], delivery=methods[0], payment=methods[1])
    set_price(product, D("12.00"))
    with pytest.raises(TotalChanged, match="Kettle"):
        checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD)
    assert not Order.objects.exists()


def test_stock_sold_meanwhile_is_refused_with_the_reason(methods):
    product = make_product("Chair", stock=2)
    cart = make_cart([(product, 2)], delivery=methods[0], payment=methods[1])
    Stock.objects.filter(variant=as_variant(product)).update(quantity=1)
    with pytest.raises(CheckoutError, match="Only 1 of Chair in stock"):
        checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD)
    assert stock_of(product) == {"main": 1}


@pytest.mark.parametrize(
    "coupon_fields, message",
    [
        ({"is_active": False}, "no longer active"),
        ({"usage_limit": 0}, "used up"),
        ({"valid_until_delta": -1}, "expired"),
        ({"valid_from_delta": 1}, "valid from"),
    ],
)
def test_a_coupon_that_no_longer_applies_stops_placement(methods, coupon_fields, message):
    now = timezone.now()
    fields = dict(coupon_fields)
    if "valid_until_delta" in fields:
        fields["valid_until"] = now + timedelta(hours=fields.pop("valid_until_delta"))
    if "valid_from_delta" in fields:
        fields["valid_from"] = now + timedelta(hours=fields.pop("valid_from_delta"))
    make_coupon("GONE", **fields)
    cart = make_cart(
        [(make_product(stock=5), 1)], coupon_code="GONE", delivery=methods[0], payment=methods[1]
    )
    with pytest.raises(CheckoutError, match=message):
        checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD)
    assert not Order.objects.exists()


def test_per_customer_limit_counts_by_email_for_guests_and_by_user(methods):
    make_coupon("ONEEACH", per_customer_limit=1)
    product = make_product(stock=50)

    def buy(email, user=None):
        cart = make_cart(
            [(product, 1)], coupon_code="ONEEACH", delivery=methods[0], payment=methods[1]
        )
        return checkouts.place_order(
            ready_checkout(cart, email=email).token, user=user, payment_data=GOOD_CARD
        )

    buy("guest@example.com")
    with pytest.raises(CheckoutError, match="as often as it allows"):
        buy("GUEST@example.com")
    user = get_user_model().objects.create_user("u", "u@example.com", "pw")
    buy("u@example.com", user=user)
    with pytest.raises(CheckoutError, match="as often as it allows"):
        buy("other-address@example.com", user=user)
    assert Coupon.objects.get().times_used == 2


def test_minimum_cart_value_is_inclusive(methods):
    make_coupon("MIN50", min_cart_value=D("50.00"))
    cart = make_cart(
        [(make_product(stock=5, price=D("50.00")), 1)],
        coupon_code="MIN50",
        delivery=methods[0],
        payment=methods[1],
    )
    order = checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD).order
    assert order.discount == D("5.00")


def test_someone_elses_checkout_token_is_refused(methods):
    product = make_product(stock=5)
    victim = make_cart([(product, 1)], delivery=methods[0], payment=methods[1])
    attacker = make_cart([(product, 1)], delivery=methods[0], payment=methods[1])
    token = ready_checkout(victim).token
    with pytest.raises(CheckoutError):
        checkouts.place_order(token, cart=attacker, payment_data=GOOD_CARD)
    assert not Order.objects.exists()


def test_details_saved_from_a_page_opened_before_the_order_never_detach_it(methods):
    """The details step of a second tab writes after the order was placed: it is told
    so, and the checkout stays the order's (a full save would have cleared `order`)."""
    cart = make_cart([(make_product(stock=5), 1)], delivery=methods[0], payment=methods[1])
    checkout = ready_checkout(cart)
    second_tab = Checkout.objects.get(pk=checkout.pk)
    order = checkouts.place_order(checkout.token, payment_data=GOOD_CARD).order

    with pytest.raises(CheckoutError) as refused:
        checkouts.save_contact(
            second_tab,
            email="other@example.com",
            phone="",
            billing_address=dict(ADDRESS),
            delivery_address=dict(ADDRESS),
        )

    assert refused.value.order == order
    saved = Checkout.objects.get(pk=checkout.pk)
    assert (saved.order, saved.email) == (order, "ada@example.com")
    assert checkouts.placed_order(cart, checkout.token) == order


def test_a_failure_after_the_stock_update_rolls_everything_back(methods, monkeypatch):
    product = make_product(stock=5)
    make_coupon("ROLL", usage_limit=5)
    cart = make_cart([(product, 2)], coupon_code="ROLL", delivery=methods[0], payment=methods[1])
    checkout = ready_checkout(cart)

    def explode(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(checkouts, "_redeem", explode)
    with pytest.raises(RuntimeError):
        checkouts.place_order(checkout.token, payment_data=GOOD_CARD)
    assert not Order.objects.exists()
    assert stock_of(product) == {"main": 5}
    assert cart.lines.get().quantity == 2


# --- The checkout pages -----------------------------------------------------------


def walk_to_review(client, product, quantity=1):
    client.post(reverse("cart:add"), {"variant": as_variant(product).pk, "quantity": quantity})
    details = {"email": "Ada@Example.com", "phone": ""}
    details |= {f"billing-{key}": value for key, value in ADDRESS.items()}
    response = client.post(reverse("checkout:details"), details)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(reverse("checkout:review"), follow=True)


def test_the_steps_and_placement_ask_one_readiness_rule(client, methods):
    """services.checkout.unfinished_step decides; the start page follows it, placement
    refuses with its message, and a method switched off counts as not chosen."""
    delivery, payment = methods
    client.post(reverse("cart:add"), {"product": make_product(stock=3).pk, "quantity": 1})
    cart = Cart.objects.get()

    def answers():
        cart = Cart.objects.get()
        checkout = Checkout.objects.get(cart=cart, order=None)
        missing = checkouts.unfinished_step(cart, checkout)
        start = client.get(reverse("checkout:start"))["Location"]
        try:
            checkouts.place_order(checkout.token, payment_data=GOOD_CARD)
        except CheckoutError as refused:
            return missing and missing.step, start, str(refused)
        return None, start, "placed"

    checkouts.open_checkout(cart)
    assert answers() == (
        "details",
        reverse("checkout:details"),
        "Please fill in your contact details and addresses first.",
    )
    ready_checkout(cart)
    assert answers() == (
        "delivery",
        reverse("checkout:delivery"),
        "Please choose a delivery method.",
    )
    carts.choose_delivery_method(cart, delivery.pk)
    carts.choose_payment_method(cart, payment.pk)
    type(payment).objects.filter(pk=payment.pk).update(is_active=False)
    assert answers() == ("payment", reverse("checkout:payment"), "Please choose a payment method.")
    type(payment).objects.filter(pk=payment.pk).update(is_active=True)
    checkout = Checkout.objects.get(cart=cart, order=None)
    assert checkouts.unfinished_step(Cart.objects.get(), checkout) is None
    assert client.get(reverse("checkout:start"))["Location"] == reverse("checkout:review")


def test_the_whole_checkout_in_pages(client, methods):
    delivery, payment = methods
    product = make_product("Teapot", stock=3, price=D("30.00"))
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    assert client.get(reverse("checkout:start"))["Location"] == reverse("checkout:details")
    walk = walk_to_review(client, product)
    assert walk.redirect_chain[-1][0] == reverse("checkout:delivery")
    client.post(reverse("checkout:delivery"), {"delivery_method": delivery.pk})
    client.post(reverse("checkout:payment"), {"payment_method": payment.pk})
    review = client.get(reverse("checkout:review"))
    assert review.status_code == 200
    form = review.context["place_form"]
    data = {
        "checkout": form.initial["checkout"],
        "expected_total": form.initial["expected_total"],
        "accept_terms": "on",
        "payment-card_number": "4242 4242 4242 4242",
        "payment-expiry": "12/39",
        "payment-cvc": "123",
    }
    assert data["expected_total"] == D("75.00")
    placed = client.post(reverse("checkout:review"), data)
    order = Order.objects.get()
    assert placed["Location"] == reverse("checkout:confirmation", args=[order.token])
    page = client.get(placed["Location"])
    assert page.status_code == 200 and order.number in page.content.decode()
    assert order.email == "ada@example.com"
    again = client.post(reverse("checkout:review"), data)  # the cart is empty now
    assert again.status_code == 302 and Order.objects.count() == 1


@pytest.mark.parametrize("step", ["delivery", "payment"])
def test_a_method_switched_off_while_the_choice_is_saved_is_a_form_error(
    client, methods, monkeypatch, step
):
    delivery, payment = methods
    walk_to_review(client, make_product("Teapot", stock=3))
    chosen = delivery if step == "delivery" else payment
    choose = getattr(carts, f"choose_{step}_method")

    def switched_off_meanwhile(cart, method_id):
        type(chosen).objects.filter(pk=chosen.pk).update(is_active=False)
        return choose(cart, method_id)

    monkeypatch.setattr(carts, f"choose_{step}_method", switched_off_meanwhile)
    if step == "payment":
        client.post(reverse("checkout:delivery"), {"delivery_method": delivery.pk})
    response = client.post(reverse(f"checkout:{step}"), {f"{step}_method": chosen.pk})
    assert response.status_code == 400
    assert "Choose one of the" in str(response.context["form"].errors)


def test_invalid_details_are_form_errors_not_failures(client, methods):
    product = make_product(stock=3)
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    response = client.post(
        reverse("checkout:details"), {"email": "not-an-email", "billing-country": "Poland"}
    )
    assert response.status_code == 400
    errors = response.context["contact_form"].errors | response.context["billing_form"].errors
    assert {"email", "country", "full_name"} <= set(errors)


def test_without_deliver_elsewhere_an_error_marks_no_delivery_field(client, methods):
    product = make_product(stock=3)
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    details = {"email": "not-an-email"}
    details |= {f"billing-{key}": value for key, value in ADDRESS.items()}
    details["delivery-city"] = "Kraków"  # typed before unticking the box: kept, not judged
    response = client.post(reverse("checkout:details"), details)
    assert response.status_code == 400
    assert set(response.context["contact_form"].errors) == {"email"}
    assert not response.context["delivery_form"].errors
    html = response.content.decode()
    assert html.count("This field is required.") == 0
    assert 'name="delivery-city" value="Kraków"' in html
    # Ticked, the delivery address is required.
    details["deliver_elsewhere"] = "on"
    response = client.post(reverse("checkout:details"), details)
    assert {"full_name", "line1", "postal_code", "country"} <= set(
        response.context["delivery_form"].errors
    )


def place_with_card(client, methods, number, expiry="12/39", cvc="123"):
    """Walks a one-product cart to the review page and submits it with this card."""
    delivery, payment = methods
    walk_to_review(client, make_product(stock=3))
    client.post(reverse("checkout:delivery"), {"delivery_method": delivery.pk})
    client.post(reverse("checkout:payment"), {"payment_method": payment.pk})
    form = client.get(reverse("checkout:review")).context["place_form"]
    return client.post(
        reverse("checkout:review"),
        {
            "checkout": form.initial["checkout"],
            "expected_total": form.initial["expected_total"],
            "accept_terms": "on",
            "payment-card_number": number,
            "payment-expiry": expiry,
            "payment-cvc": cvc,
        },
    )


def test_a_bad_card_is_a_form_error(client, methods):
    response = place_with_card(client, methods, "1234", expiry="01/20", cvc="x")
    assert response.status_code == 400
    assert set(response.context["payment_form"].errors) == {"card_number", "expiry", "cvc"}
    assert not Order.objects.exists()


def test_a_declined_card_page_says_so_with_409(client, methods):
    response = place_with_card(client, methods, "4000 0000 0000 0002")
    assert response.status_code == 409
    assert "declined" in response.content.decode()
    assert not Order.objects.exists()


def test_confirmation_pages_are_reachable_only_by_their_token(client, methods):
    cart = make_cart([(make_product(stock=5), 1)], delivery=methods[0], payment=methods[1])
    order = checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD).order
    assert client.get(reverse("checkout:confirmation", args=[order.token])).status_code == 200
    # Tokens that can't exist don't even match the URL (commerce/urls/converters.py).
    assert client.get(f"/checkout/order/{order.pk}/").status_code == 404
    assert client.get(f"/checkout/order/{order.token[:-1]}/").status_code == 404


def test_checkout_pages_with_an_empty_cart_go_back_to_the_cart(client):
    for name in ("checkout:start", "checkout:details", "checkout:review"):
        assert client.get(reverse(name))["Location"] == reverse("cart:detail")


def test_saved_addresses_prefill_the_details_but_only_the_shoppers_own(client, methods):
    from commerce.models import Address

    User = get_user_model()
    ada = User.objects.create_user("ada", "ada@example.com", "pw-long-enough-1")
    eve = User.objects.create_user("eve", "eve@example.com", "pw-long-enough-1")
    home = Address.objects.create(user=ada, label="Home", **{**ADDRESS, "city": "Gdansk"})
    office = Address.objects.create(user=ada, label="Office", **{**ADDRESS, "city": "Krakow"})
    theirs = Address.objects.create(user=eve, label="Eve's", **{**ADDRESS, "city": "Secretville"})
    client.force_login(ada)
    client.post(reverse("cart:add"), {"product": make_product(stock=5).pk, "quantity": 1})
    page = client.get(reverse("checkout:details"))
    assert page.context["billing_form"].initial["city"] in {"Gdansk", "Krakow"}
    assert list(page.context["saved_addresses"]) == [office, home]
    chosen = client.get(reverse("checkout:details"), {"use": home.pk})
    assert chosen.context["billing_form"].initial["city"] == "Gdansk"
    foreign = client.get(reverse("checkout:details"), {"use": theirs.pk})
    assert foreign.context["billing_form"].initial["city"] != "Secretville"
    assert "Secretville" not in foreign.content.decode()


def test_placing_queues_the_confirmation_with_the_commit_and_a_mail_failure_keeps_the_order(
    methods, settings, mailoutbox, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    settings.STOREFRONT_ORDER_NOTIFICATION_EMAILS = ["orders@shop.example"]
    cart = make_cart([(make_product("Globe", stock=5), 1)], delivery=methods[0], payment=methods[1])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD).order
    assert mailoutbox == []  # nothing is sent before the order is committed
    for callback in callbacks:
        callback()
    assert sorted(tuple(message.to) for message in mailoutbox) == [
        ("ada@example.com",),
        ("orders@shop.example",),
    ]
    assert any(order.number in message.subject for message in mailoutbox)
    assert set(SentEmail.objects.filter(order=order, sent_at__isnull=False).values_list("key")) == {
        (f"order_placed:{order.pk}",),
        (f"order_placed_staff:{order.pk}",),
    }

    def mail_server_down(backend, messages):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", mail_server_down
    )
    second = make_cart([(make_product(stock=5), 1)], delivery=methods[0], payment=methods[1])
    with django_capture_on_commit_callbacks(execute=True):
        placed = checkouts.place_order(ready_checkout(second).token, payment_data=GOOD_CARD)
    assert Order.objects.filter(pk=placed.order.pk).exists()
    # The e-mail task failed (the database queue would try it again), and nothing says sent.
    assert "send_order_email_task state=FAILED" in caplog.text
    assert "ConnectionRefusedError: SMTP down" in caplog.text
    assert not SentEmail.objects.filter(order=placed.order).exists()


def test_the_review_page_queries_do_not_grow_with_lines_variants_or_axes(client, methods, homepage):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories.catalog import make_shop

    make_shop(homepage)
    delivery, payment = methods
    walk_to_review(client, make_product("Mug", stock=5))
    client.post(reverse("checkout:delivery"), {"delivery_method": delivery.pk})
    client.post(reverse("checkout:payment"), {"payment_method": payment.pk})

    def review_queries():
        # Warm first: a product added bumps the catalog version, and the first page after
        # that fills the per-version caches (categories for the menu) once for everyone.
        client.get(reverse("checkout:review"))
        with CaptureQueriesContext(connection) as queries:
            review = client.get(reverse("checkout:review"))
        assert review.status_code == 200 and "place_form" in review.context
        return len(queries)

    few = review_queries()
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
    assert Cart.objects.get().lines.count() == 7
    many = review_queries()
    assert many <= few, (few, many)
    page = client.get(reverse("checkout:review")).content.decode()
    assert len(variant_links_in_main(page)) == 7  # each line links to its variant
