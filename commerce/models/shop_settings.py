"""Shop-wide texts editors keep in Settings: the product page's delivery-and-returns note."""

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField


@register_setting(icon="doc-full")
class ProductPageSettings(BaseSiteSetting):
    """Shown on every product page, under "Add to cart", folded (a <details>)."""

    delivery_returns_heading = models.CharField(
        "heading", max_length=80, default="Delivery and returns"
    )
    delivery_returns = RichTextField(
        "delivery and returns note",
        blank=True,
        features=["bold", "italic", "link", "ul", "ol"],
        help_text="Delivery times and costs, how to return; empty: nothing is shown.",
    )

    panels = [FieldPanel("delivery_returns_heading"), FieldPanel("delivery_returns")]

    class Meta:
        verbose_name = "product page"
