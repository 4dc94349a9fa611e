"""One lock order for every path (services.locks), proven with real threads on PostgreSQL.

Each race releases an order placement and another request of the same shopper
(or of staff, or a stock push) at once, each in its own thread and database
connection, through the views where a shopper sends it, so a deadlock or any
other failure shows as the 500 the shopper would get. Every race must end with
no failure, no hung thread, at most the one order that checkout can make, and
the stock that order left.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from commerce.models import (
    Cart,
    Checkout,
    Order,
    OrderLineAllocation,
    OrderStatus,
    Stock,
    Warehouse,
)
from commerce.services import checkout as checkouts
from commerce.services import inventory, orders
from tests.concurrency import run_at_once
from tests.factories.catalog import make_attribute, make_product, make_warehouse
from tests.factories.checkout import (
    ADDRESS,
    GOOD_CARD,
    make_cart,
    make_coupon,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)
from tests.paths import REPO_ROOT

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

ROUNDS = 4  # per race: each round is a fresh shopper and checkout
STOCK = 100


def race(calls):
    """The calls at once, none of which may crash or answer 5xx; their outcomes.

    A call returns an HTTP response or anything else; an exception (a view's
    exception is re-raised by the test client) is recorded as a crash.
    """
    results = run_at_once(calls)
    crashes = [outcome for kind, outcome in results if kind == "crashed"]
    assert not crashes, crashes
    statuses = [getattr(outcome, "status_code", 200) for _, outcome in results]
    assert all(status < 500 for status in statuses), statuses
    return [outcome for _, outcome in results]


@pytest.fixture
def shop(homepage):
    """The methods, and size A of a kettle sold in sizes A and B: shoppers buy size A
    (`shop[2]`, a variant), whose stock rows are its own."""
    delivery = make_delivery_method(price="0.00")
    payment = make_payment_method()
    size, (a, b) = make_attribute("Size", ["A", "B"], varies_per_variant=True)
    kettle = make_product(
        "Kettle",
        axes=[size],
        variants=[
            {"sku": "KETTLE-A", "options": [a], "price": Decimal("20.00"), "stock": STOCK},
            {"sku": "KETTLE-B", "options": [b], "price": Decimal("25.00"), "stock": STOCK},
        ],
    )
    return delivery, payment, kettle.variants.get(sku="KETTLE-A")


class Shopper:
    """A guest walked through the checkout pages to the review page, as a browser does."""

    def __init__(self, shop, quantity=2, coupon=""):
        self.delivery, self.payment, self.variant = shop
        self.client = Client()
        self.client.post(reverse("cart:add"), {"variant": self.variant.pk, "quantity": quantity})
        if coupon:
            self.client.post(reverse("cart:coupon"), {"code": coupon})
        assert self.client.post(reverse("checkout:details"), self.details()).status_code == 302
        self.client.post(reverse("checkout:delivery"), {"delivery_method": self.delivery.pk})
        self.client.post(reverse("checkout:payment"), {"payment_method": self.payment.pk})
        form = self.client.get(reverse("checkout:review")).context["place_form"]
        self.place_data = {
            "checkout": form.initial["checkout"],
            "expected_total": form.initial["expected_total"],
            "accept_terms": "on",
            "payment-card_number": GOOD_CARD["card_number"],
            "payment-expiry": GOOD_CARD["expiry"],
            "payment-cvc": GOOD_CARD["cvc"],
        }
        self.cart = Cart.objects.get(checkouts__token=self.place_data["checkout"])

    @staticmethod
    def details():
        data = {"email": "ada@example.com", "phone": ""}
        return data | {f"billing-{key}": value for key, value in ADDRESS.items()}

    def tab(self):
        """Another tab of the same browser: the same cookies, its own connection."""
        other = Client()
        other.cookies = self.client.cookies
        return other

    def place(self):
        return lambda: self.tab().post(reverse("checkout:review"), self.place_data)

    def get(self, name):
        return lambda: self.tab().get(reverse(name))

    def post(self, name, data, **kwargs):
        return lambda: self.tab().post(reverse(name, kwargs=kwargs or None), data)

    def order(self):
        """The one order of this shopper's checkout, or None; never more than one."""
        placed = list(Order.objects.filter(checkout__cart=self.cart))
        assert len(placed) <= 1, placed
        return placed[0] if placed else None


def confirmation_of(order):
    return reverse("checkout:confirmation", args=[order.token])


def units_in_stock(variant):
    return sum(Stock.objects.filter(variant=variant).values_list("quantity", flat=True))


def units_sold(variant):
    return sum(
        line.quantity
        for order in Order.objects.exclude(status__in=orders.NOT_SOLD)
        for line in order.lines.filter(variant=variant)
    )


def assert_placed_once(shopper, placement):
    order = shopper.order()
    assert order is not None
    assert placement.status_code == 302
    assert placement["Location"] == confirmation_of(order)
    assert not shopper.cart.lines.exists()
    return order


def test_shared_rows_are_locked_only_through_services_locks():
    """One module holds the order; everything else asks it. Other locks guard rows no
    checkout touches, each locked alone in its transaction: the category tree, a user's
    addresses, shopping lists, API sign-ins, an e-mail's SentEmail row (sent once), a
    stuck task's queue row (the scheduler's re-queue), an ERP batch job's row (its task
    starting)."""
    root = REPO_ROOT
    others = {
        "commerce/services/locks.py",
        "commerce/models/catalog.py",
        "commerce/services/addresses.py",
        "commerce/services/shopping_lists.py",
        "commerce/integrations/jwt_auth.py",
        "commerce/services/notifications.py",
        "commerce/services/maintenance.py",
        "commerce/integrations/services/batch_jobs.py",
    }
    lockers = {
        str(path.relative_to(root))
        for package in ("commerce", "integrations", "home", "pages")
        for path in (root / package).rglob("*.py")
        if "select_for_update" in path.read_text()
    }
    assert lockers <= others, lockers - others


# --- One checkout, many submits ------------------------------------------------------------


def test_ten_simultaneous_place_order_posts_make_one_order_and_all_see_it(shop):
    shopper = Shopper(shop, quantity=3)

    answers = race([shopper.place() for _ in range(10)])

    order = shopper.order()
    assert Order.objects.count() == 1
    assert {answer["Location"] for answer in answers} == {confirmation_of(order)}
    assert units_in_stock(shopper.variant) == STOCK - 3


def test_place_order_and_the_review_page_in_a_second_tab(shop):
    for _ in range(ROUNDS):
        shopper = Shopper(shop)

        placement, *reviews = race([shopper.place()] + [shopper.get("checkout:review")] * 3)

        order = assert_placed_once(shopper, placement)
        for review in reviews:  # rendered before the order, or its confirmation after
            assert review.status_code == 200 or review["Location"] == confirmation_of(order)
    assert Order.objects.count() == ROUNDS
    assert units_in_stock(shop[2]) == STOCK - 2 * ROUNDS


@pytest.mark.parametrize("step", ["checkout:details", "checkout:delivery", "checkout:payment"])
def test_place_order_racing_a_checkout_step(shop, step):
    delivery, payment, _ = shop
    data = {
        "checkout:details": Shopper.details(),
        "checkout:delivery": {"delivery_method": delivery.pk},
        "checkout:payment": {"payment_method": payment.pk},
    }[step]
    for _ in range(ROUNDS):
        shopper = Shopper(shop)

        placement, *steps = race([shopper.place()] + [shopper.post(step, data)] * 2)

        order = assert_placed_once(shopper, placement)
        for answer in steps:  # saved before the order, or answered with it after
            assert answer.status_code == 302
            if answer["Location"] != confirmation_of(order):
                assert answer["Location"].startswith("/checkout/")
        assert Checkout.objects.get(order=order).email == "ada@example.com"
    assert units_in_stock(shop[2]) == STOCK - 2 * ROUNDS


# --- The shopper's cart changes while the order is placed ---------------------------------


def test_place_order_racing_a_quantity_change(shop):
    """Either the order goes first (the line is gone, the change is refused), or the
    change does (the total the shopper saw is stale, the order is refused): never both."""
    for _ in range(ROUNDS):
        shopper = Shopper(shop)
        line = shopper.cart.lines.get()

        placement, change = race(
            [shopper.place(), shopper.post("cart:line_update", {"quantity": 5}, line_id=line.pk)]
        )

        assert change.status_code == 302
        order = shopper.order()
        if order is None:
            assert placement.status_code == 409
            assert shopper.cart.lines.get().quantity == 5
        else:
            assert placement["Location"] == confirmation_of(order)
            assert not shopper.cart.lines.exists()
    assert units_in_stock(shop[2]) == STOCK - units_sold(shop[2])


def test_place_order_racing_a_coupon_apply_and_remove(shop):
    make_coupon("TENPC", usage_limit=1000)
    for index in range(ROUNDS):
        coupon = "TENPC" if index % 2 else ""
        shopper = Shopper(shop, coupon=coupon)
        change = {"remove": "1"} if coupon else {"code": "TENPC"}

        placement, answer = race([shopper.place(), shopper.post("cart:coupon", change)])

        assert answer.status_code == 302
        order = shopper.order()
        if order is None:  # the coupon change came first: the total changed
            assert placement.status_code == 409
        else:
            assert placement["Location"] == confirmation_of(order)
            assert order.coupon_code == coupon
    assert units_in_stock(shop[2]) == STOCK - units_sold(shop[2])


# --- Staff and stock pushes meet the shopper at the coupon and the stock ----------------


def test_place_order_racing_a_staff_refund_of_another_order_of_the_same_products(shop):
    """The refund locks order → coupon → stock → catalog version, the tail of placement's order."""
    delivery, payment, variant = shop
    sibling = variant.product.variants.get(sku="KETTLE-B")
    make_coupon("BOTH", usage_limit=1000)
    for _ in range(ROUNDS):
        earlier_cart = make_cart(
            [(sibling, 1), (variant, 4)], coupon_code="BOTH", delivery=delivery, payment=payment
        )
        earlier = checkouts.place_order(
            ready_checkout(earlier_cart).token, payment_data=GOOD_CARD
        ).order
        shopper = Shopper(shop, coupon="BOTH")

        def refund(earlier=earlier):
            return orders.change_status(earlier, OrderStatus.REFUNDED, note="race")

        placement, refunded = race([shopper.place(), refund])

        assert_placed_once(shopper, placement)
        assert refunded.status == OrderStatus.REFUNDED
    assert units_in_stock(variant) == STOCK - units_sold(variant) == STOCK - 2 * ROUNDS
    assert units_in_stock(sibling) == STOCK


def test_place_order_racing_a_stock_push_for_the_products_in_the_cart(shop):
    variant = shop[2]
    warehouse_id = Stock.objects.get(variant=variant).warehouse_id
    for index in range(ROUNDS):
        shopper = Shopper(shop)
        pushed = 50 + index

        def push(pushed=pushed):
            return inventory.set_stock_levels({variant.pk: {warehouse_id: pushed}})

        placement, _ = race([shopper.place(), push])

        assert_placed_once(shopper, placement)
        # The push sets an absolute level: it went either after the order or before it.
        assert units_in_stock(variant) in (pushed, pushed - 2)


def test_place_order_racing_staff_switching_its_warehouse_off_and_on(shop, admin_user):
    """Staff switching a warehouse lock its variants' stock rows, then the warehouse; the
    placement locks the stock rows, then inserts allocations, which take a key share lock
    on their warehouse. The warehouse comes after the stock on both paths, so neither
    holds what the other waits for (locked the other way round, they deadlock)."""
    variant = shop[2]
    Warehouse.objects.filter(stocks__variant=variant).update(sort_order=5)
    north = make_warehouse("north", name="North", sort_order=1)  # supplies first
    staff = Client()
    staff.force_login(admin_user)
    edit_url = reverse(Warehouse.snippet_viewset.get_url_name("edit"), args=[north.pk])
    for index in range(ROUNDS):
        inventory.set_stock_levels({variant.pk: {north.pk: 10}})
        shopper = Shopper(shop)
        switch_on = index % 2 == 1  # off, on, off, on

        def switch(switch_on=switch_on):
            data = {"name": "North", "code": "north", "sort_order": 1}
            return staff.post(edit_url, data | ({"is_active": "on"} if switch_on else {}))

        placement, switched = race([shopper.place(), switch])

        assert_placed_once(shopper, placement)
        assert switched.status_code == 302
        assert Warehouse.objects.get(pk=north.pk).is_active == switch_on
    # Every unit sold came out of one warehouse's row, none twice, none lost.
    taken = dict(
        OrderLineAllocation.objects.values_list("warehouse_id").annotate(units=Sum("quantity"))
    )
    main = Stock.objects.exclude(warehouse=north).get(variant=variant)
    assert main.quantity == STOCK - taken.get(main.warehouse_id, 0)
    assert sum(taken.values()) == units_sold(variant) == 2 * ROUNDS


def test_place_order_racing_the_catalog_import_of_its_product(shop):
    """The import locks product → stock before it bumps the catalog version; an order that
    sells the product out locks stock → catalog version. Neither waits for the other's lock."""
    from commerce.services.catalog_import import SourceRow, import_rows

    variant = shop[2]
    warehouse = Stock.objects.get(variant=variant).warehouse
    for index in range(ROUNDS):
        # The order sells it out.
        inventory.set_stock_levels({variant.pk: {warehouse.pk: 2}})
        shopper = Shopper(shop)
        row = SourceRow(
            location=f"row {index}",
            values={"sku": variant.sku, "name": f"Kettle {index}"},
            stock={warehouse.code: "7"},
        )

        placement, report = race([shopper.place(), lambda row=row: import_rows([row])])

        assert report.results[0].outcome == "updated", report.results[0]
        assert_placed_once(shopper, placement)  # a new name is no reason to refuse
        # The import sets an absolute level: it went either after the order or before it.
        assert units_in_stock(variant) in (7, 5)


# --- A checkout that became an order answers with it --------------------------------------


def test_a_second_click_after_the_first_committed_lands_on_the_confirmation(shop):
    shopper = Shopper(shop)
    first = shopper.place()()
    order = assert_placed_once(shopper, first)

    second = shopper.place()()

    assert second.status_code == 302
    assert second["Location"] == confirmation_of(order)
    assert Order.objects.count() == 1


def test_every_later_step_of_a_placed_checkout_answers_with_its_order(shop):
    shopper = Shopper(shop)
    order = assert_placed_once(shopper, shopper.place()())

    for name in (
        "checkout:start",
        "checkout:details",
        "checkout:delivery",
        "checkout:payment",
        "checkout:review",
    ):
        assert shopper.get(name)()["Location"] == confirmation_of(order), name
    assert shopper.post("checkout:details", Shopper.details())()["Location"] == confirmation_of(
        order
    )
    answer = shopper.post("checkout:delivery", {"delivery_method": shopper.delivery.pk})()
    assert answer["Location"] == confirmation_of(order)

    # Something new in the cart starts a new checkout; the old submit still finds its order.
    shopper.client.post(reverse("cart:add"), {"variant": shopper.variant.pk, "quantity": 1})
    assert shopper.get("checkout:start")()["Location"] == reverse("checkout:details")
    assert shopper.place()()["Location"] == confirmation_of(order)
    assert Order.objects.count() == 1


def test_another_shoppers_checkout_token_never_reveals_their_order(shop):
    victim = Shopper(shop)
    order = assert_placed_once(victim, victim.place()())
    attacker = Shopper(shop)

    answer = attacker.tab().post(reverse("checkout:review"), victim.place_data)

    assert answer.get("Location") != confirmation_of(order)
    stranger = Client()  # no cart at all
    answer = stranger.post(reverse("checkout:review"), victim.place_data)
    assert answer["Location"] == reverse("cart:detail")
    assert order.token not in stranger.get(reverse("checkout:review")).get("Location", "")
