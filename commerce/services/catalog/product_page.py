"""The product page: the live product with everything it shows, and its context."""

from django.db.models import Prefetch

from commerce.models import AttributeOption, Product
from commerce.services.inventory import available_stock_subquery
from commerce.services.line_limits import max_line_quantity

from .listing import breadcrumb_links, image_prefetches, storefront_trail


def get_visible_product(slug):
    """The live version of a listed product, with everything its page shows; None if hidden."""
    return (
        Product.objects.visible()
        .filter(slug=slug)
        .select_related("main_category")
        .annotate(stock_available=available_stock_subquery())
        .prefetch_related(
            *image_prefetches(),
            Prefetch(
                "attribute_options",
                queryset=AttributeOption.objects.select_related("definition").order_by(
                    "definition__sort_order", "definition__name", "sort_order"
                ),
            ),
        )
        .first()
    )


def grouped_attributes(product):
    """[(definition name, [values])] in the definitions' order."""
    groups: dict = {}
    for option in product.attribute_options.all():
        groups.setdefault(option.definition, []).append(option.value)
    return [(definition.name, values) for definition, values in groups.items()]


def product_detail_context(product, request, preview=False):
    from commerce.models import ShopPage

    shop = ShopPage.for_request(request)
    category = product.main_category
    breadcrumb = []
    if shop and category:
        # No links into a branch that is switched off (those pages are 404).
        breadcrumb = breadcrumb_links(storefront_trail(category) or [], shop, request)
    return {
        "shop": shop,
        "page": shop,
        "product": product,
        "product_url": shop.product_url(product, request) if shop and not preview else "",
        "breadcrumb": breadcrumb,
        "attributes": grouped_attributes(product),
        "is_preview": preview,
        # The form's own bound; the cart applies the same limit (services.line_limits).
        "max_line_quantity": max_line_quantity(),
    }
