"""The shop's bank account, which shoppers paying by bank transfer send the money to."""

from django.db import models
from localflavor.generic.models import BICField, IBANField
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


@register_setting(icon="doc-full")
class BankDetails(BaseSiteSetting):
    """Shown on the confirmation page and in the order e-mail of an order paid by transfer.

    Until the account holder and the IBAN are both set (`is_complete`), shoppers see only
    the amount and the reference: half an account is worse than none.
    """

    account_holder = models.CharField(max_length=140, blank=True)
    iban = IBANField("IBAN", blank=True)
    bic = BICField("BIC", blank=True)
    bank_name = models.CharField(max_length=140, blank=True)

    panels = [
        FieldPanel("account_holder"),
        FieldPanel("iban"),
        FieldPanel("bic"),
        FieldPanel("bank_name"),
    ]

    class Meta:
        verbose_name = "bank details"
        verbose_name_plural = "bank details"

    def __str__(self):
        return self.account_holder or "Bank details"

    @property
    def is_complete(self) -> bool:
        return bool(self.account_holder and self.iban)

    @property
    def iban_display(self) -> str:
        """The IBAN in groups of four, as banks print it (stored without spaces)."""
        compact = self.iban.replace(" ", "")
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
