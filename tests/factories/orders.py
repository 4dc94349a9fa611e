"""Orders built straight through the ORM, as checkout would leave them.

Stock is *not* taken here: a test that checks stock coming back sets the levels
it expects after placement itself.
"""

from decimal import Decimal

from commerce.models import (
    Coupon,
    CouponRedemption,
    DeliveryMethod,
    MockPayment,
    Order,
    OrderLine,
    OrderLineAllocation,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
)
from tests.factories.catalog import as_variant, make_warehouse

ADDRESS = {
    "full_name": "Ada Lovelace",
    "company": "",
    "line1": "1 Engine Street",
    "line2": "",
    "postal_code": "00-001",
    "city": "Warsaw",
    "country": "PL",
}

_counter = {"n": 0}


def make_payment_method(provider="cash_on_delivery", name=None, **fields):
    return PaymentMethod.objects.create(
        name=name or provider.replace("_", " ").capitalize(), provider=provider, **fields
    )


def make_delivery_method(name="Courier", price=Decimal("15.00"), **fields):
    return DeliveryMethod.objects.create(name=name, price=price, **fields)


def make_coupon(code="SAVE10", times_used=1, **fields):
    fields.setdefault("value", Decimal("10"))
    coupon = Coupon.objects.create(code=code, **fields)
    Coupon.objects.filter(pk=coupon.pk).update(times_used=times_used)
    coupon.refresh_from_db()
    return coupon


def make_order(
    lines=(),
    *,
    status=OrderStatus.NEW,
    provider="cash_on_delivery",
    payment_status=None,
    coupon=None,
    discount=Decimal("0.00"),
    delivery_cost=Decimal("15.00"),
    payment_method=None,
    **fields,
):
    """`lines`: (variant, quantity) or (variant, quantity, {warehouse code: units}); a
    product without axes stands for its one variant.

    Without a warehouse split, the whole quantity comes from warehouse "main".
    A card order ("mock_card") gets a captured MockPayment, as the mock provider
    leaves it at placement; offline orders wait for the money (pending).
    """
    _counter["n"] += 1
    n = _counter["n"]
    if payment_method is None:
        payment_method = make_payment_method(provider)
    if payment_status is None:
        if provider == "mock_card" or status not in (OrderStatus.NEW, OrderStatus.CANCELLED):
            payment_status = PaymentStatus.PAID
        else:
            payment_status = PaymentStatus.PENDING
    reference = f"ref-{n}"
    built = []
    subtotal = Decimal("0.00")
    for entry in lines:
        variant, quantity = as_variant(entry[0]), entry[1]
        split = entry[2] if len(entry) > 2 else {"main": quantity}
        total = variant.price * quantity
        subtotal += total
        built.append((variant, quantity, total, split))
    grand_total = subtotal - discount + delivery_cost
    fields.setdefault("email", "ada@example.com")
    fields.setdefault("full_name", "Ada Lovelace")
    order = Order.objects.create(
        number=fields.pop("number", f"SO-{n:05d}"),
        status=status,
        billing_address=fields.pop("billing_address", ADDRESS),
        delivery_address=fields.pop("delivery_address", ADDRESS),
        delivery_method_name="Courier",
        delivery_cost=delivery_cost,
        delivery_vat_rate=Decimal("23.00"),
        payment_method=payment_method,
        payment_method_name=payment_method.name,
        payment_provider=provider,
        payment_status=payment_status,
        payment_reference=reference,
        currency="EUR",
        subtotal=subtotal,
        discount=discount,
        coupon_code=coupon.code if coupon else "",
        vat_total=(grand_total * Decimal("23") / Decimal("123")).quantize(Decimal("0.01")),
        grand_total=grand_total,
        **fields,
    )
    if provider == "mock_card":
        MockPayment.objects.create(
            reference=reference, amount=grand_total, currency="EUR", status=payment_status
        )
    for index, (variant, quantity, total, split) in enumerate(built):
        line = OrderLine.objects.create(
            order=order,
            product=variant.product,
            variant=variant,
            product_name=variant.product.name,
            variant_name=variant.options_text,
            sku=variant.sku,
            unit_price=variant.price,
            quantity=quantity,
            line_total=total,
            discount=discount if index == 0 else Decimal("0.00"),  # all on the first line
            vat_rate=variant.product.vat_rate,
        )
        for code, units in split.items():
            OrderLineAllocation.objects.create(
                line=line, warehouse=make_warehouse(code), quantity=units
            )
    if coupon is not None:
        CouponRedemption.objects.create(coupon=coupon, order=order, email=order.email)
    return order
