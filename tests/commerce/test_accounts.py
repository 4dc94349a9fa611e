"""Customer accounts: sign-up, log-in by e-mail, password reset, addresses, order history.

Every view that shows or changes an address or an order is also tested with
another shopper's id: it must answer 404 and leave the row alone.
"""

import re

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model, user_logged_in
from django.core import mail
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from commerce.models import Address
from tests.factories.accounts import PASSWORD, address_data, make_address, make_customer, make_order

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-tractor-velvet-91"


@pytest.fixture(autouse=True)
def _site(homepage):
    """Pages extend base.html, which reads the site's branding settings."""
    return homepage


@pytest.fixture
def shopper():
    return make_customer("anna@example.com")


@pytest.fixture
def stranger():
    return make_customer("mallory@example.com")


@pytest.fixture
def shopper_client(client, shopper):
    client.force_login(shopper)
    return client


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def signup_data(email="new@example.com", password=NEW_PASSWORD, password2=None):
    return {"email": email, "password1": password, "password2": password2 or password}


# --- Sign-up --------------------------------------------------------------------------


def test_signup_creates_an_account_keyed_by_the_lowercased_email_and_logs_in(client):
    logins = []

    def on_login(sender, user, **kwargs):
        logins.append(user)

    user_logged_in.connect(on_login)
    try:
        response = client.post(reverse("account:signup"), signup_data(" New.Shopper@Example.COM "))
    finally:
        user_logged_in.disconnect(on_login)

    assert response.status_code == 302
    assert response["Location"] == reverse("account:overview")
    user = get_user_model().objects.get()
    assert (user.username, user.email) == ("new.shopper@example.com", "new.shopper@example.com")
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_user_id(client) == str(user.pk)
    # Through django.contrib.auth.login(), so the guest cart merge hears about it.
    assert logins == [user]


def test_signup_follows_a_local_next_but_not_another_host(client):
    response = client.post(
        reverse("account:signup") + "?next=/checkout/", signup_data("a@example.com")
    )
    assert response["Location"] == "/checkout/"

    other = Client()
    response = other.post(
        reverse("account:signup"), {**signup_data("b@example.com"), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("account:overview")


@pytest.mark.parametrize("email", ["anna@example.com", "ANNA@Example.com"])
def test_signup_with_an_email_already_in_use_in_any_letter_case_creates_nothing(
    client, shopper, email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account:signup"), signup_data(email))

    # The same answer as a new sign-up (tests/commerce/test_limits.py), but nobody is signed in.
    assert response.status_code == 302
    assert response["Location"] == reverse("account:overview")
    assert get_user_model().objects.count() == 1
    assert signed_in_user_id(client) is None
    assert [message.to for message in mail.outbox] == [["anna@example.com"]]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("83920174650", "This password is entirely numeric."),
        ("new@example.com", "The password is too similar to the username."),
    ],
)
def test_signup_refuses_a_weak_password(client, password, message):
    response = client.post(reverse("account:signup"), signup_data(password=password))

    assert response.status_code == 200
    assert message in response.context["form"].errors["password1"]
    assert not get_user_model().objects.exists()


def test_signup_refuses_two_different_passwords(client):
    response = client.post(reverse("account:signup"), signup_data(password2=NEW_PASSWORD + "x"))

    assert response.context["form"].errors["password2"] == ["The two passwords differ."]
    assert not get_user_model().objects.exists()


def test_signup_page_redirects_a_signed_in_shopper_to_the_account(shopper_client):
    response = shopper_client.get(reverse("account:signup"))
    assert response["Location"] == reverse("account:overview")


# --- Log in and out ----------------------------------------------------------------------


def test_login_form_asks_for_the_email(client):
    response = client.get(reverse("account:login"))

    assert response.status_code == 200
    assert response.context["form"].fields["username"].label == "E-mail"
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


@pytest.mark.parametrize("typed", ["anna@example.com", " Anna@Example.COM"])
def test_login_by_email_in_any_letter_case(client, shopper, typed):
    response = client.post(reverse("account:login"), {"username": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account:overview")
    assert signed_in_user_id(client) == str(shopper.pk)


def test_login_with_a_wrong_password_fails(client, shopper):
    response = client.post(
        reverse("account:login"), {"username": "anna@example.com", "password": "wrong-password"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert signed_in_user_id(client) is None


def test_logout_needs_a_post(shopper_client, shopper):
    response = shopper_client.get(reverse("account:logout"))
    assert response.status_code == 405
    assert signed_in_user_id(shopper_client) == str(shopper.pk)

    response = shopper_client.post(reverse("account:logout"))
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(shopper_client) is None


# --- Passwords ---------------------------------------------------------------------------


def test_password_reset_mails_a_link_that_sets_a_new_password(
    client, shopper, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account:password_reset"), {"email": "ANNA@example.com"})
    assert response["Location"] == reverse("account:password_reset_done")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.com"]
    link = re.search(r"https?://testserver(/account/password/reset/\S+/)", message.body).group(1)

    response = client.get(link)  # Django swaps the token into the session and redirects
    assert response.status_code == 302
    form_url = response["Location"]
    response = client.get(form_url)
    assert response.context["validlink"] is True

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("account:password_reset_complete")

    assert not Client().login(request=HttpRequest(), username="anna@example.com", password=PASSWORD)
    fresh = Client()
    response = fresh.post(
        reverse("account:login"), {"username": "anna@example.com", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in_user_id(fresh) == str(shopper.pk)

    # The link works once.
    response = Client().get(link, follow=True)
    assert response.context["validlink"] is False


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(
    client, shopper, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("account:password_reset"), {"email": "nobody@example.com"})
    assert callbacks == []  # nothing queued either

    assert response["Location"] == reverse("account:password_reset_done")
    assert mail.outbox == []


def test_password_change_keeps_the_shopper_signed_in(shopper_client, shopper):
    response = shopper_client.post(
        reverse("account:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == reverse("account:password_change_done")
    shopper.refresh_from_db()
    assert shopper.check_password(NEW_PASSWORD)
    assert signed_in_user_id(shopper_client) == str(shopper.pk)


# --- Addresses ---------------------------------------------------------------------------


def test_first_address_becomes_the_default_with_the_chosen_country(shopper_client, shopper):
    response = shopper_client.post(reverse("account:address_add"), address_data(country="DE"))

    assert response["Location"] == reverse("account:addresses")
    address = Address.objects.get()
    assert (address.user, address.country, address.is_default) == (shopper, "DE", True)


@pytest.mark.parametrize("country", ["Germany", "D", "1A", "de", "XX"])
def test_address_country_must_be_one_of_the_select(shopper_client, country):
    response = shopper_client.post(reverse("account:address_add"), address_data(country=country))

    assert response.status_code == 200
    assert "country" in response.context["form"].errors
    assert not Address.objects.exists()


def test_a_new_default_address_replaces_the_old_one(shopper_client, shopper):
    home = make_address(shopper, is_default=True)

    shopper_client.post(
        reverse("account:address_add"), {**address_data(label="Office"), "is_default": "on"}
    )

    office = Address.objects.get(label="Office")
    home.refresh_from_db()
    assert (office.is_default, home.is_default) == (True, False)


def test_make_default_switches_the_default(shopper_client, shopper):
    home = make_address(shopper, label="Home", is_default=True)
    office = make_address(shopper, label="Office")

    response = shopper_client.post(reverse("account:address_make_default", args=[office.pk]))

    assert response["Location"] == reverse("account:addresses")
    assert list(Address.objects.filter(is_default=True)) == [office]
    home.refresh_from_db()
    assert not home.is_default
    assert (
        shopper_client.get(reverse("account:address_make_default", args=[home.pk])).status_code
        == 405
    )


def test_edit_an_address(shopper_client, shopper):
    address = make_address(shopper, is_default=True)

    response = shopper_client.post(
        reverse("account:address_edit", args=[address.pk]),
        {**address_data(city="Kraków", postal_code="30-001"), "is_default": "on"},
    )

    assert response["Location"] == reverse("account:addresses")
    address.refresh_from_db()
    assert (address.city, address.postal_code, address.user) == ("Kraków", "30-001", shopper)


def test_delete_an_address_after_confirming(shopper_client, shopper):
    address = make_address(shopper)

    confirm = shopper_client.get(reverse("account:address_delete", args=[address.pk]))
    assert confirm.status_code == 200
    assert Address.objects.filter(pk=address.pk).exists()

    response = shopper_client.post(reverse("account:address_delete", args=[address.pk]))
    assert response["Location"] == reverse("account:addresses")
    assert not Address.objects.filter(pk=address.pk).exists()


def test_deleting_the_default_address_makes_the_newest_other_one_default(shopper_client, shopper):
    old = make_address(shopper, label="Old")
    newer = make_address(shopper, label="Newer")
    default = make_address(shopper, label="Default", is_default=True)

    shopper_client.post(reverse("account:address_delete", args=[default.pk]))

    assert list(Address.objects.filter(is_default=True)) == [newer]
    old.refresh_from_db()
    assert not old.is_default


def test_address_list_shows_only_the_shoppers_own_addresses(shopper_client, shopper, stranger):
    make_address(shopper, full_name="Anna Nowak", is_default=True)
    make_address(stranger, full_name="Mallory Secret", line1="Hidden street 9")

    response = shopper_client.get(reverse("account:addresses"))

    page = response.content.decode()
    assert "Anna Nowak" in page
    assert "Mallory Secret" not in page
    assert "Hidden street 9" not in page


def test_address_text_is_escaped(shopper_client, shopper):
    make_address(shopper, full_name="<script>alert(1)</script>")

    page = shopper_client.get(reverse("account:addresses")).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- Someone else's addresses: 404, unchanged ------------------------------------------------


@pytest.fixture
def strangers_address(stranger):
    return make_address(stranger, full_name="Mallory Secret", is_default=True)


def test_another_shoppers_address_edit_page_is_a_404(shopper_client, strangers_address):
    response = shopper_client.get(reverse("account:address_edit", args=[strangers_address.pk]))

    assert response.status_code == 404
    assert "Mallory Secret" not in response.content.decode()


def test_another_shoppers_address_cannot_be_edited(shopper_client, shopper, strangers_address):
    response = shopper_client.post(
        reverse("account:address_edit", args=[strangers_address.pk]),
        address_data(full_name="Changed"),
    )

    assert response.status_code == 404
    strangers_address.refresh_from_db()
    assert strangers_address.full_name == "Mallory Secret"
    assert strangers_address.user != shopper


def test_another_shoppers_address_cannot_be_deleted(shopper_client, strangers_address):
    url = reverse("account:address_delete", args=[strangers_address.pk])

    assert shopper_client.get(url).status_code == 404
    assert shopper_client.post(url).status_code == 404
    assert Address.objects.filter(pk=strangers_address.pk).exists()


def test_another_shoppers_address_cannot_be_made_default(
    shopper_client, shopper, strangers_address, stranger
):
    own = make_address(shopper, is_default=True)
    strangers_other = make_address(stranger, label="Other")

    response = shopper_client.post(
        reverse("account:address_make_default", args=[strangers_other.pk])
    )

    assert response.status_code == 404
    assert set(Address.objects.filter(is_default=True)) == {own, strangers_address}


# --- Orders ----------------------------------------------------------------------------------


def test_order_history_lists_only_the_shoppers_own_orders(shopper_client, shopper, stranger):
    mine = make_order(shopper, number="A-1001")
    make_order(stranger, number="B-2002")
    make_order(None, number="G-3003")  # a guest order, even with the same e-mail
    make_order(None, number="G-3004", email=shopper.email)

    response = shopper_client.get(reverse("account:orders"))

    assert [order.number for order in response.context["orders"]] == [mine.number]
    page = response.content.decode()
    assert "A-1001" in page
    assert "B-2002" not in page and "G-3003" not in page and "G-3004" not in page


def test_order_history_is_paginated_newest_first(shopper_client, shopper):
    numbers = [make_order(shopper, number=f"P-{i:03d}").number for i in range(25)]

    first = shopper_client.get(reverse("account:orders"))
    second = shopper_client.get(reverse("account:orders"), {"page": 2})

    assert [o.number for o in first.context["orders"]] == numbers[::-1][:20]
    assert [o.number for o in second.context["orders"]] == numbers[::-1][20:]
    assert 'href="?page=2"' in first.content.decode()


def test_order_detail_shows_lines_totals_addresses_status_and_history(shopper_client, shopper):
    order = make_order(
        shopper,
        number="A-1001",
        lines=[
            ("Blue mug", "MUG-1", "12.50", 2),
            ("Teapot", "POT-7", "40.00", 1),
            ("Heritage coat", "COAT-M-GRN", "100.00", 1, "Size M, Colour Green"),
            ("Heritage coat", "COAT-S-GRN", "100.00", 1, "Size S, Colour Green"),
        ],
        delivery_address={
            "full_name": "Jan Kowalski",
            "line1": "ul. Długa 5",
            "postal_code": "80-001",
            "city": "Gdańsk",
            "country": "PL",
        },
    )

    response = shopper_client.get(reverse("account:order_detail", args=[order.number]))

    assert response.status_code == 200
    # Amounts are rendered by the {% money %} tag in spans; compare their text.
    page = re.sub(r"</?span[^>]*>", "", response.content.decode())
    for text in [
        "Order A-1001",
        "Blue mug",
        "MUG-1",
        "Teapot",
        # Two variants of one product: each line names its options and has its own SKU.
        '<td class="account-table__main">Heritage coat — Size M, Colour Green</td>\n'
        '          <td data-label="SKU">COAT-M-GRN</td>',
        '<td class="account-table__main">Heritage coat — Size S, Colour Green</td>\n'
        '          <td data-label="SKU">COAT-S-GRN</td>',
        "25.00 PLN",  # 2 × 12.50
        "265.00 PLN",  # products
        "9.99 PLN",  # delivery
        "274.99 PLN",  # total
        "Jan Kowalski<br>ul. Długa 5<br>80-001 Gdańsk<br>PL",
        "Anna Nowak<br>ul. Prosta 1<br>00-001 Warszawa<br>PL",
        "Status: <strong>New</strong>",
    ]:
        assert text in page, text
    assert [entry["status"] for entry in response.context["history"]] == ["New"]
    assert "private" in response["Cache-Control"]  # never kept by a shared cache


def test_another_shoppers_order_is_a_404(shopper_client, stranger):
    order = make_order(stranger, number="B-2002", full_name="Mallory Secret")

    response = shopper_client.get(reverse("account:order_detail", args=[order.number]))

    assert response.status_code == 404
    assert "Mallory Secret" not in response.content.decode()


def test_a_guest_order_is_a_404_even_with_the_same_email(shopper_client, shopper):
    order = make_order(None, number="G-3003", email=shopper.email)

    response = shopper_client.get(reverse("account:order_detail", args=[order.number]))

    assert response.status_code == 404


def test_overview_shows_recent_orders_and_the_default_address(shopper_client, shopper, stranger):
    make_order(shopper, number="A-1001")
    make_order(stranger, number="B-2002")
    make_address(shopper, label="Home", city="Poznań", is_default=True)
    make_address(shopper, label="Office", city="Łódź")

    response = shopper_client.get(reverse("account:overview"))

    page = response.content.decode()
    assert "anna@example.com" in page
    assert "A-1001" in page and "B-2002" not in page
    assert response.context["default_address"].city == "Poznań"
    assert "Łódź" not in page


# --- Signed out -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("account:overview", [], "get"),
        ("account:addresses", [], "get"),
        ("account:address_add", [], "post"),
        ("account:address_edit", [1], "get"),
        ("account:address_edit", [1], "post"),
        ("account:address_delete", [1], "post"),
        ("account:address_make_default", [1], "post"),
        ("account:orders", [], "get"),
        ("account:order_detail", ["A-1001"], "get"),
        ("account:password_change", [], "get"),
    ],
)
def test_account_pages_send_anonymous_visitors_to_log_in(client, name, args, method):
    url = reverse(name, args=args)

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account:login')}?next={url}"


def test_anonymous_visitor_cannot_touch_an_address(client, strangers_address):
    client.post(reverse("account:address_delete", args=[strangers_address.pk]))
    client.post(reverse("account:address_edit", args=[strangers_address.pk]), address_data())

    strangers_address.refresh_from_db()
    assert strangers_address.full_name == "Mallory Secret"


# --- Header links ---------------------------------------------------------------------------


def header_links(page: str) -> str:
    return re.search(r'<nav class="account-links".*?</nav>', page, re.S).group(0)


def test_header_for_anonymous_visitors_is_the_same_for_everyone(client):
    first = client.get("/").content.decode()
    second = Client().get("/").content.decode()

    links = header_links(first)
    assert links == header_links(second)
    assert f'href="{reverse("account:login")}"' in links
    assert f'href="{reverse("account:signup")}"' in links
    assert "csrfmiddlewaretoken" not in links
    # The whole anonymous page can be cached and shared: only the CSP nonce, which the
    # page cache swaps for each answer's own, differs between two visitors.
    assert re.sub(r'nonce="[^"]+"', "", first) == re.sub(r'nonce="[^"]+"', "", second)


def test_header_does_not_make_anonymous_pages_vary_by_cookie(client, homepage, no_page_cache):
    from tests.factories.catalog import add_content_page

    # Every page goes through the page cache, whose answers vary by cookie on purpose
    # (services.page_cache.with_browser_headers); what the header must not do is look the
    # user up: that would load the session (and add "Vary: Cookie" by itself).
    response = client.get(add_content_page(homepage, "About").url)

    assert not response.wsgi_request.session.accessed
    assert not response.cookies


def test_header_for_a_signed_in_shopper_links_the_account_and_logs_out_by_post(shopper_client):
    links = header_links(shopper_client.get("/").content.decode())

    assert f'href="{reverse("account:overview")}"' in links
    assert f'method="post" action="{reverse("account:logout")}"' in links
    assert 'name="csrfmiddlewaretoken"' in links
    assert reverse("account:login") not in links


def test_header_for_an_anonymous_visitor_with_a_session_cookie_offers_log_in(client):
    session = client.session
    session["something"] = "a guest's cart token"
    session.save()
    client.cookies["sessionid"] = session.session_key

    links = header_links(client.get("/").content.decode())

    assert f'href="{reverse("account:login")}"' in links
    assert "csrfmiddlewaretoken" not in links


def test_order_emails_name_each_variant_and_its_sku(shopper, settings):
    from commerce.services.notifications import send_order_placed

    settings.STOREFRONT_ORDER_NOTIFICATION_EMAILS = ["staff@example.com"]
    order = make_order(
        shopper,
        lines=[
            ("Heritage coat", "COAT-M-GRN", "100.00", 1, "Size M, Colour Green"),
            ("Heritage coat", "COAT-S-GRN", "100.00", 2, "Size S, Colour Green"),
            ("Teapot", "POT-7", "40.00", 1),
        ],
    )
    mail.outbox.clear()

    send_order_placed(order)

    shopper_mail, staff_mail = mail.outbox
    for message in (shopper_mail, staff_mail):
        html = message.alternatives[0][0]
        for sku, description in [
            ("COAT-M-GRN", "Heritage coat — Size M, Colour Green"),
            ("COAT-S-GRN", "Heritage coat — Size S, Colour Green"),
            ("POT-7", "Teapot"),
        ]:
            assert f"{description} ({sku})" in message.body
            assert description in html and sku in html
    assert "2 × Heritage coat — Size S, Colour Green (COAT-S-GRN)" in shopper_mail.body
