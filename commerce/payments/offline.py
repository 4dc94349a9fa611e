"""Cash on delivery and bank transfer: nothing to authorize; staff record the money."""

from decimal import Decimal

from commerce.models.orders import PaymentStatus

from .base import PaymentProvider, PaymentResult


class OfflineProvider(PaymentProvider):
    settled_by_staff = True

    def authorize(self, *, amount: Decimal, currency: str, reference: str, data: dict):
        return PaymentResult(ok=True, status=PaymentStatus.PENDING, reference=reference)

    def capture(self, *, payment_reference: str, amount: Decimal):
        # Called when staff confirm in the admin that the money arrived.
        return PaymentResult(ok=True, status=PaymentStatus.PAID, reference=payment_reference)

    def refund(self, *, payment_reference: str, amount: Decimal):
        return PaymentResult(ok=True, status=PaymentStatus.REFUNDED, reference=payment_reference)

    def void(self, *, payment_reference: str):
        return PaymentResult(ok=True, status=PaymentStatus.VOIDED, reference=payment_reference)


class CashOnDeliveryProvider(OfflineProvider):
    code = "cash_on_delivery"
    name = "Cash on delivery"


class BankTransferProvider(OfflineProvider):
    code = "bank_transfer"
    name = "Bank transfer"
