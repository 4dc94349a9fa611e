"""Product sections on editor-built pages: which products each one shows.

All sections of a page resolve together: one UNION query picks the ids for
every featured/newest/category section (each with its own order and limit),
then one tile query (plus its prefetches, and one query for the options the tiles
have in stock) loads them all. On PostgreSQL the page's query count does not grow
with the number of sections, of products, of their variants or axes.
"""

from django.db import connection
from django.db.models import IntegerField, Value

from commerce.models import Category, Product
from commerce.services.catalog.listing import (
    in_category_q,
    storefront_branch_ids,
    tile_details,
    tile_queryset,
)


def _ids_query(section, index, branches):
    products = Product.objects.visible()
    source = section["source"]
    if source == "featured":
        products = products.filter(is_featured=True).order_by("-updated_at", "-pk")
    elif source == "newest":
        products = products.order_by("-created_at", "-pk")
    elif source == "category":
        category = section.get("category")
        if category is None or not isinstance(category, Category):
            return None
        products = products.filter(in_category_q(category, branches[category.pk])).order_by(
            "name", "pk"
        )
    else:
        return None
    return products.annotate(section=Value(index, output_field=IntegerField())).values_list(
        "section", "pk"
    )[: section["count"]]


def resolve_product_sections(sections, request=None):
    """Sets `resolved_products` on each ProductSectionValue in `sections`."""
    from commerce.models import ShopPage

    ids_by_section: dict[int, list[int]] = {i: [] for i in range(len(sections))}
    categories = [
        s["category"]
        for s in sections
        if s["source"] == "category" and isinstance(s.get("category"), Category)
    ]
    branches = storefront_branch_ids(categories, request) if categories else {}
    queries = [
        q for q in (_ids_query(s, i, branches) for i, s in enumerate(sections)) if q is not None
    ]
    if len(queries) > 1 and connection.features.supports_slicing_ordering_in_compound:
        rows = queries[0].union(*queries[1:], all=True)
    else:
        # SQLite cannot LIMIT inside a UNION: one small query per section there.
        rows = [row for query in queries for row in query]
    for index, pk in rows:
        ids_by_section[index].append(pk)
    for index, section in enumerate(sections):
        if section["source"] == "manual":
            # All chosen ids: hidden ones drop out below, before the count applies.
            ids_by_section[index] = [p.pk for p in section.get("products") or [] if p is not None]

    wanted = {pk for ids in ids_by_section.values() for pk in ids}
    products = {p.pk: p for p in tile_queryset().filter(pk__in=wanted)} if wanted else {}
    tile_details(products.values(), ShopPage.for_request(request), request)
    for index, section in enumerate(sections):
        section.resolved_products = [products[pk] for pk in ids_by_section[index] if pk in products]
