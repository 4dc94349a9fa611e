"""Listings: the catalog, category and search pages, and the product sections' tiles.

Which products (category branches on the storefront, search, price and stock
filters), the attribute facets with their counts, and one page of them in order.
Every function here runs a fixed number of queries whatever the page size, the
number of attributes or the number of warehouses: tests hold it to that with
`django_assert_max_num_queries`.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from commerce.inputs import parse_int
from commerce.models import AttributeDefinition, AttributeOption, Category, Product, ProductImage
from commerce.models.catalog import ean_format_ok
from commerce.services.inventory import available_stock_subquery

from .listing_query import PAGE_SIZES, SORTS, ListingQuery, parse_listing_query

SEARCH_RESULT_LIMIT = 500  # more hits than anyone pages through; keeps search bounded


def image_prefetches():
    """A product's images in gallery order, their image rows and all renditions: 2 queries."""
    images = ProductImage.objects.order_by("sort_order", "pk").select_related("image")
    return [Prefetch("images", queryset=images), "images__image__renditions"]


def tile_queryset():
    """Visible products with what a tile shows: images and renditions, tile attributes, stock."""
    tile_options = (
        AttributeOption.objects.filter(definition__show_on_tile=True)
        .select_related("definition")
        .order_by("definition__sort_order", "sort_order")
    )
    return (
        Product.objects.visible()
        .select_related("main_category")
        .annotate(stock_available=available_stock_subquery())
        .prefetch_related(
            *image_prefetches(),
            Prefetch("attribute_options", queryset=tile_options, to_attr="tile_attributes"),
        )
        .defer("description")
    )


def storefront_branch_ids(categories) -> dict[int, list[int]]:
    """For each category, the ids of its storefront branch (itself and the descendants
    shoppers can reach; empty when it is switched off), from one query."""
    rows = list(Category.objects.on_storefront().values_list("pk", "slug_path"))
    return {
        category.pk: [pk for pk, path in rows if category.branch_holds(path)]
        for category in categories
    }


def storefront_trail(category: Category) -> list[Category] | None:
    """The category's ancestors and itself, root first, in one query; None when shoppers
    cannot reach it (it or an ancestor is switched off)."""
    paths = [*category.ancestor_paths, category.slug_path]
    found = {c.slug_path: c for c in Category.objects.on_storefront().filter(slug_path__in=paths)}
    if category.slug_path not in found:
        return None
    return [found[path] for path in paths if path in found]


def in_category_q(category: Category, ids: list[int] | None = None) -> Q:
    """Products whose main or additional category is in the category's active branch.

    Filters on a literal id list: it lets PostgreSQL plan the listing cheaply,
    where a nested subquery made it estimate, and JIT-compile, a scan of the
    whole catalog. Pass `ids` (from `storefront_branch_ids`) to resolve many at once.
    """
    if ids is None:
        ids = storefront_branch_ids([category])[category.pk]
    return in_categories_q(ids)


def in_categories_q(category_ids) -> Q:
    """Products whose main or any additional category is one of `category_ids`."""
    extra = Product.additional_categories.through.objects.filter(
        product_id=OuterRef("pk"), category_id__in=category_ids
    )
    return Q(main_category_id__in=category_ids) | Q(Exists(extra))


def search_product_ids(query: str) -> list[int]:
    """Ids of visible products matching the query, most relevant first.

    Exact SKU/EAN matches first, then Wagtail's search framework (the database
    backend; PostgreSQL full-text search in production) over name, SKU, EAN,
    descriptions and category name.
    """
    # A pasted SKU or EAN should find its product first, whatever the text
    # search makes of the punctuation in codes like "AB-1234/X".
    # Only a well-formed EAN is compared with `ean` (which has no index): an OR on it
    # turned every search into a scan of the whole product table.
    code = Q(sku__iexact=query) | Q(ean=query) if ean_format_ok(query) else Q(sku__iexact=query)
    exact = list(Product.objects.visible().filter(code).values_list("pk", flat=True)[:10])
    # Only ids: loading whole rows for up to SEARCH_RESULT_LIMIT hits doubles the cost.
    results = Product.objects.visible().only("pk").search(query, order_by_relevance=True)
    ranked = exact + [p.pk for p in results[:SEARCH_RESULT_LIMIT] if p.pk not in exact]
    return ranked[:SEARCH_RESULT_LIMIT]


def apply_filters(products, listing: ListingQuery):
    """Price and availability. Attribute filters are separate: facets need results without them."""
    if listing.min_price is not None:
        products = products.filter(price__gte=listing.min_price)
    if listing.max_price is not None:
        products = products.filter(price__lte=listing.max_price)
    if listing.in_stock:
        # "In stock" means "can be bought now": a disabled product is not, whatever its stock.
        products = products.purchasable().filter(stock_available__gt=0)
    return products


def selected_options_by_definition(listing: ListingQuery, options_by_id: dict) -> dict:
    selected: dict[int, list[int]] = {}
    for option_id in listing.option_ids:
        option = options_by_id.get(option_id)
        if option is not None:
            selected.setdefault(option.definition_id, []).append(option_id)
    return selected


def has_any_option(option_ids, product_ref="pk"):
    through = Product.attribute_options.through
    return Exists(
        through.objects.filter(product_id=OuterRef(product_ref), attributeoption_id__in=option_ids)
    )


def apply_attribute_filters(products, selected: dict):
    """Options of one attribute widen the choice (red OR blue); attributes narrow it
    (red AND cotton)."""
    for option_ids in selected.values():
        products = products.filter(has_any_option(option_ids))
    return products


def paginate(products, listing: ListingQuery, ranked_ids: list[int] | None, raw_page):
    """One page of products, in the listing's order; same query count either way."""
    if listing.sort == "relevance" and ranked_ids is not None:
        # Relevance order comes from the search backend: keep it in Python
        # rather than a thousand-branch CASE that PostgreSQL would sort by.
        matching = set(products.values_list("pk", flat=True))
        ordered_ids = [pk for pk in ranked_ids if pk in matching]
        paginator = Paginator(ordered_ids, listing.per_page)
        page = paginator.page(clamp_page_number(raw_page, paginator.num_pages))
        by_id = {product.pk: product for product in products.filter(pk__in=page.object_list)}
        page.object_list = [by_id[pk] for pk in page.object_list if pk in by_id]
        return page
    ordered = products.order_by(*SORTS.get(listing.sort, SORTS["name"])[1])
    paginator = Paginator(ordered, listing.per_page)
    return paginator.page(clamp_page_number(raw_page, paginator.num_pages))


def attach_urls(products, shop, request):
    """Each product's storefront URL, computed once per page, without queries."""
    base = shop.get_url(request=request) if shop else ""
    for product in products:
        product.storefront_url = base + shop.product_subpath(product) if shop else ""
    return products


@dataclass
class Facet:
    definition: AttributeDefinition
    options: list


def build_facets(definitions, base_products, selected: dict):
    """Filterable attributes with, per option, how many products choosing it would show.

    Each attribute's options are counted with the other attributes' filters
    applied but not its own, so ticking "Red" still offers "Blue (3)". One
    query, however many attributes are selected.
    """
    through = Product.attribute_options.through
    rows = through.objects.filter(product__in=base_products.order_by().values("pk"))
    flags = {}
    for definition_id, option_ids in selected.items():
        flags[definition_id] = f"matches_{definition_id}"
        rows = rows.annotate(**{flags[definition_id]: has_any_option(option_ids, "product_id")})

    def others_match(own_definition_id):
        return {flag: True for d, flag in flags.items() if d != own_definition_id}

    condition = Q(~Q(attributeoption__definition_id__in=list(flags)), **others_match(None))
    for definition_id in flags:
        condition |= Q(attributeoption__definition_id=definition_id, **others_match(definition_id))
    # Plain COUNT, not COUNT(DISTINCT): the through table holds each (product, option)
    # pair once (its unique constraint), and DISTINCT makes PostgreSQL sort every row
    # of the join instead of hashing the few groups.
    counts = dict(
        rows.filter(condition)
        .values("attributeoption_id")
        .annotate(n=Count("product_id"))
        .values_list("attributeoption_id", "n")
    )
    selected_ids = {pk for ids in selected.values() for pk in ids}
    facets = []
    for definition in definitions:
        options = []
        for option in definition.options.all():
            option.count = counts.get(option.pk, 0)
            option.selected = option.pk in selected_ids
            if option.count or option.selected:
                options.append(option)
        if options:
            facets.append(Facet(definition, options))
    return facets


def filterable_definitions():
    return list(
        AttributeDefinition.objects.filter(is_filterable=True).prefetch_related(
            Prefetch("options", queryset=AttributeOption.objects.order_by("sort_order", "pk"))
        )
    )


def listing_context(shop, request, *, category=None, search=False):
    """Everything the catalog, category and search pages render.

    None when the category sits below an inactive one: switching a category
    off takes its whole branch off the storefront.
    """
    trail = storefront_trail(category) if category is not None else []
    if trail is None:
        return None
    definitions = filterable_definitions()
    options_by_id = {o.pk: o for d in definitions for o in d.options.all()}
    listing, errors = parse_listing_query(
        request.GET, filterable_options=options_by_id.values(), search=search
    )

    products = tile_queryset()
    ranked_ids = None
    if category is not None:
        products = products.filter(in_category_q(category))
    if search and listing.query:
        ranked_ids = search_product_ids(listing.query)
        products = products.filter(pk__in=ranked_ids)
    elif search:
        products = products.none()
    products = apply_filters(products, listing)
    selected = selected_options_by_definition(listing, options_by_id)
    facets = build_facets(definitions, products, selected)
    products = apply_attribute_filters(products, selected)

    page = paginate(products, listing, ranked_ids, request.GET.get("page"))
    attach_urls(page.object_list, shop, request)

    return {
        "shop": shop,
        "category": category,
        "breadcrumb": breadcrumb_links(trail, shop, request),
        "subcategories": subcategory_links(category, shop, request),
        "is_search": search,
        "listing": listing,
        "filter_errors": errors,
        "products": page,
        "facets": facets,
        "sorts": [
            (key, label)
            for key, (label, _) in SORTS.items()
            if key != "relevance" or (search and listing.query)
        ],
        "page_sizes": PAGE_SIZES,
        "querystring_without_page": querystring_without(request.GET, "page"),
    }


def clamp_page_number(raw, num_pages):
    """Garbage or below 1 → the first page; past the end → the last. Never an error."""
    number = parse_int(raw)
    if number is None:
        return 1
    return min(max(number, 1), max(num_pages, 1))


def querystring_without(params, *names):
    copy = params.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()


def breadcrumb_links(categories, shop, request):
    return [(c.name, shop.category_url(c, request)) for c in categories]


def subcategory_links(category, shop, request):
    children = (
        Category.objects.on_storefront().filter(parent=category).order_by("sort_order", "name")
    )
    return [(c.name, shop.category_url(c, request)) for c in children]
