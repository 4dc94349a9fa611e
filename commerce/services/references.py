"""What refers to a product or a category: what staff are told before deleting one.

Deleting loses nothing it should keep (cart, list and order lines keep their
name, SKU and price; a restricted coupon stays restricted), but it does change
what shoppers see, so the admin's delete confirmation says how much. Every
count is one query, whatever the number of rows referring.
"""

from dataclasses import dataclass

from django.db.models import Q

from commerce.models import CartLine, Coupon, CouponScope, OrderLine, Product, ShoppingListItem


@dataclass(frozen=True)
class DeleteImpact:
    carts: int
    lists: int
    coupons: int
    coupons_left_empty: int  # restricted coupons that would then apply to nothing
    orders: int
    products: int | None = None  # a category's products (they stay, without it)


def _holders(product_ids) -> dict[str, int]:
    """Cart and list lines hold a variant of the product, order lines the product too."""

    def distinct(model, field, lookup):
        return model.objects.filter(**{lookup: product_ids}).values(field).distinct().count()

    return {
        "carts": distinct(CartLine, "cart_id", "variant__product_id__in"),
        "lists": distinct(ShoppingListItem, "shopping_list_id", "variant__product_id__in"),
        "orders": distinct(OrderLine, "order_id", "product_id__in"),
    }


def _coupons(target: Q, *, last_of: str, other: str, other_uses: str) -> tuple[int, int]:
    """(coupons naming the target, those for which it is the last target their scope uses)."""
    coupons = list(
        Coupon.objects.filter(target).with_target_counts().values("scope", last_of, other)
    )
    left_empty = 0
    for row in coupons:
        scope = CouponScope(row["scope"])
        if row[last_of] == 1 and not (getattr(scope, other_uses) and row[other]):
            left_empty += 1
    return len(coupons), left_empty


def product_delete_impact(product: Product) -> DeleteImpact:
    coupons, left_empty = _coupons(
        Q(products=product, scope__in=_scopes("uses_products")),
        last_of="product_count",
        other="category_count",
        other_uses="uses_categories",
    )
    return DeleteImpact(**_holders([product.pk]), coupons=coupons, coupons_left_empty=left_empty)


def category_delete_impact(category) -> DeleteImpact:
    """Its products are the ones with it as main or additional category."""
    product_ids = Product.objects.filter(
        Q(main_category=category) | Q(additional_categories=category)
    ).values("pk")
    coupons, left_empty = _coupons(
        Q(categories=category, scope__in=_scopes("uses_categories")),
        last_of="category_count",
        other="product_count",
        other_uses="uses_products",
    )
    return DeleteImpact(
        **_holders(product_ids),
        coupons=coupons,
        coupons_left_empty=left_empty,
        products=Product.objects.filter(pk__in=product_ids).count(),
    )


def _scopes(uses: str) -> list[str]:
    return [scope.value for scope in CouponScope if getattr(scope, uses)]
