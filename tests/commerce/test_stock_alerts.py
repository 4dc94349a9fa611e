"""Back-in-stock alerts (services.stock_alerts): subscribing, one e-mail per subscription
when a stock write brings the variant back, unsubscribing by the subscription's token."""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from commerce.models import SentEmail, StockSubscription, Warehouse
from commerce.services import stock_alerts
from commerce.services.inventory import set_stock_levels
from commerce.services.orders import cancel_order, refund_order
from tests.factories.accounts import make_customer
from tests.factories.catalog import make_product, make_warehouse, only_variant
from tests.factories.orders import make_order

# Every request renders: these tests are about what rendering shows and costs.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]


@pytest.fixture
def pan(shop):
    return make_product("Steel pan", sku="PAN-1", stock=0)


def restock(variant, quantity, run, *, warehouse="main"):
    """Sets the variant's stock through the one stock writer, running what it queued."""
    with run(execute=True):
        set_stock_levels({variant.pk: {make_warehouse(warehouse).pk: quantity}})


def subscribe(client, variant, email="ada@example.com", *, follow=False, **extra):
    return client.post(
        reverse("stock_alerts:subscribe"),
        {"variant": variant.pk, "email": email, "next": "/shop/", **extra},
        follow=follow,
    )


def test_a_shopper_subscribes_to_a_sold_out_variant(pan):
    response = subscribe(Client(), only_variant(pan), email=" Ada@Example.com ")
    assert response.status_code == 302 and response["Location"] == "/shop/"
    subscription = StockSubscription.objects.get()
    assert (subscription.email, subscription.variant, subscription.user) == (
        "ada@example.com",
        only_variant(pan),
        None,
    )
    assert subscription.notified_at is None and len(subscription.token) == 32


def test_a_signed_in_shopper_is_remembered_on_the_subscription(pan):
    client = Client()
    customer = make_customer("grace@example.com")
    client.force_login(customer)
    subscribe(client, only_variant(pan), email="grace@example.com")
    assert StockSubscription.objects.get().user == customer


def test_subscribing_twice_keeps_one_waiting_subscription(pan):
    client = Client()
    subscribe(client, only_variant(pan))
    response = subscribe(client, only_variant(pan), email="ADA@example.com")
    assert response.status_code == 302
    assert StockSubscription.objects.count() == 1


def test_the_database_refuses_a_second_waiting_subscription(pan):
    StockSubscription.objects.create(variant=only_variant(pan), email="ada@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        StockSubscription.objects.create(variant=only_variant(pan), email="ada@example.com")


@pytest.mark.parametrize(
    ("variant", "email", "message"),
    [
        ("x", "ada@example.com", "cannot be ordered"),
        ("99999999999999999999", "ada@example.com", "cannot be ordered"),
        ("١", "ada@example.com", "cannot be ordered"),
        ("", "ada@example.com", "cannot be ordered"),
        (None, "not an address", "valid e-mail"),
        (None, "a" * 250 + "@example.com", "valid e-mail"),
        (None, "ada\x00@example.com", None),  # the NUL guard answers 400 first
    ],
)
def test_bad_input_is_a_message_never_an_error(pan, variant, email, message):
    variant = only_variant(pan).pk if variant is None else variant
    response = Client().post(
        reverse("stock_alerts:subscribe"),
        {"variant": variant, "email": email, "next": "/shop/"},
        follow=True,
    )
    assert response.status_code in (200, 400)
    if message:
        assert message in response.content.decode()
    assert not StockSubscription.objects.exists()


def test_a_variant_in_stock_or_off_sale_takes_no_subscription(shop):
    in_stock = make_product("Mug", stock=4)
    hidden = make_product("Old pan", stock=0, publish=False)
    client = Client()
    in_stock_answer = subscribe(client, only_variant(in_stock), follow=True)
    assert "is in stock: you can order it now" in in_stock_answer.content.decode()
    hidden_answer = subscribe(client, only_variant(hidden), follow=True)
    assert "cannot be ordered" in hidden_answer.content.decode()
    assert not StockSubscription.objects.exists()


def test_subscribing_is_rate_limited_per_address(pan, settings):
    settings.STOREFRONT_RATE_LIMITS = {
        **settings.STOREFRONT_RATE_LIMITS,
        "stock_alert_address": "2/h",
    }
    client = Client()
    assert subscribe(client, only_variant(pan)).status_code == 302
    assert subscribe(client, only_variant(pan)).status_code == 302
    refused = subscribe(client, only_variant(pan))
    assert refused.status_code == 429 and refused["Retry-After"]
    # Another address from the same client is another counter.
    assert subscribe(client, only_variant(pan), email="grace@example.com").status_code == 302


def test_the_form_needs_a_csrf_token(pan):
    client = Client(enforce_csrf_checks=True)
    assert subscribe(client, only_variant(pan)).status_code == 403


def test_stock_coming_back_mails_each_subscription_once(pan, django_capture_on_commit_callbacks):
    variant = only_variant(pan)
    for email in ("ada@example.com", "grace@example.com"):
        stock_alerts.subscribe(variant_id=variant.pk, email=email)
    restock(variant, 5, django_capture_on_commit_callbacks)
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ada@example.com",
        "grace@example.com",
    ]
    message = mail.outbox[0]
    assert message.subject == "Storefront: Steel pan is back in stock"
    body = message.body
    assert "http://localhost/shop/p/" in body and "?variant=PAN-1" in body
    token = StockSubscription.objects.get(email=message.to[0]).token
    assert f"/stock-alerts/unsubscribe/{token}/" in body
    html = message.alternatives[0][0]
    assert f"/stock-alerts/unsubscribe/{token}/" in html
    assert not StockSubscription.objects.waiting().exists()
    assert SentEmail.objects.filter(kind="back_in_stock", sent_at__isnull=False).count() == 2

    # More stock (5 → 6) is no return: nothing new.
    restock(variant, 6, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("status", ["new", "paid"])
def test_a_cancel_or_refund_that_puts_the_last_units_back_mails_the_subscriber(
    pan, status, django_capture_on_commit_callbacks
):
    # The order holds the variant's only unit: it is sold out until the order lets it go.
    order = make_order([(pan, 1)], status=status)
    stock_alerts.subscribe(variant_id=only_variant(pan).pk, email="ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        if status == "new":
            cancel_order(order)
        else:
            refund_order(order)
    assert [message.to for message in mail.outbox if "back in stock" in message.subject] == [
        ["ada@example.com"]
    ]


def test_the_task_run_again_sends_nothing_new(pan, django_capture_on_commit_callbacks):
    variant = only_variant(pan)
    stock_alerts.subscribe(variant_id=variant.pk, email="ada@example.com")
    restock(variant, 5, django_capture_on_commit_callbacks)
    assert stock_alerts.send_back_in_stock_task.call(variant.pk) == "mailed 0"
    assert len(mail.outbox) == 1


def test_a_send_interrupted_before_notified_at_is_not_repeated(pan):
    """The SentEmail row is the record: a retry after the mail went out marks it, no resend."""
    variant = only_variant(pan)
    subscription, _ = stock_alerts.subscribe(variant_id=variant.pk, email="ada@example.com")
    set_stock_levels({variant.pk: {make_warehouse().pk: 3}})  # the task is not run
    SentEmail.objects.create(
        key=stock_alerts.email_key(subscription), kind="back_in_stock", sent_at="2026-01-01T00:00Z"
    )
    assert stock_alerts.send_back_in_stock_task.call(variant.pk) == "mailed 1"
    assert mail.outbox == []
    subscription.refresh_from_db()
    assert subscription.notified_at is not None


def test_a_variant_sold_out_again_before_the_task_runs_keeps_its_subscriptions(pan):
    variant = only_variant(pan)
    stock_alerts.subscribe(variant_id=variant.pk, email="ada@example.com")
    set_stock_levels({variant.pk: {make_warehouse().pk: 3}})
    set_stock_levels({variant.pk: {make_warehouse().pk: 0}})
    assert stock_alerts.send_back_in_stock_task.call(variant.pk) == "sold out again"
    assert mail.outbox == [] and StockSubscription.objects.waiting().count() == 1


def test_stock_in_an_inactive_warehouse_is_no_return(pan, django_capture_on_commit_callbacks):
    variant = only_variant(pan)
    stock_alerts.subscribe(variant_id=variant.pk, email="ada@example.com")
    make_warehouse("closed", is_active=False)
    assert not Warehouse.objects.get(code="closed").is_active
    restock(variant, 9, django_capture_on_commit_callbacks, warehouse="closed")
    assert mail.outbox == []


def test_a_rolled_back_stock_write_mails_nobody(pan, django_capture_on_commit_callbacks):
    variant = only_variant(pan)
    stock_alerts.subscribe(variant_id=variant.pk, email="ada@example.com")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        set_stock_levels({variant.pk: {make_warehouse().pk: 4}})
        raise RuntimeError("rolled back")
    assert callbacks == [] and mail.outbox == []


def test_a_restock_queues_only_variants_with_someone_waiting(pan, shop):
    other = make_product("Lid", stock=0)
    stock_alerts.subscribe(variant_id=only_variant(pan).pk, email="ada@example.com")
    assert stock_alerts.queue_restocked(
        before={only_variant(pan).pk: 0, only_variant(other).pk: 0},
        after={only_variant(pan).pk: 2, only_variant(other).pk: 2},
    ) == [only_variant(pan).pk]
    assert stock_alerts.restocked_variants(before={1: 0, 2: 3, 3: 0}, after={1: 1, 2: 4, 3: 0}) == [
        1
    ]


def test_a_resubscription_after_the_e_mail_is_a_new_alert(pan, django_capture_on_commit_callbacks):
    variant = only_variant(pan)
    stock_alerts.subscribe(variant_id=variant.pk, email="ada@example.com")
    restock(variant, 1, django_capture_on_commit_callbacks)
    restock(variant, 0, django_capture_on_commit_callbacks)
    _, created = stock_alerts.subscribe(variant_id=variant.pk, email="ada@example.com")
    assert created and StockSubscription.objects.count() == 2
    restock(variant, 2, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2


# --- Unsubscribing ------------------------------------------------------------


def test_unsubscribe_asks_on_get_and_removes_on_post(pan):
    subscription, _ = stock_alerts.subscribe(
        variant_id=only_variant(pan).pk, email="ada@example.com"
    )
    url = reverse("stock_alerts:unsubscribe", kwargs={"token": subscription.token})
    client = Client()
    page = client.get(url)
    assert page.status_code == 200 and "no-cache" in page["Cache-Control"]
    form = BeautifulSoup(page.content, "html.parser").select_one("main form[method=post]")
    assert form is not None and "Unsubscribe" in form.get_text()
    assert StockSubscription.objects.exists()  # a GET changes nothing
    done = client.post(url)
    assert done.status_code == 200 and "will get no e-mail about Steel pan" in done.content.decode()
    assert not StockSubscription.objects.exists()
    assert client.post(url).status_code == 404


def test_one_token_cannot_touch_another_subscription(pan):
    ada, _ = stock_alerts.subscribe(variant_id=only_variant(pan).pk, email="ada@example.com")
    grace, _ = stock_alerts.subscribe(variant_id=only_variant(pan).pk, email="grace@example.com")
    client = Client()
    client.post(reverse("stock_alerts:unsubscribe", kwargs={"token": ada.token}))
    assert list(StockSubscription.objects.all()) == [grace]
    # Another id in the path, a token of the right shape that is nobody's, a wrong shape.
    assert client.get(f"/stock-alerts/unsubscribe/{grace.pk}/").status_code == 404
    assert client.post(f"/stock-alerts/unsubscribe/{'A' * 32}/").status_code == 404
    assert client.get(f"/stock-alerts/unsubscribe/{grace.token[:-1]}!/").status_code == 404
    assert StockSubscription.objects.filter(pk=grace.pk).exists()


# --- The product page ------------------------------------------------------------


def notify_form(response):
    return BeautifulSoup(response.content, "html.parser").select_one("form[data-stock-alert]")


def test_the_product_page_offers_the_alert_for_a_sold_out_variant_only(pan, shop):
    mug = make_product("Mug", stock=4)
    client = Client()
    sold_out = notify_form(client.get(shop.url + shop.product_subpath(pan)))
    assert sold_out is not None and not sold_out.has_attr("hidden")
    assert sold_out.select_one("input[name=csrfmiddlewaretoken]")
    assert sold_out.select_one("input[name=variant]")["value"] == str(only_variant(pan).pk)
    assert sold_out.select_one("label[for=stock-alert-email]").get_text() == "E-mail address"
    assert sold_out.select_one("input[type=email]")["value"] == ""
    in_stock = notify_form(client.get(shop.url + shop.product_subpath(mug)))
    assert in_stock.has_attr("hidden")


def test_a_signed_in_shopper_finds_their_address_filled_in(pan, shop):
    client = Client()
    client.force_login(make_customer("grace@example.com"))
    form = notify_form(client.get(shop.url + shop.product_subpath(pan)))
    assert form.select_one("input[type=email]")["value"] == "grace@example.com"


def test_the_success_message_names_the_address_and_the_variant(pan, shop):
    product_url = shop.url + shop.product_subpath(pan)
    response = subscribe(
        Client(), only_variant(pan), email="grace@example.com", next=product_url, follow=True
    )
    assert response.redirect_chain == [(product_url, 302)]
    assert (
        "We will e-mail grace@example.com once when Steel pan is back in stock"
        in response.content.decode()
    )
