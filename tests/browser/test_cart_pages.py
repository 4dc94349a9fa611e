"""The cart, the delivery step and a bank-transfer confirmation in Chromium at a phone's and a
desktop's width: nothing sideways, axe-clean, controls a thumb can hit, and the quantity
steppers with JavaScript and without."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from wagtail.models import Site

from commerce.models import BankDetails, Cart, CartLine, Order
from home.demo import ensure_site
from tests.browser.layout import MIN_TOUCH_TARGET, PHONE, check_page
from tests.factories.catalog import make_attribute, make_product, make_shop
from tests.factories.checkout import make_delivery_method, make_payment_method, ready_checkout
from tests.factories.promotions import make_gift_promotion

pytestmark = pytest.mark.browser
D = Decimal

# The cart's controls (steppers, Update, Remove, coupon, choices, check out), each measured.
_SMALL_CART_CONTROLS = """(minimum) => [...document.querySelectorAll(
    '.cart button, .cart .button, .cart input:not([type=hidden]):not([type=radio])')]
  .filter((el) => !el.closest('.visually-hidden') && !el.classList.contains('visually-hidden'))
  .filter((el) => el.getBoundingClientRect().height < minimum - 0.5)
  .map((el) => `${el.tagName} "${(el.innerText || el.name).trim()}" `
    + `${Math.round(el.getBoundingClientRect().height)}px`)"""


def build_shop():
    make_shop(ensure_site())
    size, (small, medium) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    colour, (blue,) = make_attribute("Colour", ["Blue"], varies_per_variant=True, sort_order=2)
    shirt = make_product(
        "Linen shirt with a rather long name for a phone",
        images=1,
        axes=[size, colour],
        variants=[
            {"sku": "SHIRT-S", "options": [small, blue], "price": D("20.00"), "stock": 9},
            {"sku": "SHIRT-M", "options": [medium, blue], "price": D("20.00"), "stock": 9},
        ],
    )
    mug = make_product("Mug", price=D("10.00"), stock=50, images=1)
    tote = make_product("Tote bag", price=D("8.00"), stock=5)
    make_gift_promotion(tote, threshold="20.00", products=[mug])
    make_delivery_method(
        "Parcel locker", price="4.99", free_from="50.00", delivery_time="1–2 working days"
    )
    make_delivery_method("Courier", price="9.99", free_from="50.00", delivery_time="Next day")
    make_payment_method("mock_card", name="Card")
    make_payment_method("bank_transfer", name="Bank transfer")
    details = BankDetails.for_site(Site.objects.get(is_default_site=True))
    details.account_holder, details.iban = "Storefront Ltd", "DE89370400440532013000"
    details.bic, details.bank_name = "COBADEFFXXX", "Commerzbank"
    details.save()
    return shirt, mug


def add(page: Page, base, product, sku=None):
    page.goto(f"{base}/shop/p/{product.slug}/" + (f"?variant={sku}" if sku else ""))
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Added")


def quantity_of(name):
    return CartLine.objects.get(product_name__startswith=name, is_gift=False).quantity


@pytest.mark.django_db(transaction=True)
def test_the_cart_at_both_widths(live_server, page: Page, phone_page: Page):
    shirt, mug = build_shop()
    base = live_server.url
    for width, shopper in (("desktop", page), ("phone", phone_page)):
        CartLine.objects.all().delete()
        shopper.goto(f"{base}/cart/")
        expect(shopper.get_by_text("Your cart is empty.")).to_be_visible()
        expect(shopper.get_by_role("link", name="Continue shopping")).to_have_attribute(
            "href", re.compile(r"/shop/$")
        )
        check_page(shopper, "cart-empty")

        add(shopper, base, shirt, "SHIRT-M")
        add(shopper, base, mug)
        shopper.goto(f"{base}/cart/")
        lines = shopper.locator(".cart-lines .cart-line")
        expect(lines).to_have_count(2)
        shopper.get_by_role("button", name="One more Mug").click()  # 20.00 of mugs: the tote
        expect(shopper.locator(".messages")).to_contain_text("Gift added: Tote bag")
        expect(lines).to_have_count(3)
        shirt_line = lines.filter(has_text="Linen shirt")
        expect(shirt_line.locator(".cart-line__options")).to_have_text("Size M, Colour Blue")
        expect(shirt_line.locator("img")).to_be_visible()
        gift = shopper.locator(".cart-line--gift")
        expect(gift.locator(".cart-line__gift")).to_have_text("Gift")
        expect(gift.get_by_role("button")).to_have_count(0)
        expect(shopper.locator(".free-delivery")).to_contain_text(
            "10.00 EUR more for free delivery"
        )
        expect(shopper.locator(".methods-form")).to_contain_text("1–2 working days")
        # Everything a line shows is on screen, the total and Remove too.
        for part in (".cart-line__total", ".cart-line__remove button"):
            box = shirt_line.locator(part).bounding_box()
            assert box["x"] + box["width"] <= shopper.viewport_size["width"], (width, part)
        small = shopper.evaluate(_SMALL_CART_CONTROLS, MIN_TOUCH_TARGET)
        assert small == [], (width, small)
        # The page as it is seen again, without the messages of the last change (their
        # markup is base.html's).
        shopper.reload()
        check_page(shopper, "cart")


@pytest.mark.django_db(transaction=True)
def test_steppers_work_without_javascript_and_with_it(
    live_server, page: Page, browser, browser_context_args
):
    _, mug = build_shop()
    base = live_server.url
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "java_script_enabled": False}
    )
    plain = context.new_page()
    try:
        add(plain, base, mug)
        plain.goto(f"{base}/cart/")
        expect(plain.get_by_role("button", name="One fewer Mug")).to_be_disabled()
        plain.get_by_role("button", name="One more Mug").click()
        expect(plain.locator(".messages")).to_contain_text("Quantity updated")
        expect(plain.get_by_label("Quantity of Mug")).to_have_value("2")
        plain.get_by_role("button", name="One more Mug").click()
        plain.get_by_role("button", name="One fewer Mug").click()
        expect(plain.get_by_label("Quantity of Mug")).to_have_value("2")
        assert quantity_of("Mug") == 2
        # Enter in the field is Update with the typed number, not the − before it.
        plain.get_by_label("Quantity of Mug").fill("5")
        plain.get_by_label("Quantity of Mug").press("Enter")
        expect(plain.get_by_label("Quantity of Mug")).to_have_value("5")
        assert quantity_of("Mug") == 5
    finally:
        context.close()

    add(page, base, mug)
    page.goto(f"{base}/cart/")
    page.get_by_role("button", name="One more Mug").click()
    expect(page.get_by_label("Quantity of Mug")).to_have_value("2")
    page.get_by_role("button", name="One fewer Mug").click()
    expect(page.get_by_label("Quantity of Mug")).to_have_value("1")
    page.get_by_label("Quantity of Mug").fill("3")
    page.get_by_role("button", name="Update quantity of Mug").click()
    expect(page.get_by_label("Quantity of Mug")).to_have_value("3")
    assert Cart.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_delivery_step_and_a_bank_transfer_confirmation_at_both_widths(
    live_server, page: Page, phone_page: Page
):
    shirt, mug = build_shop()
    base = live_server.url
    for shopper in (page, phone_page):
        add(shopper, base, shirt, "SHIRT-S")
        # The details step is the forms' to test; start from a checkout with details given.
        cart = Cart.objects.exclude(lines__isnull=True).order_by("-pk").first()
        ready_checkout(cart)
        shopper.goto(f"{base}/checkout/delivery/")
        locker = shopper.get_by_label("Parcel locker")
        expect(shopper.locator(".checkout-form")).to_contain_text(
            "Parcel locker 4.99 EUR · free from 50.00 EUR · 1–2 working days"
        )
        check_page(shopper, "checkout-delivery")
        locker.check()
        shopper.get_by_role("button", name="Continue").click()
        expect(shopper).to_have_url(re.compile(r"/checkout/payment/$"))
        shopper.get_by_label("Bank transfer").check()
        shopper.get_by_role("button", name="Continue").click()
        expect(shopper).to_have_url(re.compile(r"/checkout/review/$"))
        shopper.get_by_label(re.compile("I have checked my order")).check()
        shopper.get_by_role("button", name=re.compile(r"^Place order")).click()
        expect(shopper).to_have_url(re.compile(r"/checkout/order/[\w-]{20,}/$"))
        order = Order.objects.order_by("-pk").first()
        block = shopper.locator(".bank-transfer")
        expect(block).to_contain_text("DE89 3704 0044 0532 0130 00")
        expect(block).to_contain_text("24.99 EUR")  # 20.00 + 4.99 delivery
        expect(block).to_contain_text(order.number)
        check_page(shopper, "confirmation-bank-transfer")
