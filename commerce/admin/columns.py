"""Listing columns of the shop's admin: thumbnails, and money written by the one formatter
(the `money` tag, with the shop's currency read once per table, not once per cell)."""

from wagtail.admin.ui.tables import Column

from commerce.money import shop_currency


class ThumbnailColumn(Column):
    """The product's first image, small; the queryset prefetches images and renditions."""

    cell_template_name = "commerce/admin/thumbnail_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        images = list(instance.images.all())
        context["image"] = images[0].image if images else None
        return context


def table_currency(parent_context) -> str:
    """The shop's currency, looked up once for the whole table (kept on the table object,
    which lives for one request): a listing of 50 products costs one query, not 50."""
    table = parent_context["table"]
    if not hasattr(table, "shop_currency"):
        table.shop_currency = shop_currency(parent_context.get("request"))
    return table.shop_currency


class MoneyColumn(Column):
    """An amount ("1,234.50 EUR"), or a range "90.00 EUR – 120.00 EUR" when `high_accessor`
    names the top of it; "—" when there is no amount. Never wraps."""

    cell_template_name = "commerce/admin/money_cell.html"

    def __init__(self, name, high_accessor=None, **kwargs):
        kwargs.setdefault("classname", "w-whitespace-nowrap")
        super().__init__(name, **kwargs)
        self.high_accessor = high_accessor

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        low = context["raw_value"]
        high = getattr(instance, self.high_accessor) if self.high_accessor else None
        context.update(
            low=low,
            high=high if high is not None and high != low else None,
            currency=table_currency(parent_context),
        )
        return context
