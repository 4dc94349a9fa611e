"""What refers to a product or a category: what staff are told before deleting one.

Deleting loses nothing it should keep (cart, list and order lines keep their
name, SKU and price; a restricted coupon stays restricted), but it does change
what shoppers see, so the admin's delete confirmation says how much. Every
count is one query, whatever the number of rows referring.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

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
    def distinct(model, field, lookup):
        return model.objects.filter(**{lookup: product_ids}).values(field).distinct().count()

    # Cart lines and list items point at a variant; order lines also keep their product.
    return {
        "carts": distinct(CartLine, "cart_id", "variant__product_id__in"),
        "lists": distinct(ShoppingListItem, "shopping_list_id", "variant__product_id__in"),
        "orders": distinct(OrderLine, "order_id", "product_id__in"),
    }


@dataclass(frozen=True)
class VariantImpact:
    carts: int
    lists: int
    orders: int

    def __bool__(self):
        return bool(self.carts or self.lists or self.orders)


def variant_delete_impacts(variant_ids) -> dict[int, VariantImpact]:
    """{variant id: what refers to it} for several variants (a product's inline), in three
    queries; variants nothing refers to are left out."""
    counts: dict[int, dict[str, int]] = {}
    for name, model, holder in (
        ("carts", CartLine, "cart_id"),
        ("lists", ShoppingListItem, "shopping_list_id"),
        ("orders", OrderLine, "order_id"),
    ):
        rows = (
            model.objects.filter(variant_id__in=list(variant_ids))
            .values("variant_id")
            .annotate(n=Count(holder, distinct=True))
            .values_list("variant_id", "n")
        )
        for variant_id, n in rows:
            counts.setdefault(variant_id, {"carts": 0, "lists": 0, "orders": 0})[name] = n
    return {variant_id: VariantImpact(**per) for variant_id, per in counts.items()}


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
