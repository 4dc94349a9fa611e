"""The contract every payment provider meets.

A provider is a small class with a `code`, a display `name`, an optional
`form_class` (what the shopper types at checkout, e.g. card details) and four
operations. Order placement calls `authorize` inside its transaction, after
stock is taken, as the last step: a decline rolls everything back, so a
declined payment never leaves an order or takes stock. The order is marked
paid only from what a provider returns (`PaymentResult.status`); no view sets
it by hand.
"""

from dataclasses import dataclass
from decimal import Decimal

from commerce.models.orders import PaymentStatus


@dataclass(frozen=True)
class PaymentResult:
    ok: bool
    status: str = PaymentStatus.PENDING
    reference: str = ""
    message: str = ""


class PaymentDeclined(Exception):
    """The provider said no; the message is safe to show the shopper."""


class PaymentProvider:
    code: str = ""
    name: str = ""
    form_class = None  # a django.forms.Form subclass, or None when nothing is asked
    # Offline providers (cash on delivery, bank transfer) are settled by staff in the admin.
    settled_by_staff = False

    def authorize(
        self, *, amount: Decimal, currency: str, reference: str, data: dict
    ) -> PaymentResult:
        """Reserve `amount`. `reference` is the checkout's token: the same reference
        twice must not take money twice."""
        raise NotImplementedError

    def capture(self, *, payment_reference: str, amount: Decimal) -> PaymentResult:
        raise NotImplementedError

    def refund(self, *, payment_reference: str, amount: Decimal) -> PaymentResult:
        raise NotImplementedError

    def void(self, *, payment_reference: str) -> PaymentResult:
        """Release an authorization that no order will use."""
        raise NotImplementedError
