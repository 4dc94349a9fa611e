"""What a signed-in shopper may see of past orders: their own, and nothing else."""

from commerce.models import Order, OrderStatus


def orders_of(user):
    """Orders placed while signed in as `user`.

    Guest orders with the same e-mail are deliberately *not* included: sign-up
    does not prove the shopper owns the address, so matching on it would show
    strangers' orders to whoever registers their e-mail first.
    """
    return Order.objects.filter(user=user, number__isnull=False)


def order_for_customer(user, number: str) -> Order | None:
    """One of `user`'s orders, with everything its page shows, or None."""
    return orders_of(user).filter(number=number).prefetch_related("lines", "history").first()


def status_history(order) -> list[dict]:
    """The order's status changes as the shopper sees them: when and what, by label.

    Staff notes stay out: they are written for colleagues, not customers.
    """
    labels = dict(OrderStatus.choices)
    return [
        {"at": change.changed_at, "status": labels.get(change.to_status, change.to_status)}
        for change in order.history.all()
    ]
