"""The order workflow (commerce.services.orders) and the order e-mails."""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from commerce.models import (
    Coupon,
    CouponRedemption,
    MockPayment,
    Order,
    OrderStatus,
    OrderStatusChange,
    PaymentStatus,
    Stock,
)
from commerce.payments.base import PaymentResult
from commerce.payments.offline import CashOnDeliveryProvider
from commerce.services import orders
from commerce.services.notifications import send_order_placed
from commerce.services.orders import (
    OrderTransitionError,
    cancel_order,
    change_status,
    mark_paid,
    refund_order,
)
from tests.factories.catalog import as_variant, make_attribute, make_product, make_warehouse
from tests.factories.orders import make_coupon, make_order, make_payment_method

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("clerk", password="pw-1234-abc")


def stock_of(item):
    """{warehouse code: units} of a variant (a product without axes: its one variant)."""
    rows = Stock.objects.filter(variant=as_variant(item))
    return dict(rows.values_list("warehouse__code", "quantity"))


@pytest.fixture
def coat():
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    product = make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-S", "options": [s], "price": Decimal("50.00"), "stock": {"main": 0}},
            {"sku": "COAT-M", "options": [m], "price": Decimal("60.00"), "stock": {"main": 1}},
        ],
    )
    return product.variants.get(sku="COAT-S"), product.variants.get(sku="COAT-M")


def history(order):
    return list(
        OrderStatusChange.objects.filter(order=order).values_list(
            "from_status", "to_status", "changed_by__username", "note"
        )
    )


# --- Transitions -----------------------------------------------------------------------


ALLOWED = [
    (OrderStatus.NEW, OrderStatus.PAID, "cash_on_delivery"),
    (OrderStatus.NEW, OrderStatus.PAID, "bank_transfer"),
    (OrderStatus.NEW, OrderStatus.PAID, "mock_card"),  # paid at placement by the provider
    (OrderStatus.NEW, OrderStatus.CANCELLED, "cash_on_delivery"),
    (OrderStatus.NEW, OrderStatus.CANCELLED, "mock_card"),
    (OrderStatus.PAID, OrderStatus.FULFILLED, "cash_on_delivery"),
    (OrderStatus.PAID, OrderStatus.REFUNDED, "mock_card"),
    (OrderStatus.FULFILLED, OrderStatus.SHIPPED, "cash_on_delivery"),
    (OrderStatus.FULFILLED, OrderStatus.REFUNDED, "bank_transfer"),
    (OrderStatus.SHIPPED, OrderStatus.COMPLETED, "cash_on_delivery"),
    (OrderStatus.SHIPPED, OrderStatus.REFUNDED, "mock_card"),
    (OrderStatus.COMPLETED, OrderStatus.REFUNDED, "cash_on_delivery"),
]


def test_the_table_is_the_documented_workflow():
    assert {(a, b) for a, bs in orders.TRANSITIONS.items() for b in bs} == {
        (a, b) for a, b, _ in ALLOWED
    }


@pytest.mark.parametrize(("from_status", "to_status", "provider"), ALLOWED)
def test_every_allowed_transition_applies_and_is_recorded(
    staff, from_status, to_status, provider, django_capture_on_commit_callbacks
):
    product = make_product(stock={"main": 5})
    order = make_order([(product, 2)], status=from_status, provider=provider)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, to_status, by=staff, note="done")
    order.refresh_from_db()
    assert order.status == to_status
    assert history(order) == [(from_status, to_status, "clerk", "done")]


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        (OrderStatus.NEW, OrderStatus.SHIPPED),
        (OrderStatus.NEW, OrderStatus.FULFILLED),
        (OrderStatus.PAID, OrderStatus.CANCELLED),
        (OrderStatus.SHIPPED, OrderStatus.FULFILLED),
        (OrderStatus.COMPLETED, OrderStatus.NEW),
        (OrderStatus.CANCELLED, OrderStatus.PAID),
        (OrderStatus.REFUNDED, OrderStatus.SHIPPED),
        (OrderStatus.PAID, OrderStatus.PAID),
        (OrderStatus.NEW, "lost"),
    ],
)
def test_forbidden_transitions_raise_and_change_nothing(staff, from_status, to_status):
    product = make_product(stock={"main": 5})
    order = make_order([(product, 2)], status=from_status)
    with pytest.raises(OrderTransitionError) as error:
        change_status(order, to_status, by=staff)
    assert str(error.value)  # a sentence for staff, not a bare code
    order.refresh_from_db()
    assert order.status == from_status
    assert history(order) == []
    assert stock_of(product) == {"main": 5}


def test_forbidden_message_names_what_is_possible(staff):
    order = make_order([(make_product(), 1)], status=OrderStatus.PAID)
    with pytest.raises(OrderTransitionError, match="cannot become cancelled.*refunded"):
        change_status(order, OrderStatus.CANCELLED, by=staff)


def test_a_stale_page_is_refused(staff):
    order = make_order([(make_product(), 1)], status=OrderStatus.FULFILLED)
    with pytest.raises(OrderTransitionError, match="changed meanwhile"):
        change_status(order, OrderStatus.SHIPPED, by=staff, expected_from=OrderStatus.PAID)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED


# --- Paying ------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["cash_on_delivery", "bank_transfer"])
def test_mark_paid_captures_through_the_offline_provider(staff, provider):
    order = make_order([(make_product(), 1)], provider=provider)
    assert order.payment_status == PaymentStatus.PENDING
    mark_paid(order, by=staff)
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PAID, PaymentStatus.PAID)
    assert history(order) == [(OrderStatus.NEW, OrderStatus.PAID, "clerk", "")]


def test_mark_paid_is_refused_for_card_payments(staff):
    order = make_order([(make_product(), 1)], provider="mock_card", payment_status="authorized")
    with pytest.raises(OrderTransitionError, match="settled by the provider"):
        mark_paid(order, by=staff)
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.NEW, PaymentStatus.AUTHORIZED)


def test_mark_paid_needs_the_providers_paid(staff, monkeypatch):
    monkeypatch.setattr(
        CashOnDeliveryProvider,
        "capture",
        lambda self, **kw: PaymentResult(ok=True, status=PaymentStatus.PENDING),
    )
    order = make_order([(make_product(), 1)])
    with pytest.raises(OrderTransitionError, match="did not confirm"):
        mark_paid(order, by=staff)
    monkeypatch.setattr(
        CashOnDeliveryProvider,
        "capture",
        lambda self, **kw: PaymentResult(ok=False, message="bank says no"),
    )
    with pytest.raises(OrderTransitionError, match="bank says no"):
        mark_paid(order, by=staff)
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.NEW, PaymentStatus.PENDING)
    assert history(order) == []


def test_change_status_to_paid_on_an_offline_order_asks_the_provider(staff, monkeypatch):
    monkeypatch.setattr(
        CashOnDeliveryProvider,
        "capture",
        lambda self, **kw: PaymentResult(ok=False, message="no money yet"),
    )
    order = make_order([(make_product(), 1)])
    with pytest.raises(OrderTransitionError, match="no money yet"):
        change_status(order, OrderStatus.PAID, by=staff)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.NEW


def test_a_card_order_becomes_paid_only_when_the_provider_said_paid(staff):
    order = make_order([(make_product(), 1)], provider="mock_card", payment_status="authorized")
    with pytest.raises(OrderTransitionError, match="not reported this payment as paid"):
        change_status(order, OrderStatus.PAID, by=staff)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.NEW


# --- Cancelling ----------------------------------------------------------------------------


def test_cancel_returns_stock_to_the_original_warehouses(staff):
    south = make_warehouse("south")
    pan = make_product("Pan", stock={"main": 1, "north": 0, "south": 4})
    lid = make_product("Lid", stock={"main": 7})
    order = make_order([(pan, 5, {"main": 2, "north": 3}), (lid, 1, {"south": 1})])
    # The lid's row in "south" was deleted since the order took from it.
    assert not Stock.objects.filter(variant=as_variant(lid), warehouse=south).exists()
    cancel_order(order, by=staff, note="customer called")
    assert stock_of(pan) == {"main": 3, "north": 3, "south": 4}
    assert stock_of(lid) == {"main": 7, "south": 1}
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert history(order) == [(OrderStatus.NEW, OrderStatus.CANCELLED, "clerk", "customer called")]


def test_cancel_returns_each_variants_units_to_its_own_stock(staff, coat):
    small, medium = coat
    order = make_order([(small, 2), (medium, 1, {"main": 1})])
    cancel_order(order, by=staff)
    assert (stock_of(small), stock_of(medium)) == ({"main": 2}, {"main": 2})


def test_cancel_with_a_deleted_variant_returns_the_rest_and_says_what_was_lost(staff, coat):
    """A deleted variant's stock rows went with it: its units have nowhere to go back
    to. The sibling's units go back, and the history tells staff which were not."""
    small, medium = coat
    order = make_order([(small, 2), (medium, 1)])
    small.delete()
    cancel_order(order, by=staff, note="customer called")
    assert stock_of(medium) == {"main": 2}
    assert not Stock.objects.filter(variant_id=small.pk).exists()
    assert history(order) == [
        (
            OrderStatus.NEW,
            OrderStatus.CANCELLED,
            "clerk",
            "customer called Not returned to stock, the variant was deleted: "
            "2 × Coat — Size S (COAT-S).",
        )
    ]
    line = order.lines.get(sku="COAT-S")
    assert (line.variant, line.product_id, line.description) == (
        None,
        medium.product_id,
        "Coat — Size S",
    )


def test_refund_with_every_variant_deleted_changes_no_stock(staff, coat):
    small, medium = coat
    order = make_order([(small, 1)], status=OrderStatus.PAID, provider="mock_card")
    small.delete()
    refund_order(order, by=staff)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    assert stock_of(medium) == {"main": 1}
    assert history(order)[0][3] == (
        "Not returned to stock, the variant was deleted: 1 × Coat — Size S (COAT-S)."
    )


def test_sales_figures_stay_per_product_over_its_variants(coat):
    from commerce.models import Product

    small, medium = coat
    make_order([(small, 2), (medium, 1)])
    make_order([(medium, 3)], status=OrderStatus.PAID)
    make_order([(small, 5)], status=OrderStatus.CANCELLED)
    row = Product.objects.filter(pk=small.product_id).annotate(
        sold=orders.units_sold_subquery(), revenue=orders.revenue_subquery()
    )
    assert list(row.values_list("sold", "revenue")) == [(6, Decimal("340.00"))]


def test_cancel_releases_the_coupon_use(staff):
    coupon = make_coupon("SAVE10", times_used=3)
    order = make_order([(make_product(stock=1), 1)], coupon=coupon, discount=Decimal("1.00"))
    cancel_order(order, by=staff)
    assert Coupon.objects.get(pk=coupon.pk).times_used == 2
    assert not CouponRedemption.objects.filter(order=order).exists()


def test_cancelling_twice_is_refused_and_returns_stock_once(staff):
    coupon = make_coupon("TWICE", times_used=1)
    product = make_product(stock={"main": 0})
    order = make_order([(product, 2)], coupon=coupon)
    cancel_order(order, by=staff)
    with pytest.raises(OrderTransitionError, match="already cancelled"):
        cancel_order(Order.objects.get(pk=order.pk), by=staff)
    # A stale instance that still says "new" is refused too: the row decides.
    stale = Order.objects.get(pk=order.pk)
    stale.status = OrderStatus.NEW
    with pytest.raises(OrderTransitionError):
        cancel_order(stale, by=staff)
    assert stock_of(product) == {"main": 2}
    assert Coupon.objects.get(pk=coupon.pk).times_used == 0
    assert len(history(order)) == 1


def test_cancel_refunds_a_captured_card_payment_and_voids_an_authorization(staff):
    captured = make_order([(make_product(), 1)], provider="mock_card")
    cancel_order(captured, by=staff)
    assert Order.objects.get(pk=captured.pk).payment_status == PaymentStatus.REFUNDED
    assert MockPayment.objects.get(reference=captured.payment_reference).status == "refunded"

    held = make_order([(make_product(), 1)], provider="mock_card", payment_status="authorized")
    cancel_order(held, by=staff)
    assert Order.objects.get(pk=held.pk).payment_status == PaymentStatus.VOIDED
    assert MockPayment.objects.get(reference=held.payment_reference).status == "voided"


def test_cancel_of_an_offline_order_leaves_the_pending_payment(staff):
    order = make_order([(make_product(), 1)])
    cancel_order(order, by=staff)
    assert Order.objects.get(pk=order.pk).payment_status == PaymentStatus.PENDING


def test_a_provider_refusal_rolls_everything_back(staff, monkeypatch):
    from commerce.payments.mock import MockCardProvider

    monkeypatch.setattr(
        MockCardProvider, "refund", lambda self, **kw: PaymentResult(ok=False, message="offline")
    )
    coupon = make_coupon("ROLL", times_used=1)
    product = make_product(stock={"main": 0})
    order = make_order([(product, 2)], provider="mock_card", coupon=coupon)
    with pytest.raises(OrderTransitionError, match="did not refund the payment: offline"):
        cancel_order(order, by=staff)
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.NEW, PaymentStatus.PAID)
    assert stock_of(product) == {"main": 0}
    assert Coupon.objects.get(pk=coupon.pk).times_used == 1
    assert CouponRedemption.objects.filter(order=order).exists()
    assert history(order) == []


# --- Refunding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "stock_after"),
    [
        (OrderStatus.PAID, 3),
        (OrderStatus.FULFILLED, 3),
        (OrderStatus.SHIPPED, 1),
        (OrderStatus.COMPLETED, 1),
    ],
)
def test_refund_restocks_only_goods_that_never_left(staff, status, stock_after):
    product = make_product(stock={"main": 1})
    order = make_order([(product, 2)], status=status, provider="mock_card")
    refund_order(order, by=staff, note="returned")
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED)
    assert MockPayment.objects.get(reference=order.payment_reference).status == "refunded"
    assert stock_of(product) == {"main": stock_after}
    assert history(order) == [(status, OrderStatus.REFUNDED, "clerk", "returned")]


def test_refund_twice_is_refused(staff):
    order = make_order([(make_product(stock=0), 1)], status=OrderStatus.PAID)
    refund_order(order, by=staff)
    with pytest.raises(OrderTransitionError, match="already refunded"):
        refund_order(order, by=staff)


# --- After commit -------------------------------------------------------------------------


def test_cancel_bumps_the_catalog_version_in_its_transaction(staff):
    from commerce.services.catalog_version import catalog_version

    order = make_order([(make_product(stock=0), 1)])
    before = catalog_version()
    cancel_order(order, by=staff)
    # The stock went back: cached catalog pages showing "out of stock" are stale.
    assert catalog_version() == before + 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_cancels_return_stock_once():
    product = make_product(stock={"main": 0})
    order = make_order([(product, 3)])
    barrier = threading.Barrier(2)
    outcomes = []

    def cancel():
        try:
            barrier.wait()
            cancel_order(Order.objects.get(pk=order.pk))
            outcomes.append("ok")
        except OrderTransitionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert stock_of(product) == {"main": 3}
    assert OrderStatusChange.objects.filter(order=order).count() == 1


# --- E-mails -------------------------------------------------------------------------------

NASTY = '<b>&"'


def test_order_placed_mails_the_shopper_with_text_and_html(settings):
    settings.STOREFRONT_ORDER_NOTIFICATION_EMAILS = []
    product = make_product(f"Pan {NASTY}", price=Decimal("30.00"))
    order = make_order([(product, 2)], full_name=f"Ada {NASTY}", email="ada@example.com")
    send_order_placed(order)
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    assert order.number in message.subject
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    # Plain text shows what the shopper typed as typed; HTML escapes it.
    assert f"Hello Ada {NASTY}," in message.body
    assert f"2 × Pan {NASTY}" in message.body
    assert "Total: 75.00 EUR" in message.body
    assert "1 Engine Street" in message.body and "Cash on delivery" in message.body
    assert NASTY not in html
    assert "Ada &lt;b&gt;&amp;&quot;" in html
    assert "Pan &lt;b&gt;&amp;&quot;" in html
    assert "75.00 EUR" in html


def test_bank_transfer_confirmation_gives_the_order_number_as_reference(settings):
    settings.STOREFRONT_ORDER_NOTIFICATION_EMAILS = []
    method = make_payment_method(
        "bank_transfer", name="Bank transfer", description="IBAN PL00 1234 5678"
    )
    order = make_order(
        [(make_product(price=Decimal("10.00")), 1)],
        provider="bank_transfer",
        payment_method=method,
    )
    send_order_placed(order)
    (message,) = mail.outbox
    assert f"with the reference {order.number}" in message.body
    assert "IBAN PL00 1234 5678" in message.body
    assert f"reference <strong>{order.number}</strong>" in message.alternatives[0][0]


def test_staff_are_notified_when_addresses_are_set(settings):
    settings.STOREFRONT_ORDER_NOTIFICATION_EMAILS = ["shop@example.com", "boss@example.com"]
    order = make_order([(make_product(), 1)], full_name=f"Ada {NASTY}")
    send_order_placed(order)
    shopper, staff = mail.outbox
    assert staff.to == ["shop@example.com", "boss@example.com"]
    assert staff.reply_to == ["ada@example.com"]
    assert order.number in staff.subject and f"Ada {NASTY}" in staff.subject
    assert f"/admin/snippets/commerce/order/inspect/{order.pk}/" in staff.body
    assert NASTY not in staff.alternatives[0][0]


@pytest.mark.parametrize(
    ("from_status", "to_status", "provider", "subject", "phrase"),
    [
        (OrderStatus.FULFILLED, OrderStatus.SHIPPED, "cash_on_delivery", "on its way", "shipped"),
        (OrderStatus.NEW, OrderStatus.CANCELLED, "cash_on_delivery", "cancelled", "cancelled"),
        (OrderStatus.SHIPPED, OrderStatus.REFUNDED, "mock_card", "refunded", "refunded."),
    ],
)
def test_shipping_cancelling_and_refunding_mail_the_shopper_after_commit(
    staff, from_status, to_status, provider, subject, phrase, django_capture_on_commit_callbacks
):
    order = make_order(
        [(make_product(), 1)], status=from_status, provider=provider, full_name=NASTY
    )
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, to_status, by=staff)
        assert mail.outbox == []
    (message,) = mail.outbox
    assert subject in message.subject
    assert f"has been {phrase}" in message.body and f"Hello {NASTY}," in message.body
    html = message.alternatives[0][0]
    assert f"has been {phrase}" in html and NASTY not in html


def test_a_status_email_tells_the_change_it_was_queued_for_even_if_the_order_moved_on(
    staff, django_capture_on_commit_callbacks
):
    """A retried e-mail may run after the next change: "shipped" stays "shipped"."""
    order = make_order([(make_product(), 1)], status=OrderStatus.FULFILLED)
    with django_capture_on_commit_callbacks(execute=False) as shipped_mail:
        change_status(order, OrderStatus.SHIPPED, by=staff)
    change_status(order, OrderStatus.COMPLETED, by=staff)
    for callback in shipped_mail:
        callback()
    (message,) = mail.outbox
    assert "is on its way" in message.subject and "has been shipped" in message.body


def test_other_changes_send_nothing(staff, django_capture_on_commit_callbacks):
    order = make_order([(make_product(), 1)], status=OrderStatus.PAID)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.FULFILLED, by=staff)
    assert mail.outbox == []
