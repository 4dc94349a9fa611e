"""The checkout as a shopper walks it in Chromium, shared by the browser walkthroughs."""

import re

from playwright.sync_api import Page, expect


def check_out_by_card(page: Page, *, full_name, street, grand_total, email=None):
    """From the cart to a placed order: details (billing address only), courier, the mock
    card, review; checks the review's grand total ("61.99 EUR") on the way."""
    page.get_by_role("link", name="Check out").click()
    expect(page).to_have_url(re.compile(r"/checkout/details/$"))
    if email is not None:  # a signed-in shopper's address is known
        page.get_by_label("E-mail").fill(email)
    billing = page.get_by_role("group", name="Billing address")
    billing.get_by_label("Full name").fill(full_name)
    billing.get_by_label("Address", exact=True).fill(street)
    billing.get_by_label("Postal code").fill("00-950")
    billing.get_by_label("City").fill("Warsaw")
    billing.get_by_label("Country").select_option("PL")
    page.get_by_role("button", name="Continue").click()
    choose_courier_and_card(page)
    place_order_by_card(page, grand_total=grand_total)


def choose_courier_and_card(page: Page):
    """From the delivery step (the details are done) to the review: courier, mock card."""
    expect(page).to_have_url(re.compile(r"/checkout/delivery/$"))
    page.get_by_label("Courier").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Card").check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/checkout/review/$"))


def place_order_by_card(page: Page, *, grand_total):
    """On the review: checks the grand total ("61.99 EUR"), pays with the mock card that is
    accepted, places the order and lands on its confirmation."""
    expect(page.locator(".checkout__summary .totals__grand dd")).to_have_text(grand_total)
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry").fill("12/39")
    page.get_by_label("CVC").fill("123")
    page.get_by_label(re.compile("I have checked my order")).check()
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    expect(page).to_have_url(re.compile(r"/checkout/order/[\w-]{20,}/$"))
