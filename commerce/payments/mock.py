"""A card provider for development and tests: no network, deterministic answers.

Card 4000 0000 0000 0002 is declined; any other number that passes the Luhn
check with a future expiry is approved and captured at once. Payments are
remembered in the database (MockPayment), so `status` answers across processes
and `authorize` with the same reference returns the first result.
"""

import re
from decimal import Decimal

from django import forms
from django.utils import timezone

from commerce.models.orders import PaymentStatus

from .base import PaymentProvider, PaymentResult

DECLINED_CARD = "4000000000000002"


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    for i in range(len(digits) - 2, -1, -2):
        digits[i] = digits[i] * 2 - 9 if digits[i] > 4 else digits[i] * 2
    return sum(digits) % 10 == 0


class MockCardForm(forms.Form):
    card_number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    expiry = forms.CharField(
        label="Expiry",
        max_length=7,
        help_text="Month and year, e.g. 04/29.",
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-exp", "inputmode": "numeric", "placeholder": "MM/YY"}
        ),
    )
    cvc = forms.CharField(
        label="CVC",
        max_length=4,
        help_text="The 3 or 4 digits on the back of the card.",
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def clean_card_number(self):
        number = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        # [0-9], not isdigit(): "²" is a digit to isdigit() and not to int().
        if not re.fullmatch(r"[0-9]{12,19}", number) or not luhn_ok(number):
            raise forms.ValidationError("This card number is not valid.")
        return number

    def clean_expiry(self):
        match = re.fullmatch(
            r"\s*([0-9]{1,2})\s*/\s*([0-9]{2}|[0-9]{4})\s*", self.cleaned_data["expiry"]
        )
        if not match:
            raise forms.ValidationError("Use MM/YY.")
        month, year = int(match[1]), int(match[2])
        year = year + 2000 if year < 100 else year
        if not 1 <= month <= 12:
            raise forms.ValidationError("The month must be 01–12.")
        today = timezone.localdate()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError("This card has expired.")
        return f"{month:02d}/{year % 100:02d}"

    def clean_cvc(self):
        cvc = self.cleaned_data["cvc"].strip()
        if not re.fullmatch(r"[0-9]{3,4}", cvc):
            raise forms.ValidationError("The security code has 3 or 4 digits.")
        return cvc


class MockCardProvider(PaymentProvider):
    code = "mock_card"
    name = "Test card (mock)"
    form_class = MockCardForm

    def authorize(self, *, amount: Decimal, currency: str, reference: str, data: dict):
        from commerce.models import MockPayment

        existing = MockPayment.objects.filter(reference=reference).first()
        if existing is not None:
            return PaymentResult(ok=True, status=existing.status, reference=existing.reference)
        if data.get("card_number") == DECLINED_CARD:
            return PaymentResult(ok=False, message="Your card was declined. No money was taken.")
        payment = MockPayment.objects.create(
            reference=reference,
            amount=amount,
            currency=currency,
            card_last4=data.get("card_number", "")[-4:],
            status=PaymentStatus.PAID,
        )
        return PaymentResult(ok=True, status=payment.status, reference=payment.reference)

    def _set_status(self, payment_reference, status):
        from commerce.models import MockPayment

        updated = MockPayment.objects.filter(reference=payment_reference).update(status=status)
        if not updated:
            return PaymentResult(ok=False, message="No such payment.")
        return PaymentResult(ok=True, status=status, reference=payment_reference)

    def capture(self, *, payment_reference: str, amount: Decimal):
        return self._set_status(payment_reference, PaymentStatus.PAID)

    def refund(self, *, payment_reference: str, amount: Decimal):
        return self._set_status(payment_reference, PaymentStatus.REFUNDED)

    def void(self, *, payment_reference: str):
        return self._set_status(payment_reference, PaymentStatus.VOIDED)
