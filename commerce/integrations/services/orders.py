"""Orders from the create-order API, placed by the storefront's own checkout service.

`create_order` checks the request against the shop (customer, variants,
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

A line names what it buys by `variant_id`, or by SKU (`sku`, or AMPER's
`product_external_id`: the variant's SKU). A `product_id` alone stands for the
product's variant when it has exactly one (a product without axes, and every
AMPER client that knows only products); a product sold in several variants
needs one of them named, and a line that names both must name a variant of
that product.

Promotions: the cart is priced by `services.cart.summarize` (the engine, with
the customer's promotions), what it gives is recorded on the cart as the
storefront records what a shopper was shown (`services.cart.acknowledge_changes`:
promoted prices, gift lines), and `place_order` recomputes it under its locks.
So an order from the API gets exactly the promotions and gifts the storefront
would give; `order_promotions` checks the lines' `promotion_id` and
`suggested_price` against that, and writes AMPER's `promotion` objects.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch

from commerce.inputs import normalise_email
from commerce.integrations.models import CustomerLink
from commerce.integrations.services import order_promotions
from commerce.models import (
    Address,
    Cart,
    CartLine,
    Checkout,
    DeliveryMethod,
    PaymentMethod,
    Product,
    ProductVariant,
)
from commerce.services import line_limits
from commerce.services.cart import acknowledge_changes, summarize
from commerce.services.checkout import place_order
from commerce.services.inventory import available_stock_subquery
from commerce.services.promotions import load_rules

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


def create_order(data, *, currency: str, promotion_url=None) -> dict:
    """Places the order (or prices it, for a playground request); returns the answer.

    `data` is the validated request (commerce.integrations.api.orders.CreateOrderIn);
    `promotion_url` maps a promotion to its storefront page's absolute URL (None: no
    shop page, no `promotion_url` in the answer). Raises InvalidOrder, or CheckoutError when
    placement itself refuses (e.g. the last units went to another buyer a moment
    earlier, or a promotion ended in between: TotalChanged).
    """
    try:
        with transaction.atomic():
            answer = _create(data, currency, promotion_url)
            if data.playground:
                raise _Playground(answer)
    except _Playground as dry_run:
        return dry_run.answer
    return answer


def _create(data, currency: str, promotion_url) -> dict:
    errors = _Errors()
    customer, address = _customer(data, errors)
    variants = _variants(data.lines, errors)
    delivery = _delivery(data.shipment_type_id, errors)
    payment = _payment(errors)

    # The lines that can be bought, priced as the storefront prices a cart, so the prices
    # and promotions are checked with everything else: every problem is told at once. A
    # refusal rolls the cart back with the rest.
    cart = Cart.objects.create(delivery_method=delivery, payment_method=payment)
    CartLine.objects.bulk_create(
        [
            CartLine(
                cart=cart,
                variant=variant,
                product_name=variant.description,
                quantity=line.quantity,
                unit_price=variant.price,
            )
            for line, variant in zip(data.lines, variants, strict=True)
            if variant is not None
        ]
    )
    rules = load_rules(user=customer)
    summary = summarize(cart, user=customer, rules=rules)
    states = _states_by_line(summary, variants)
    _check_promotions(data.lines, variants, states, summary, rules, errors)
    errors.raise_any()
    # What the "shopper" was shown, which placement holds the order to.
    acknowledge_changes(summary)
    snapshot = address.as_dict()
    checkout = Checkout.objects.create(
        cart=cart,
        email=normalise_email(customer.email),
        phone=address.phone,
        billing_address=snapshot,
        delivery_address=dict(snapshot),
        customer_note=data.description or "",
    )
    placement = place_order(
        checkout.token, user=customer, cart=cart, currency=currency, source=SOURCE
    )
    cart.delete()  # and its checkout; the order keeps its own copy of everything
    return _answer(
        placement.order,
        data,
        states,
        summary,
        order_promotions.Conditions(rules),
        playground=data.playground,
        promotion_url=promotion_url,
    )


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


def _variants(lines, errors: _Errors) -> list[ProductVariant | None]:
    """Each line's variant (None where it cannot be bought), with errors added."""
    variants = (
        ProductVariant.objects.select_related("product")
        .prefetch_related("options__definition")
        .annotate(stock_available=available_stock_subquery())
    )
    ids = {line.variant_id for line in lines if line.variant_id is not None}
    skus = {sku for line in lines for sku in (line.sku, line.product_external_id) if sku}
    product_ids = {line.product_id for line in lines if line.product_id is not None}
    by_id = {v.pk: v for v in variants.filter(pk__in=ids)} if ids else {}
    by_sku = {v.sku: v for v in variants.filter(sku__in=skus)} if skus else {}
    products = {}
    if product_ids:
        products = {
            p.pk: p
            for p in Product.objects.filter(pk__in=product_ids).prefetch_related(
                Prefetch("variants", queryset=variants.order_by("sort_order", "pk"))
            )
        }

    found: list[ProductVariant | None] = []
    seen: dict[int, int] = {}
    for index, line in enumerate(lines):
        prefix = f"lines.{index}"
        named, variant = _line_variant(line, prefix, by_id, by_sku, products, errors)
        if variant is not None:
            if variant.pk in seen:
                errors.add(
                    f"{prefix}.{named}",
                    f"{variant.description} is already on line {seen[variant.pk]}; "
                    "give each variant one line.",
                )
                variant = None
            else:
                seen[variant.pk] = index
        if variant is not None and not _line_is_sellable(line, variant, prefix, named, errors):
            variant = None
        found.append(variant)
    return found


def _line_variant(line, prefix, by_id, by_sku, products, errors: _Errors):
    """(the field that named it, the variant a line names), or (_, None) with an error added.

    Every way of naming it that the line gives must agree: variant_id, sku,
    product_external_id (a SKU too) and product_id (the variant's product).
    """
    missing = ("variant_id", None)
    named = []  # (field, variant)
    if line.variant_id is not None:
        variant = by_id.get(line.variant_id)
        if variant is None:
            errors.add(f"{prefix}.variant_id", f"No variant with id {line.variant_id}.")
            return missing
        named.append(("variant_id", variant))
    for name in ("sku", "product_external_id"):
        sku = getattr(line, name)
        if sku:
            variant = by_sku.get(sku)
            if variant is None:
                errors.add(f"{prefix}.{name}", f"No variant with SKU {sku!r}.")
                return missing
            named.append((name, variant))
    if line.product_id is not None:
        product = products.get(line.product_id)
        if product is None:
            errors.add(f"{prefix}.product_id", f"No product with id {line.product_id}.")
            return missing
        if named:
            name, variant = named[0]
            if variant.product_id != product.pk:
                errors.add(f"{prefix}.{name}", f"Not a variant of product {line.product_id}.")
                return missing
        else:
            choices = list(product.variants.all())
            if len(choices) != 1:
                axes = ", ".join(
                    sorted({o.definition.name for v in choices for o in v.options.all()})
                )
                errors.add(
                    f"{prefix}.variant_id",
                    f"{_public_name(product, product.name)} is sold in {len(choices)} variants"
                    + (f" ({axes})" if axes else "")
                    + ": give variant_id or sku.",
                )
                return missing
            named.append(("product_id", choices[0]))
    if not named:
        errors.add(f"{prefix}.variant_id", "Give variant_id, sku or product_id.")
        return missing
    first_name, variant = named[0]
    for name, other in named[1:]:
        if other.pk != variant.pk:
            errors.add(f"{prefix}.{name}", f"{first_name} and {name} name different variants.")
            return missing
    return first_name, variant


def _public_name(product, name: str) -> str:
    """A draft's name is not public (as services.line_limits words it)."""
    return name if product.live else "This product"


def _line_is_sellable(line, variant: ProductVariant, prefix: str, named: str, errors) -> bool:
    """The storefront's rules for a line (services.line_limits). A quantity over a limit
    is refused, not lowered as the cart does. (The price the caller expects is checked
    once the cart is priced: `_check_promotions`.)"""
    available = variant.available_quantity
    name = _public_name(variant.product, variant.description)
    if not variant.is_purchasable:
        refused = line_limits.refusal(None, available, name=name)
        errors.add(f"{prefix}.{named}", refused.message)
        return False
    ok = True
    capped = line_limits.cap(line.quantity, available=available)
    if available <= 0:
        errors.add(f"{prefix}.quantity", f"{name} is out of stock.")
        ok = False
    elif capped.over_stock:
        errors.add(f"{prefix}.quantity", f"Only {available} of {name} in stock.")
        ok = False
    if capped.over_maximum:
        most = line_limits.max_line_quantity()
        errors.add(f"{prefix}.quantity", f"At most {most} units of one product per order.")
        ok = False
    return ok


def _states_by_line(summary, variants) -> list:
    """The summary's bought line for each request line (one line per variant; None for a
    line that cannot be bought)."""
    by_variant = {state.variant.pk: state for state in summary.bought_lines}
    return [by_variant[variant.pk] if variant is not None else None for variant in variants]


def _check_promotions(lines, variants, states, summary, rules, errors: _Errors) -> None:
    """The price each line expects and the promotion it names, against the engine's."""
    for index, (line, variant, state) in enumerate(zip(lines, variants, states, strict=True)):
        if state is None:
            continue
        name = _public_name(variant.product, variant.description)
        refused = order_promotions.price_refusal(line, state, name)
        if refused:
            errors.add(f"lines.{index}.suggested_price", refused)
    for refusal in order_promotions.promotion_refusals(lines, states, summary, rules):
        errors.add(refusal.field, refusal.message)


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


def _answer(order, data, states, summary, conditions, *, playground: bool, promotion_url) -> dict:
    """The order's lines as AMPER answers them: the requested lines in their order, then
    the gifts the promotions added (`is_gift: true`, price 0)."""
    placed = list(order.lines.order_by("id"))
    bought = {line.variant_id: line for line in placed if not line.is_gift}
    gifts = {(line.promotion_id, line.variant_id): line for line in placed if line.is_gift}

    def promotion(source, price, line):
        return conditions.promotion_object(
            source,
            price=price,
            relation_id=0 if playground else line.pk,
            promotion_url=promotion_url,
        )

    lines = []
    for requested, state in zip(data.lines, states, strict=True):
        line = bought[state.variant.pk]
        applied = state.promotion
        lines.append(
            {
                **_line_fields(line, state.variant),
                "suggested_price": requested.suggested_price,
                "given_price": line.unit_price if applied else Decimal("0"),
                "promotion": promotion(applied, line.unit_price, line) if applied else None,
            }
        )
    for state in summary.gift_lines:
        line = gifts[(state.gift.promotion_id, state.variant.pk)]
        lines.append(
            {
                **_line_fields(line, state.variant),
                "suggested_price": None,
                "given_price": line.unit_price,
                "promotion": promotion(state.gift, line.unit_price, line),
            }
        )
    # A hint on a bought line names it; one about a gift names the gift itself.
    names = {state.variant.pk: f"{state.name}: " for state in states}
    notes = [shortfall.message for shortfall in summary.gift_shortfalls] + [
        f"{names.get(hint.variant_id, '')}{hint.message}." for hint in summary.hints
    ]
    return {
        "order_id": 0 if playground else order.pk,
        "order_number": None if playground else order.number,
        "playground": playground,
        "currency": order.currency,
        "lines": lines,
        "notes": notes,
        "subtotal": order.subtotal,
        "discount": order.discount,
        "delivery_method_id": order.delivery_method_id,
        "delivery_cost": order.delivery_cost,
        "vat_total": order.vat_total,
        "grand_total": order.grand_total,
    }


def _line_fields(line, variant) -> dict:
    return {
        "product_id": variant.product_id,
        "variant_id": variant.pk,
        "product_external_id": line.sku,
        "sku": line.sku,
        "product_name": line.description,
        "quantity": line.quantity,
        "is_gift": line.is_gift,
        "default_price": variant.price,
        "customer_price": line.regular_unit_price or line.unit_price,
        "line_total": line.line_total,
        "vat_rate": line.vat_rate,
    }
