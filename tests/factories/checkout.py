"""Carts and checkouts ready to place, built through the services shoppers use."""

from decimal import Decimal

ADDRESS = {
    "full_name": "Ada Lovelace",
    "company": "",
    "line1": "1 Analytical Street",
    "line2": "",
    "postal_code": "00-001",
    "city": "Warsaw",
    "country": "PL",
}


def make_delivery_method(name="Courier", price="10.00", free_from=None, **fields):
    from commerce.models import DeliveryMethod

    return DeliveryMethod.objects.create(
        name=name,
        price=Decimal(price),
        free_from=Decimal(free_from) if free_from is not None else None,
        **fields,
    )


def make_payment_method(provider="mock_card", name=None, **fields):
    from commerce.models import PaymentMethod

    return PaymentMethod.objects.create(name=name or provider, provider=provider, **fields)


def make_coupon(code="SAVE10", value="10", kind="percent", **fields):
    from commerce.models import Coupon

    return Coupon.objects.create(code=code, value=Decimal(value), kind=kind, **fields)


def make_cart(items=(), *, user=None, coupon_code="", delivery=None, payment=None):
    """`items` are (variant, quantity) pairs, added through services.cart; a product
    without axes stands for its one variant."""
    from commerce.models import Cart
    from commerce.services.cart import add_variant

    from .catalog import as_variant

    cart = Cart.objects.create(user=user)
    for item, quantity in items:
        add_variant(cart, as_variant(item).pk, quantity)
    cart.coupon_code = coupon_code
    cart.delivery_method = delivery
    cart.payment_method = payment
    cart.save()
    return cart


def ready_checkout(cart, email="ada@example.com"):
    """A checkout with contact details filled in, as the details step leaves it."""
    from commerce.services.checkout import open_checkout, save_contact

    checkout, _ = open_checkout(cart)
    save_contact(
        checkout,
        email=email,
        phone="",
        billing_address=dict(ADDRESS),
        delivery_address=dict(ADDRESS),
    )
    return checkout


GOOD_CARD = {"card_number": "4242424242424242", "expiry": "12/39", "cvc": "123"}
DECLINED_CARD = {"card_number": "4000000000000002", "expiry": "12/39", "cvc": "123"}
