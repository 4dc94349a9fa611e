"""Listing columns of the shop's admin: thumbnails, and money written by the one formatter
(the `money` tag, with the shop's currency read once per table, not once per cell)."""

from wagtail.admin.ui.tables import Column, LiveStatusTagColumn

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
    names the top of it; "—" when there is no amount. An amount never wraps; a range may
    between its two amounts."""

    cell_template_name = "commerce/admin/money_cell.html"

    def __init__(self, name, high_accessor=None, **kwargs):
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


class SkuColumn(Column):
    """The product's SKU, or its first SKU and how many more: a SKU is never broken across
    lines ("+ 3 more" may go to the next)."""

    cell_template_name = "commerce/admin/sku_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        skus = [variant.sku for variant in instance.variants.all()]  # prefetched
        context.update(first_sku=skus[0] if skus else None, more=len(skus) - 1)
        return context


class ProductStatusColumn(LiveStatusTagColumn):
    """Wagtail's tag (live, draft, scheduled, live + draft, live + scheduled, expired) and,
    under it, what shoppers get now (`Product.listing_status`): one column, not two."""

    cell_template_name = "commerce/admin/product_status_cell.html"
