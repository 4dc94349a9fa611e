"""Row locks on shared rows: the one order every path takes them in.

A transaction that locks more than one of these rows takes them in this order,
skipping the ones it does not need, through the functions below. Writing a row
counts as locking it (an UPDATE or DELETE holds the row until commit), so a
path that writes a cart, a checkout or a stock row locks it here first.

    1. carts, by id                       lock_cart, lock_carts
    2. the cart's checkout                lock_open_checkout, lock_checkout
    3. an order placed earlier            lock_order
    4. the coupon                         lock_coupon
    5. the product (catalog writers)      lock_product
    6. stock rows, by id                  lock_stock (of variants; a variant row itself is
                                          written only under its product's lock, 5)
       a warehouse being deleted          lock_warehouse_with_stock (its stock rows first)
       a warehouse switched on or off     lock_warehouse_switch (its variants' stock rows
                                          first)
    7. the catalog version row            catalog_version.bump_catalog_version, always last

Who takes what:

- Checkout steps (opening or renewing the checkout, contact details), the review
  page, cart changes (lines, coupon code, delivery and payment method): 1, then 2
  where the checkout is written.
- `checkout.place_order`, for the storefront and the create-order API: 1 → 2 → 4
  → 6 (→ 7 when a product sells out). The order it creates is new, so nobody else
  can hold it.
- Staff status changes, cancel and refund (`services.orders`): 3 → 4 → 6 (→ 7 when
  returned units bring a product back).
- Stock pushes: the admin's stock form 6 (→ 7); the catalog import 5 → 6 → 7.
- Whether a stock write takes 7 is one rule for every writer:
  `catalog_version.bump_if_availability_changed`.
- Switching a warehouse on or off (`inventory.saving_warehouse`, the admin's form): the
  stock rows of every variant it holds, in id order as placement takes them, then the
  warehouse row (→ 7 after its alerts and webhooks).
- Deleting a warehouse (`inventory.delete_warehouse`): its stock rows, then the
  warehouse row. A placement holding stock inserts allocations, which take a key
  share lock on their warehouse, so the warehouse must come after the stock.
- Signing in with a guest cart, purging stale guest carts: 1 (the carts, by id),
  then 2 (a deleted cart's checkouts go with it).

Rows outside this order, each locked alone in its own transaction and never while
one of the rows above is held: an e-mail's `SentEmail` row (`notifications.send_once`)
and a stuck task's queue row (`maintenance.requeue_stuck_tasks`).

Webhook deliveries (the integrations' receivers of `services.events`) are inserted while
the rows above are held, and lock nothing in this order: a delivery's insert takes only a
key share lock on its subscription row, which the counting of failures and the admin's
edits (FOR NO KEY UPDATE) let through; deleting a subscription waits for such inserts
while holding nothing else. Deliveries are sent and updated by their task, after the commit.

Why this order:

- A cart's lock guards everything of that cart: its lines, coupon code, methods
  and checkouts. Nothing writes a cart line or a checkout without holding the cart,
  so a checkout step and a placement of the same shopper queue on the cart and
  the second sees what the first committed.
- Placement knows only the checkout's token. It reads the checkout without a lock
  to learn its cart (a checkout never changes carts), locks the cart, then locks
  the checkout and reads it again.
- Shoppers meet only at the coupon, the stock and the catalog version; staff meet
  them there too. Stock is locked in id order in one statement, so two carts with
  the same products in opposite orders cannot deadlock.
- `of=("self",)`: a `select_related` join never locks the joined table's rows,
  which would be out of order.
- The product is locked FOR NO KEY UPDATE: inserting an order line or cart line
  takes a FOR KEY SHARE lock on its product and variant, which FOR NO KEY UPDATE lets through.
  With FOR UPDATE, an import holding the product while waiting for its stock would
  deadlock with a placement holding that stock while inserting its order line.
- The catalog version row is the one row every catalog change writes: it comes
  last, after the stock, in every transaction that bumps it.
"""

from collections.abc import Iterable

from commerce.models import Cart, Checkout, Coupon, Order, Product, Stock, Warehouse
from commerce.models.coupons import normalize_code


def lock_cart(cart_id) -> Cart | None:
    """The cart with its methods, locked; None if it is gone."""
    return (
        Cart.objects.select_for_update(of=("self",))
        .select_related("delivery_method", "payment_method")
        .filter(pk=cart_id)
        .first()
    )


def lock_carts(cart_ids: Iterable) -> list[Cart]:
    """Several carts (merging a guest's into a user's), in id order."""
    return list(Cart.objects.select_for_update(of=("self",)).filter(pk__in=cart_ids).order_by("pk"))


def lock_open_checkout(cart: Cart) -> Checkout | None:
    """The cart's checkout in progress, locked; the caller holds the cart."""
    return Checkout.objects.select_for_update().filter(cart=cart, order__isnull=True).first()


def lock_checkout(token: str, *, cart_id) -> Checkout | None:
    """The checkout with this token, if it is the cart's, locked; the caller holds the cart."""
    return Checkout.objects.select_for_update().filter(token=token, cart_id=cart_id).first()


def lock_order(order_id) -> Order:
    return Order.objects.select_for_update(of=("self",)).get(pk=order_id)


def lock_coupon(*, code: str = "", pk=None) -> Coupon | None:
    """The coupon by code (case-insensitive) or id, locked."""
    coupons = Coupon.objects.select_for_update(of=("self",))
    if pk is not None:
        return coupons.filter(pk=pk).first()
    code = normalize_code(code)
    return coupons.filter(code__iexact=code).first() if code else None


def lock_product(**lookup) -> Product | None:
    """A product a catalog writer is about to change (FOR NO KEY UPDATE, see above)."""
    return Product.objects.select_for_update(no_key=True, of=("self",)).filter(**lookup).first()


def lock_stock(variant_ids: Iterable, *, active_warehouses_only=False) -> list[Stock]:
    """The variants' stock rows with their warehouses, locked in id order."""
    rows = Stock.objects.select_for_update(of=("self",)).filter(variant_id__in=list(variant_ids))
    if active_warehouses_only:
        rows = rows.in_active_warehouses()
    return list(rows.select_related("warehouse").order_by("id"))


def lock_warehouse_switch(warehouse_id) -> tuple[list[Stock], Warehouse | None]:
    """A warehouse about to be switched on or off: the stock rows, in every warehouse, of
    the variants it holds (their units for sale change), in id order, then the warehouse."""
    variant_ids = Stock.objects.filter(warehouse_id=warehouse_id).values_list(
        "variant_id", flat=True
    )
    rows = lock_stock(variant_ids)
    return rows, Warehouse.objects.select_for_update().filter(pk=warehouse_id).first()


def lock_warehouse_with_stock(warehouse_id) -> Warehouse | None:
    """A warehouse about to be deleted: its stock rows in id order, then the warehouse."""
    list(
        Stock.objects.select_for_update(of=("self",))
        .filter(warehouse_id=warehouse_id)
        .order_by("id")
    )
    return Warehouse.objects.select_for_update().filter(pk=warehouse_id).first()
