"""The shopper's forms: one style (labels, errors, autocomplete), the country select, the one
normalised phone, "deliver elsewhere", the consent box after a declined card, the steps."""

import re
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from commerce.forms.account import AddressForm
from commerce.forms.checkout import ContactForm, billing_address_form, delivery_address_form
from commerce.models import Address, Checkout, Order
from commerce.payments.mock import MockCardForm
from tests.commerce.test_checkout import place_with_card, walk_to_review
from tests.factories.accounts import make_address, make_customer, make_order
from tests.factories.catalog import make_product
from tests.factories.checkout import (
    ADDRESS,
    DECLINED_CARD,
    make_delivery_method,
    make_payment_method,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def methods():
    return make_delivery_method(price="15.00"), make_payment_method()


def details_data(**overrides):
    data = {"email": "ada@example.com", "phone": "601 234 567"}
    data |= {f"billing-{key}": value for key, value in ADDRESS.items()}
    return data | overrides


def start_checkout(client):
    client.post(reverse("cart:add"), {"product": make_product(stock=3).pk, "quantity": 1})


def field_html(html, name):
    """The <input>/<select>/<textarea> tag named `name`."""
    return re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', html)[0]


# --- One form style ---------------------------------------------------------------------


def test_details_labels_sit_above_their_fields_without_colons(client, methods):
    start_checkout(client)
    html = client.get(reverse("checkout:details")).content.decode()
    assert (
        '<label class="form-field__label" for="id_billing-postal_code">Postal code</label>' in html
    )
    assert re.search(r"<label[^>]*>[^<]*:</label>", html) is None
    # A checkbox comes first and its label to the right.
    assert re.search(
        r'<input type="checkbox" name="deliver_elsewhere"[^>]*>\s*<div class="form-field__text">'
        r'\s*<label class="form-field__label" for="id_deliver_elsewhere">',
        html,
    )
    # Optional fields say so.
    assert re.search(r'for="id_billing-company">Company <span[^>]*>\(optional\)', html)


def test_an_error_sits_beside_its_field_and_is_linked_to_it(client, methods):
    start_checkout(client)
    response = client.post(reverse("checkout:details"), details_data(**{"billing-city": ""}))
    assert response.status_code == 400
    html = response.content.decode()
    city = field_html(html, "billing-city")
    assert 'aria-invalid="true"' in city
    assert 'aria-describedby="id_billing-city_error"' in city
    error = html.index('id="id_billing-city_error"')
    assert html.index('for="id_billing-city"') < error < html.index('name="billing-city"')
    assert "aria-invalid" not in field_html(html, "billing-full_name")


def test_the_card_form_names_its_fields_for_people_and_for_browsers():
    html = str(MockCardForm(prefix="payment").as_div())
    form = MockCardForm()
    assert [field.label for field in form] == ["Card number", "Expiry", "CVC"]
    for name, token in [("card_number", "cc-number"), ("expiry", "cc-exp"), ("cvc", "cc-csc")]:
        tag = field_html(html, f"payment-{name}")
        assert f'autocomplete="{token}"' in tag and 'inputmode="numeric"' in tag


def test_the_review_page_renders_the_card_form_in_the_one_style(client, methods):
    response = place_with_card(client, methods, "123")  # a bad number: the form again
    html = response.content.decode()
    assert '<label class="form-field__label" for="id_payment-cvc">CVC</label>' in html
    assert "Cvc:" not in html
    assert 'aria-invalid="true"' in field_html(html, "payment-card_number")


def test_address_fields_carry_billing_and_shipping_autocomplete_tokens():
    billing = billing_address_form()
    delivery = delivery_address_form()
    expected = {
        "full_name": "name",
        "company": "organization",
        "line1": "address-line1",
        "line2": "address-line2",
        "postal_code": "postal-code",
        "city": "address-level2",
        "country": "country",
    }
    for name, token in expected.items():
        assert billing.fields[name].widget.attrs["autocomplete"] == f"billing {token}"
        assert delivery.fields[name].widget.attrs["autocomplete"] == f"shipping {token}"
        assert AddressForm().fields[name].widget.attrs["autocomplete"] == token
    contact = ContactForm()
    assert contact.fields["email"].widget.attrs["autocomplete"] == "email"
    assert contact.fields["phone"].widget.attrs["autocomplete"] == "tel"
    assert AddressForm().fields["phone"].widget.attrs["autocomplete"] == "tel"


# --- Country ----------------------------------------------------------------------------


@override_settings(STOREFRONT_SHIPPING_COUNTRIES=["DE", "AT"], COUNTRIES_FIRST=["DE", "AT"])
def test_the_country_select_offers_the_shipping_countries_first_and_starts_at_home(client, methods):
    start_checkout(client)
    html = client.get(reverse("checkout:details")).content.decode()
    select = html[html.index('name="billing-country"') :]
    select = select[: select.index("</select>")]
    codes = re.findall(r'<option value="([A-Z]*)"', select)
    assert codes[:3] == ["DE", "AT", ""]  # then a separator, then every country
    assert {"PL", "FR", "JP"} <= set(codes[3:])
    assert '<option value="DE" selected>' in select
    # The account's address form starts where checkout starts.
    assert AddressForm()["country"].value() == "DE"
    assert billing_address_form()["country"].value() == "DE"


def test_a_new_saved_address_starts_with_the_shops_country(client):
    client.force_login(make_customer())
    html = client.get(reverse("account:address_add")).content.decode()
    assert '<option value="PL" selected>' in html


def test_a_country_outside_the_list_is_a_form_error(client, methods):
    start_checkout(client)
    response = client.post(reverse("checkout:details"), details_data(**{"billing-country": "XX"}))
    assert response.status_code == 400
    assert "country" in response.context["billing_form"].errors


# --- One phone --------------------------------------------------------------------------


def test_the_details_step_has_one_phone_normalised_to_e164(client, methods):
    start_checkout(client)
    html = client.get(reverse("checkout:details")).content.decode()
    assert html.count('type="tel"') == 1
    response = client.post(reverse("checkout:details"), details_data(phone="601-234-567"))
    assert response.status_code == 302
    checkout = Checkout.objects.get()
    assert str(checkout.phone.as_e164) == "+48601234567"
    assert "phone" not in checkout.billing_address
    assert str(checkout.phone) == "+48 601 234 567"  # how pages and e-mails show it


@pytest.mark.parametrize(
    "phone",
    ["٦٠١٢٣٤٥٦٧", "601\x00234567", "6" * 10_000, "12", "call me", "+48 601 234 567 ext"],
)
def test_a_phone_that_is_not_a_number_is_a_form_error(client, methods, phone):
    start_checkout(client)
    response = client.post(reverse("checkout:details"), details_data(phone=phone))
    assert response.status_code == 400
    if "\x00" not in phone:  # NUL is refused before any form (commerce.inputs)
        assert "phone" in response.context["contact_form"].errors
    assert not Checkout.objects.exclude(phone="").exists()


def test_a_foreign_number_keeps_its_country(client, methods):
    start_checkout(client)
    client.post(reverse("checkout:details"), details_data(phone="+49 30 1234567"))
    assert Checkout.objects.get().phone.as_e164 == "+49301234567"


def test_the_order_keeps_the_contact_phone(client, methods):
    delivery, payment = methods
    start_checkout(client)
    client.post(reverse("checkout:details"), details_data(phone="601234567"))
    client.post(reverse("checkout:delivery"), {"delivery_method": delivery.pk})
    client.post(reverse("checkout:payment"), {"payment_method": payment.pk})
    form = client.get(reverse("checkout:review")).context["place_form"]
    client.post(
        reverse("checkout:review"),
        {
            "checkout": form.initial["checkout"],
            "expected_total": form.initial["expected_total"],
            "accept_terms": "on",
            "payment-card_number": "4242424242424242",
            "payment-expiry": "12/39",
            "payment-cvc": "123",
        },
    )
    assert Order.objects.get().phone.as_e164 == "+48601234567"


def test_a_saved_address_offers_its_phone_as_the_contact_phone(client, methods):
    shopper = make_customer()
    client.force_login(shopper)
    address = make_address(shopper, city="Gdańsk", phone="+48601234567", is_default=True)
    start_checkout(client)
    response = client.get(reverse("checkout:details"), {"use": address.pk})
    assert response.context["billing_form"]["city"].value() == "Gdańsk"
    assert response.context["contact_form"]["phone"].value() == "+48601234567"
    assert 'value="601 234 567"' in field_html(response.content.decode(), "phone")


def test_the_account_address_form_normalises_its_phone(client):
    shopper = make_customer()
    client.force_login(shopper)
    data = {
        "label": "Home",
        "full_name": "Anna Nowak",
        "line1": "ul. Prosta 1",
        "postal_code": "00-001",
        "city": "Warszawa",
        "country": "PL",
        "phone": "(0048) 601 234 567",
    }
    response = client.post(reverse("account:address_add"), data)
    assert response.status_code == 302
    assert Address.objects.get().phone.as_e164 == "+48601234567"
    response = client.post(reverse("account:address_add"), data | {"phone": "٦٠١٢٣٤٥٦٧"})
    assert response.status_code == 200 and "phone" in response.context["form"].errors


def test_the_migration_moves_address_phones_to_the_contact_phone_and_normalises():
    """0021: E.164 where the text parses, kept as typed where it does not; a checkout or
    order without a contact phone takes its billing (else delivery) address's phone."""
    migration = import_module("commerce.migrations.0022_forms_country_phone")
    order = make_order()
    shopper = make_customer()
    address = make_address(shopper)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE commerce_order SET phone = '', billing_address = %s::jsonb WHERE id = %s",
            ['{"full_name": "A", "phone": "601 234 567"}', order.pk],
        )
        cursor.execute(
            "UPDATE commerce_address SET phone = 'evenings only', country = 'de' WHERE id = %s",
            [address.pk],
        )
    migration.forwards(apps, None)
    order.refresh_from_db()
    assert order.phone.as_e164 == "+48601234567"
    assert order.billing_address["phone"] == "601 234 567"  # the order's copy, untouched
    address.refresh_from_db()
    assert str(address.phone) == "evenings only"
    assert address.country.code == "DE"


# --- Deliver elsewhere ------------------------------------------------------------------


def test_without_deliver_elsewhere_the_delivery_address_is_the_billing_and_ignored(client, methods):
    start_checkout(client)
    ignored = {"delivery-full_name": "x" * 10_000, "delivery-country": "XX"}
    response = client.post(reverse("checkout:details"), details_data(**ignored))
    assert response.status_code == 302
    checkout = Checkout.objects.get()
    assert checkout.delivery_address == checkout.billing_address == ADDRESS


def test_with_deliver_elsewhere_the_delivery_address_is_validated_and_kept(client, methods):
    start_checkout(client)
    elsewhere = {"deliver_elsewhere": "on", "delivery-country": "XX"}
    response = client.post(reverse("checkout:details"), details_data(**elsewhere))
    assert response.status_code == 400
    assert {"full_name", "line1", "city", "country"} <= set(
        response.context["delivery_form"].errors
    )
    office = {f"delivery-{key}": value for key, value in ADDRESS.items()}
    office |= {"delivery-city": "Kraków", "delivery-country": "DE", "deliver_elsewhere": "on"}
    response = client.post(reverse("checkout:details"), details_data(**office))
    assert response.status_code == 302
    checkout = Checkout.objects.get()
    assert (checkout.delivery_address["city"], checkout.delivery_address["country"]) == (
        "Kraków",
        "DE",
    )
    assert checkout.billing_address["city"] == "Warsaw"
    # Back on the step, the box is ticked and the delivery address filled in.
    again = client.get(reverse("checkout:details"))
    assert again.context["contact_form"]["deliver_elsewhere"].value() is True
    assert again.context["delivery_form"]["city"].value() == "Kraków"


def test_the_delivery_address_is_marked_up_to_hide_until_asked_for(client, methods):
    start_checkout(client)
    html = client.get(reverse("checkout:details")).content.decode()
    wrapper = html[html.index('<div class="deliver-elsewhere">') :]
    assert wrapper.index('name="deliver_elsewhere"') < wrapper.index("deliver-elsewhere__address")
    assert "checked" not in field_html(html, "deliver_elsewhere")
    assert "required" not in field_html(html, "delivery-full_name")


# --- Consent after a declined card ----------------------------------------------------


def test_the_consent_box_stays_ticked_after_a_declined_card(client, methods):
    response = place_with_card(client, methods, DECLINED_CARD["card_number"])
    assert response.status_code == 409
    assert "checked" in field_html(response.content.decode(), "accept_terms")
    assert not Order.objects.exists()


def test_the_consent_box_starts_unticked(client, methods):
    walk_to_review(client, make_product(stock=3))
    delivery, payment = methods
    client.post(reverse("checkout:delivery"), {"delivery_method": delivery.pk})
    client.post(reverse("checkout:payment"), {"payment_method": payment.pk})
    html = client.get(reverse("checkout:review")).content.decode()
    assert "checked" not in field_html(html, "accept_terms")


# --- The steps --------------------------------------------------------------------------


def steps_of(html):
    nav = html[html.index('aria-label="Checkout steps"') :]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r"<li class=\"checkout-steps__step([^\"]*)\"([^>]*)>(.*?)</li>", nav, re.S)


def test_the_steps_link_to_the_steps_already_open_and_mark_the_current(client, methods):
    delivery, payment = methods
    start_checkout(client)
    first = steps_of(client.get(reverse("checkout:details")).content.decode())
    assert [bool(aria) for _, aria, _ in first] == [True, False, False, False]
    assert 'aria-current="step"' in first[0][1]
    assert not any("<a " in label for _, _, label in first)

    client.post(reverse("checkout:details"), details_data())
    client.post(reverse("checkout:delivery"), {"delivery_method": delivery.pk})
    html = client.get(reverse("checkout:payment")).content.decode()
    steps = steps_of(html)
    assert f'<a href="{reverse("checkout:details")}">Your details</a>' in steps[0][2]
    assert f'<a href="{reverse("checkout:delivery")}">Delivery</a>' in steps[1][2]
    assert 'aria-current="step"' in steps[2][1] and "<a " not in steps[2][2]
    assert steps[3][2].strip() == "Review"  # not reachable before a payment method

    client.post(reverse("checkout:payment"), {"payment_method": payment.pk})
    back_on_details = steps_of(client.get(reverse("checkout:details")).content.decode())
    assert [("<a " in label) for _, _, label in back_on_details] == [False, True, True, True]
