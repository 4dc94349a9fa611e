"""Every POST form a shopper can reach, submitted once from a real Chromium.

The test client posts whatever it is given; a browser decides for itself which
headers go with a form (Origin, Referer, cookies) under the page's policies. The
shared list's forms answered 403 in Chromium, and only there, because its page said
`Referrer-Policy: no-referrer` and Chromium then posts `Origin: null`.

Each submit checks the POST's own answer (a redirect, or 400 for a form with
errors), then what the shopper sees. Nothing here depends on page scripts: the key
flows run again with JavaScript off. The forms, from
`grep -rn 'method="post"'` over the shop's templates (staff-only admin templates
and bench/ left out); `test_the_list_below_is_every_post_form` keeps it complete:

    templates/includes/personal/account.html       log out                    account
    commerce/product_detail.html                   add to cart                catalog, js off
    commerce/lists/add_form.html                   save to list / new list    catalog; product
                                                                              page shopper, js off
    commerce/stock_alerts/notify_form.html         notify me when back in
                                                   stock                      product page shopper,
                                                                              js on and off
    commerce/stock_alerts/unsubscribe.html         unsubscribe                product page shopper
    commerce/includes/product_tile.html (2)        add to cart (products
                                                   without axes), save to
                                                   list                       catalog: shop,
                                                                              category, search
    commerce/includes/cart_lines.html (2)          update quantity, remove    catalog, js off
    commerce/cart.html (2)                         coupon apply and remove;
                                                   delivery/payment choice    catalog
    commerce/checkout/details.html                 contact, billing, "deliver
                                                   to the billing address" or
                                                   a delivery address         checkout, js off
    commerce/checkout/choice.html                  delivery, payment          checkout
    commerce/checkout/review.html                  place order                checkout
    commerce/lists/index.html                      create a list              lists
    commerce/lists/detail.html (5)                 add selected / all to
                                                   cart; rename; share; new
                                                   link / stop sharing; delete lists
    commerce/lists/item_rows.html (3)              update, move, remove       lists
    commerce/lists/shared.html (2)                 add all to my cart, copy
                                                   to my list                 lists, js off
    commerce/account/signup.html                   sign up                    account
    commerce/account/login.html                    log in                     account
    commerce/account/password_change.html          change password            account
    commerce/account/password_reset.html           ask for a reset link       account
    commerce/account/password_reset_confirm.html   set a new password         account
    commerce/account/address_form.html             add, edit an address       account
    commerce/account/addresses.html                make default               account
    commerce/account/address_delete.html           delete an address          account

Fast on purpose: one browser for the session, data from the factories, a few
submissions per form (log-in, sign-up, coupon and cart writes are rate limited).
"""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import Page, expect

from commerce.models import Address, CartLine, Order, ShoppingList, ShoppingListItem
from home.demo import ensure_site
from tests.factories.catalog import make_category, make_product, make_shop
from tests.factories.checkout import make_coupon, make_delivery_method, make_payment_method

ROOT = Path(__file__).resolve().parents[2]

# Template -> POST forms in it, as in the module docstring.
SHOPPER_POST_FORMS = {
    "templates/includes/personal/account.html": 1,
    "commerce/templates/commerce/product_detail.html": 1,
    "commerce/templates/commerce/lists/add_form.html": 1,
    "commerce/templates/commerce/stock_alerts/notify_form.html": 1,
    "commerce/templates/commerce/stock_alerts/unsubscribe.html": 1,
    "commerce/templates/commerce/includes/product_tile.html": 2,
    "commerce/templates/commerce/includes/cart_lines.html": 2,
    "commerce/templates/commerce/cart.html": 2,
    "commerce/templates/commerce/checkout/details.html": 1,
    "commerce/templates/commerce/checkout/choice.html": 1,
    "commerce/templates/commerce/checkout/review.html": 1,
    "commerce/templates/commerce/lists/index.html": 1,
    "commerce/templates/commerce/lists/detail.html": 5,
    "commerce/templates/commerce/lists/item_rows.html": 3,
    "commerce/templates/commerce/lists/shared.html": 2,
    "commerce/templates/commerce/account/signup.html": 1,
    "commerce/templates/commerce/account/login.html": 1,
    "commerce/templates/commerce/account/password_change.html": 1,
    "commerce/templates/commerce/account/password_reset.html": 1,
    "commerce/templates/commerce/account/password_reset_confirm.html": 1,
    "commerce/templates/commerce/account/address_form.html": 1,
    "commerce/templates/commerce/account/addresses.html": 1,
    "commerce/templates/commerce/account/address_delete.html": 1,
}

PASSWORD = "a-long-and-unusual-passphrase"
NEW_PASSWORD = "another-quite-long-passphrase"
BILLING = {
    "full_name": "Grace Hopper",
    "line1": "1 Compiler Road",
    "postal_code": "00-950",
    "city": "Warsaw",
    "country": "PL",
}


def test_the_list_below_is_every_post_form():
    """A new POST form in a shopper's template fails here until it is added above."""
    found = {}
    templates = list(ROOT.glob("templates/**/*.html"))
    for app in ROOT.iterdir():
        if app.is_dir() and not app.name.startswith(".") and app.name not in {"bench", "media"}:
            templates += app.glob("**/templates/**/*.html")
    for template in templates:
        relative = template.relative_to(ROOT).as_posix()
        if "/admin/" in relative:
            continue
        count = len(re.findall(r"<form\b[^>]*method=\"post\"", template.read_text(), re.I))
        if count:
            found[relative] = count
    assert found == SHOPPER_POST_FORMS


# --- Helpers ------------------------------------------------------------------------


def submit(page: Page, button, *, expect_status=302):
    """Clicks a submit button; checks the POST's own answer, then waits for the page."""
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        button.click()
    response = answer.value
    assert response.status == expect_status, f"POST {response.url}: {response.status}"
    page.wait_for_load_state()
    return response


def says(page: Page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def fill_by_name(page: Page, values: dict, prefix=""):
    for name, value in values.items():
        field = page.locator(f'[name="{prefix}{name}"]')
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def shop_with_products():
    make_shop(ensure_site())
    lamps = make_category("Lamps")
    lamp = make_product("Desk lamp", price=Decimal("30.00"), stock=9, main_category=lamps)
    vase = make_product("Glass vase", price=Decimal("15.00"), stock=9, main_category=lamps)
    make_delivery_method("Courier", price="9.99")
    make_delivery_method("Parcel locker", price="5.00")
    make_payment_method("mock_card", name="Card")
    make_payment_method("bank_transfer", name="Bank transfer")
    make_coupon("TEA20", value="20")
    return lamp, vase


def add_to_cart_from_product_page(page: Page, base, product, quantity="2"):
    page.goto(f"{base}/shop/p/{product.slug}/")
    page.get_by_label("Quantity").fill(quantity)
    submit(page, page.get_by_role("button", name="Add to cart", exact=True))
    says(page, "Added to your cart")


def update_cart_quantity(page: Page, base, product, quantity):
    page.goto(f"{base}/cart/")
    row = page.locator(".cart-line", has_text=product.name)
    row.get_by_label(f"Quantity of {product.name}").fill(quantity)
    submit(page, row.get_by_role("button", name="Update"))
    says(page, "Quantity updated")
    expect(page.get_by_label(f"Quantity of {product.name}")).to_have_value(quantity)


def checkout_details_same_as_billing(page: Page, base, email="grace@example.com"):
    """The details step with "Deliver to a different address" not ticked, first with an error."""
    page.goto(f"{base}/checkout/details/")
    expect(page.get_by_label("Deliver to a different address")).not_to_be_checked()
    page.locator('[name="email"]').fill("not-an-email")
    fill_by_name(page, BILLING, prefix="billing-")
    submit(page, page.get_by_role("button", name="Continue"), expect_status=400)
    # Only the e-mail is wrong: the unused delivery address is not marked.
    expect(page.get_by_text("This field is required.")).to_have_count(0)
    expect(page.locator(".errorlist")).to_have_count(1)
    page.locator('[name="email"]').fill(email)
    submit(page, page.get_by_role("button", name="Continue"))
    expect(page).to_have_url(re.compile(r"/checkout/delivery/$"))


def shared_list_actions(page: Page, shared_url, into_list_name):
    """A visitor of a shared link: everything into their cart, then into their list."""
    page.goto(shared_url)
    submit(page, page.get_by_role("button", name="Add all to my cart"))
    says(page, "Added to your cart")
    page.get_by_label("Copy to my list").select_option(label=into_list_name)
    submit(page, page.get_by_role("button", name="Copy"))
    says(page, f"to “{into_list_name}”")


# --- With JavaScript on ---------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_catalog_and_cart_forms(live_server, page: Page):
    lamp, vase = shop_with_products()
    base = live_server.url

    # Product page: add to cart, save to the default list, save to a new list.
    add_to_cart_from_product_page(page, base, lamp, "2")
    submit(page, page.get_by_role("button", name="Save", exact=True))
    says(page, f"Saved {lamp.name} to “My list”")
    # The name field appears only once "New list…" is chosen.
    expect(page.get_by_label("Name of the new list")).to_be_hidden()
    page.get_by_label("Save to list").select_option("new")
    page.get_by_label("Name of the new list").fill("Gifts")
    submit(page, page.get_by_role("button", name="Save", exact=True))
    says(page, f"Saved {lamp.name} to “Gifts”")

    # Tiles on the shop, category and search pages save to the default list.
    for path in ("/shop/", "/shop/c/lamps/", "/shop/search/?q=vase"):
        page.goto(base + path)
        submit(page, page.get_by_role("button", name=re.compile(r"^Save to list\W+Glass vase$")))
        says(page, "Saved Glass vase to “My list”")
        expect(page).to_have_url(base + path)

    # A tile's add-to-cart (a product without axes), back to the same listing.
    page.goto(base + "/shop/c/lamps/")
    submit(page, page.get_by_role("button", name=re.compile(r"^Add to cart\W+Glass vase$")))
    says(page, "Added to your cart")
    expect(page).to_have_url(base + "/shop/c/lamps/")
    assert list(CartLine.objects.values_list("product_name", "quantity")) == [
        ("Desk lamp", 2),
        ("Glass vase", 1),
    ]

    # Cart: quantity, coupon on and off, delivery and payment, remove.
    add_to_cart_from_product_page(page, base, vase, "1")
    update_cart_quantity(page, base, lamp, "3")
    page.get_by_label("Coupon code").fill("tea20")
    submit(page, page.get_by_role("button", name="Apply"))
    says(page, "Coupon TEA20 applied")
    submit(page, page.get_by_role("button", name="Remove coupon"))
    says(page, "Coupon removed")
    page.get_by_label("Parcel locker").check()
    page.get_by_label("Bank transfer").check()
    submit(page, page.get_by_role("button", name="Update choices"))
    expect(page.get_by_label("Parcel locker")).to_be_checked()
    expect(page.get_by_label("Bank transfer")).to_be_checked()
    submit(page, page.get_by_role("button", name="Remove Glass vase"))
    says(page, "Removed Glass vase from your cart")
    assert list(CartLine.objects.values_list("product_name", "quantity")) == [("Desk lamp", 3)]
    saved = set(ShoppingListItem.objects.values_list("shopping_list__name", "product_name"))
    assert saved == {("My list", "Desk lamp"), ("My list", "Glass vase"), ("Gifts", "Desk lamp")}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_checkout_forms(live_server, page: Page):
    lamp, _ = shop_with_products()
    base = live_server.url
    add_to_cart_from_product_page(page, base, lamp, "1")

    checkout_details_same_as_billing(page, base)
    # Back to the details: delivery elsewhere this time.
    page.goto(f"{base}/checkout/details/")
    page.get_by_label("Deliver to a different address").check()
    fill_by_name(page, {**BILLING, "full_name": "Grace's office", "city": "Kraków"}, "delivery-")
    submit(page, page.get_by_role("button", name="Continue"))

    # Delivery and payment steps, then the review with the mock card.
    expect(page).to_have_url(re.compile(r"/checkout/delivery/$"))
    page.get_by_label("Courier").check()
    submit(page, page.get_by_role("button", name="Continue"))
    expect(page).to_have_url(re.compile(r"/checkout/payment/$"))
    page.get_by_label("Card").check()
    submit(page, page.get_by_role("button", name="Continue"))
    expect(page).to_have_url(re.compile(r"/checkout/review/$"))
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry").fill("12/39")
    page.get_by_label("CVC").fill("123")
    page.get_by_label(re.compile("I have checked my order")).check()
    submit(page, page.get_by_role("button", name=re.compile(r"^Place order")))
    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Thank you! Order {order.number}")
    assert order.delivery_address["city"] == "Kraków"
    assert order.billing_address["city"] == "Warsaw"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_list_forms_and_the_shared_list(live_server, page: Page, browser, browser_context_args):
    lamp, vase = shop_with_products()
    base = live_server.url
    for product in (lamp, vase):
        page.goto(f"{base}/shop/p/{product.slug}/")
        submit(page, page.get_by_role("button", name="Save", exact=True))

    # Create a list, open the default one: update, move, add selected and all to cart.
    page.goto(f"{base}/lists/")
    page.get_by_label("New list").fill("Party")
    submit(page, page.get_by_role("button", name="Create"))
    says(page, "List “Party” created")
    page.goto(f"{base}/lists/")
    page.get_by_role("link", name="My list", exact=True).click()
    lamp_row = page.locator("tbody tr", has_text="Desk lamp")
    lamp_row.get_by_label("Quantity").fill("4")
    lamp_row.get_by_placeholder("Note").fill("for the study")
    submit(page, lamp_row.get_by_role("button", name="Update"))
    says(page, "Item updated")
    page.get_by_label("Select Glass vase").check()
    submit(page, page.get_by_role("button", name="Add selected to cart"))
    says(page, "Added to your cart: Glass vase")
    submit(page, page.get_by_role("button", name="Add all to cart"))
    says(page, "Desk lamp")
    lamp_row = page.locator("tbody tr", has_text="Desk lamp")
    lamp_row.get_by_label("Move to").select_option(label="Party")
    submit(page, lamp_row.get_by_role("button", name="Move", exact=True))
    says(page, "Moved Desk lamp to “Party”")
    submit(page, page.get_by_role("button", name="Remove Glass vase"))
    says(page, "Removed Glass vase")
    assert dict(CartLine.objects.values_list("product_name", "quantity")) == {
        "Glass vase": 2,
        "Desk lamp": 4,
    }

    # The "Party" list: rename, share, a new link, stop sharing, share again.
    page.goto(f"{base}/lists/")
    page.get_by_role("link", name="Party", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Garden party")
    submit(page, page.get_by_role("button", name="Rename"))
    says(page, "List renamed")
    submit(page, page.get_by_role("button", name="Share with a link"))
    first_link = page.get_by_label("Share link").input_value()
    submit(page, page.get_by_role("button", name="New link"))
    assert page.get_by_label("Share link").input_value() != first_link
    submit(page, page.get_by_role("button", name="Stop sharing"))
    says(page, "The list is private again")
    submit(page, page.get_by_role("button", name="Share with a link"))
    shared_url = page.get_by_label("Share link").input_value()

    # Another shopper opens the link: both of its forms work in Chromium.
    visitor = browser.new_context(**browser_context_args)
    try:
        visitor_page = visitor.new_page()
        visitor_page.goto(f"{base}/lists/")
        visitor_page.get_by_label("New list").fill("From friends")
        submit(visitor_page, visitor_page.get_by_role("button", name="Create"))
        shared_list_actions(visitor_page, shared_url, "From friends")
    finally:
        visitor.close()
    copy = ShoppingList.objects.get(name="From friends")
    assert list(copy.items.values_list("variant__product__name", "quantity")) == [("Desk lamp", 4)]

    # Delete the shared list (the default list cannot be deleted).
    page.goto(f"{base}/lists/")
    page.get_by_role("link", name="Garden party", exact=True).click()
    submit(page, page.get_by_role("button", name="Delete this list"))
    says(page, "List “Garden party” deleted")
    assert not ShoppingList.objects.filter(name="Garden party").exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_account_forms(live_server, page: Page):
    make_shop(ensure_site())
    base = live_server.url
    email = "ada@example.com"

    page.goto(f"{base}/account/signup/")
    fill_by_name(page, {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    submit(page, page.get_by_role("button", name="Create account"))
    assert get_user_model().objects.filter(email=email).exists()

    page.goto(f"{base}/account/login/")  # signed in: the log-in page moves on
    submit(page, page.get_by_role("button", name="Log out"))
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto(f"{base}/account/login/")
    fill_by_name(page, {"username": email, "password": PASSWORD})
    submit(page, page.get_by_role("button", name="Log in"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(f"{base}/account/password/")
    fill_by_name(
        page,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    submit(page, page.get_by_role("button", name="Change password"))
    expect(page).to_have_url(re.compile(r"/account/password/done/$"))

    # Addresses: add two, edit one, make the other the default, delete one.
    for label, city in (("Home", "Warsaw"), ("Office", "Kraków")):
        page.goto(f"{base}/account/addresses/add/")
        fill_by_name(page, {"label": label, **BILLING, "city": city})
        submit(page, page.get_by_role("button", name="Save address"))
        says(page, "Address saved")
    home, office = Address.objects.order_by("pk")
    page.goto(f"{base}/account/addresses/{home.pk}/")
    fill_by_name(page, {"city": "Gdańsk"})
    submit(page, page.get_by_role("button", name="Save address"))
    says(page, "Address saved")
    submit(page, page.get_by_role("button", name="Make default"))
    says(page, "Default address changed")
    page.goto(f"{base}/account/addresses/{home.pk}/delete/")
    submit(page, page.get_by_role("button", name="Delete address"))
    says(page, "Address deleted")
    assert list(Address.objects.values_list("label", "is_default")) == [("Office", True)]

    # A forgotten password: ask for the link, follow it, choose a new one.
    mail.outbox.clear()
    page.goto(f"{base}/account/password/reset/")
    fill_by_name(page, {"email": email})
    submit(page, page.get_by_role("button", name="Send the link"))
    path = re.search(r"/account/password/reset/[^/\s]+/[^/\s]+/", mail.outbox[-1].body)[0]
    page.goto(base + path)
    fill_by_name(page, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    submit(page, page.get_by_role("button", name="Set password"))
    expect(page).to_have_url(re.compile(r"/account/password/reset/complete/$"))


# --- With JavaScript off: the key shopper flows -------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_key_shopper_flows_work_without_javascript(live_server, page: Page, no_js_page: Page):
    lamp, vase = shop_with_products()
    base = live_server.url
    # Someone shares a list, with JavaScript on.
    page.goto(f"{base}/shop/p/{vase.slug}/")
    submit(page, page.get_by_role("button", name="Save", exact=True))
    page.goto(f"{base}/lists/")
    page.get_by_role("link", name="My list", exact=True).click()
    submit(page, page.get_by_role("button", name="Share with a link"))
    shared_url = page.get_by_label("Share link").input_value()

    visitor = no_js_page
    add_to_cart_from_product_page(visitor, base, lamp, "1")
    update_cart_quantity(visitor, base, lamp, "2")
    checkout_details_same_as_billing(visitor, base)
    shared_list_actions(visitor, shared_url, "My list")
    lines = dict(CartLine.objects.values_list("product_name", "quantity"))
    assert lines == {"Desk lamp": 2, "Glass vase": 1}  # the visitor's cart: the only one
