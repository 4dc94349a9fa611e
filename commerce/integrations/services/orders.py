"""Orders from the create-order API, placed by the storefront's own checkout service.

`create_order` checks the request against the shop (customer, products,
prices, stock, delivery and payment methods) and reports every problem at once
as field errors. It then builds, in one transaction, what a shopper would have
built: a cart with the lines at the shop's prices, a checkout with the
customer's e-mail and default address, the delivery method and an offline
payment method. `commerce.services.checkout.place_order` turns that into the
order, with the same locks, stock rules and e-mails as the storefront; the
order is recorded with `source="api"`.

The cart is a row of its own, not bound to the customer (`Cart.user` is the
storefront cart of a signed-in shopper, one per user): the customer's own cart
is never touched, and concurrent calls for one customer never share a cart.
It is deleted, with its checkout, once the order is placed.

`playground: true` runs exactly the same path and then rolls the whole
transaction back: the answer carries the prices and totals the order would
have, with `order_id: 0`, and nothing is saved or sent (e-mails go out only
after commit).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from commerce.integrations.models import CustomerLink
from commerce.models import (
    Address,
    Cart,
    CartLine,
    Checkout,
    DeliveryMethod,
    PaymentMethod,
    Product,
)
from commerce.services.cart import max_line_quantity
from commerce.services.checkout import place_order
from commerce.services.inventory import available_stock_subquery

SOURCE = "api"


@dataclass
class InvalidOrder(Exception):
    """The request cannot become an order: field errors, and/or a general message."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""

    def __str__(self):
        return self.message or "The order is not valid; see the field errors."


class _Errors:
    def __init__(self):
        self.fields: dict[str, list[str]] = {}
        self.general: list[str] = []

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self.fields or self.general:
            raise InvalidOrder(self.fields, " ".join(self.general))


class _Playground(Exception):  # noqa: N818 - control flow, never seen outside this module
    def __init__(self, answer):
        self.answer = answer


def create_order(data, *, currency: str) -> dict:
    """Places the order (or prices it, for a playground request); returns the answer.

    `data` is the validated request (commerce.integrations.api.orders.CreateOrderIn).
    Raises InvalidOrder, or CheckoutError when placement itself refuses
    (e.g. the last units went to another buyer a moment earlier).
    """
    try:
        with transaction.atomic():
            answer = _create(data, currency)
            if data.playground:
                raise _Playground(answer)
    except _Playground as dry_run:
        return dry_run.answer
    return answer


def _create(data, currency: str) -> dict:
    errors = _Errors()
    customer, address = _customer(data, errors)
    products = _products(data.lines, errors)
    delivery = _delivery(data.shipment_type_id, errors)
    payment = _payment(errors)
    errors.raise_any()

    cart = Cart.objects.create(delivery_method=delivery, payment_method=payment)
    CartLine.objects.bulk_create(
        [
            CartLine(
                cart=cart,
                product=product,
                product_name=product.name,
                quantity=line.quantity,
                unit_price=product.price,
            )
            for line, product in zip(data.lines, products, strict=True)
        ]
    )
    snapshot = address.as_dict()
    checkout = Checkout.objects.create(
        cart=cart,
        email=customer.email.strip().lower(),
        phone=address.phone,
        billing_address=snapshot,
        delivery_address=dict(snapshot),
        customer_note=data.description or "",
    )
    placement = place_order(
        checkout.token, user=customer, cart=cart, currency=currency, source=SOURCE
    )
    cart.delete()  # and its checkout; the order keeps its own copy of everything
    return _answer(placement.order, data, products, playground=data.playground)


# --- Checking the request -------------------------------------------------------


def _customer(data, errors: _Errors):
    """The customer and their default address, or (None, None) with errors added."""
    users = get_user_model().objects
    by_id = by_external = None
    if data.customer_id is None and not data.customer_external_id:
        errors.add("customer_id", "Give customer_id or customer_external_id.")
        return None, None
    if data.customer_id is not None:
        by_id = users.filter(pk=data.customer_id).first()
        if by_id is None:
            errors.add("customer_id", f"No customer with id {data.customer_id}.")
    if data.customer_external_id:
        link = (
            CustomerLink.objects.select_related("user")
            .filter(external_id=data.customer_external_id)
            .first()
        )
        by_external = link.user if link else None
        if by_external is None:
            errors.add(
                "customer_external_id",
                f"No customer with external id {data.customer_external_id!r}.",
            )
    if by_id and by_external and by_id.pk != by_external.pk:
        errors.add("customer_external_id", "customer_id and customer_external_id differ.")
        return None, None
    customer = by_id or by_external
    name = "customer_id" if by_id else "customer_external_id"
    if customer is None:
        return None, None
    if not customer.is_active:
        errors.add(name, "The customer's account is inactive.")
        return None, None
    if not customer.email:
        errors.add(name, "The customer has no e-mail address.")
    address = Address.objects.filter(user=customer, is_default=True).first()
    if address is None:
        errors.add(name, "The customer has no default address; add one to their account first.")
    return customer, address


def _products(lines, errors: _Errors) -> list[Product | None]:
    """Each line's product (None where it cannot be bought), with errors added."""
    products = Product.objects.annotate(stock_available=available_stock_subquery())
    ids = {line.product_id for line in lines if line.product_id is not None}
    skus = {line.product_external_id for line in lines if line.product_external_id}
    by_id = {p.pk: p for p in products.filter(pk__in=ids)} if ids else {}
    by_sku = {p.sku: p for p in products.filter(sku__in=skus)} if skus else {}

    found: list[Product | None] = []
    seen: dict[int, int] = {}
    for index, line in enumerate(lines):
        prefix = f"lines.{index}"
        product = _line_product(line, prefix, by_id, by_sku, errors)
        if product is not None:
            if product.pk in seen:
                errors.add(
                    f"{prefix}.product_id",
                    f"{product.name} is already on line {seen[product.pk]}; "
                    "give each product one line.",
                )
                product = None
            else:
                seen[product.pk] = index
        if product is not None and not _line_is_sellable(line, product, prefix, errors):
            product = None
        found.append(product)
    return found


def _line_product(line, prefix, by_id, by_sku, errors: _Errors) -> Product | None:
    if line.product_id is None and not line.product_external_id:
        errors.add(f"{prefix}.product_id", "Give product_id or product_external_id.")
        return None
    product = None
    if line.product_id is not None:
        product = by_id.get(line.product_id)
        if product is None:
            errors.add(f"{prefix}.product_id", f"No product with id {line.product_id}.")
            return None
    if line.product_external_id:
        other = by_sku.get(line.product_external_id)
        if other is None:
            errors.add(
                f"{prefix}.product_external_id",
                f"No product with SKU {line.product_external_id!r}.",
            )
            return None
        if product is not None and product.pk != other.pk:
            errors.add(
                f"{prefix}.product_external_id", "product_id and product_external_id differ."
            )
            return None
        product = other
    return product


def _line_is_sellable(line, product: Product, prefix: str, errors: _Errors) -> bool:
    """The storefront's rules for a cart line, plus the price the caller expects."""
    if not product.is_purchasable:
        name = product.name if product.live else "This product"
        errors.add(f"{prefix}.product_id", f"{name} cannot be bought at the moment.")
        return False
    ok = True
    available = product.available_quantity
    if available <= 0:
        errors.add(f"{prefix}.quantity", f"{product.name} is out of stock.")
        ok = False
    elif line.quantity > available:
        errors.add(f"{prefix}.quantity", f"Only {available} of {product.name} in stock.")
        ok = False
    if line.quantity > max_line_quantity():
        errors.add(
            f"{prefix}.quantity", f"At most {max_line_quantity()} units of one product per order."
        )
        ok = False
    if line.suggested_price != product.price:
        errors.add(
            f"{prefix}.suggested_price",
            f"The price of {product.name} is {product.price}, not {line.suggested_price}.",
        )
        ok = False
    return ok


def _delivery(method_id, errors: _Errors) -> DeliveryMethod | None:
    methods = DeliveryMethod.objects.active()
    if method_id is not None:
        method = methods.filter(pk=method_id).first()
        if method is None:
            errors.add("shipment_type_id", f"No active delivery method with id {method_id}.")
        return method
    method = methods.first()
    if method is None:
        errors.add("shipment_type_id", "No delivery method is active in the shop.")
    return method


def _payment(errors: _Errors) -> PaymentMethod | None:
    provider = settings.INTEGRATION_ORDER_PAYMENT_PROVIDER
    method = PaymentMethod.objects.active().filter(provider=provider).first()
    if method is None:
        errors.general.append(
            f"No active payment method uses the {provider!r} provider, which orders "
            "from the API are paid with (INTEGRATION_ORDER_PAYMENT_PROVIDER)."
        )
    return method


# --- The answer ------------------------------------------------------------------


def _answer(order, data, products, *, playground: bool) -> dict:
    placed = {line.product_id: line for line in order.lines.all()}
    lines = []
    for requested, product in zip(data.lines, products, strict=True):
        line = placed[product.pk]
        lines.append(
            {
                "product_id": product.pk,
                "product_external_id": line.sku,
                "product_name": line.product_name,
                "quantity": line.quantity,
                "suggested_price": requested.suggested_price,
                "default_price": product.price,
                "customer_price": line.unit_price,
                "given_price": Decimal("0"),  # no promotions in this shop
                "promotion": None,
                "line_total": line.line_total,
                "vat_rate": line.vat_rate,
            }
        )
    return {
        "order_id": 0 if playground else order.pk,
        "order_number": None if playground else order.number,
        "playground": playground,
        "currency": order.currency,
        "lines": lines,
        "subtotal": order.subtotal,
        "discount": order.discount,
        "delivery_method_id": order.delivery_method_id,
        "delivery_cost": order.delivery_cost,
        "vat_total": order.vat_total,
        "grand_total": order.grand_total,
    }
