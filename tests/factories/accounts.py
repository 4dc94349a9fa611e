"""Shoppers and their orders, built straight through the ORM for the account tests."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from commerce.models import Address, Order, OrderStatus, OrderStatusChange

PASSWORD = "correct-horse-battery-staple"

_counter = {"n": 0}


def _next():
    _counter["n"] += 1
    return _counter["n"]


def make_customer(email=None, password=PASSWORD):
    email = email or f"shopper{_next()}@example.com"
    return get_user_model().objects.create_user(
        username=email.lower(), email=email.lower(), password=password
    )


def address_data(**overrides):
    data = {
        "label": "Home",
        "full_name": "Anna Nowak",
        "company": "",
        "line1": "ul. Prosta 1",
        "line2": "",
        "postal_code": "00-001",
        "city": "Warszawa",
        "country": "PL",
    }
    data.update(overrides)
    return data


def make_address(user, **overrides):
    is_default = overrides.pop("is_default", False)
    return Address.objects.create(user=user, is_default=is_default, **address_data(**overrides))


def make_order(user=None, *, number=None, lines=(("Blue mug", "MUG-1", "12.50", 2),), **fields):
    """A placed order with lines and its first history entry; `user=None` is a guest order.

    `lines`: (product name, SKU, price, quantity), optionally + the variant's options
    text ("Size M, Colour Green")."""
    n = _next()
    subtotal = sum(Decimal(line[2]) * line[3] for line in lines)
    delivery_cost = Decimal(fields.pop("delivery_cost", "9.99"))
    address = address_data(full_name=fields.pop("full_name", "Anna Nowak"))
    address.pop("label")
    order = Order.objects.create(
        number=number or f"T{n:06d}",
        user=user,
        email=fields.pop("email", user.email if user else f"guest{n}@example.com"),
        full_name=address["full_name"],
        billing_address=address,
        delivery_address=fields.pop("delivery_address", address),
        delivery_method_name="Courier",
        delivery_cost=delivery_cost,
        delivery_vat_rate=Decimal("23"),
        payment_method_name="Bank transfer",
        payment_provider="bank_transfer",
        currency="PLN",
        subtotal=subtotal,
        discount=Decimal("0"),
        vat_total=((subtotal + delivery_cost) * Decimal("23") / Decimal("123")).quantize(
            Decimal("0.01")
        ),
        grand_total=subtotal + delivery_cost,
        **fields,
    )
    for name, sku, price, quantity, *variant_name in lines:
        order.lines.create(
            product_name=name,
            variant_name=variant_name[0] if variant_name else "",
            sku=sku,
            unit_price=Decimal(price),
            quantity=quantity,
            line_total=Decimal(price) * quantity,
            vat_rate=Decimal("23"),
        )
    OrderStatusChange.objects.create(order=order, from_status="", to_status=OrderStatus.NEW)
    return order
