"""Listings: the catalog, category and search pages, and the product sections' tiles.

Which products (category branches on the storefront, search, shared attributes, and
the variant filters: axes, price and stock, which ONE variant must meet, see
`listing_query.VariantFilter`), the attribute facets with their counts, and one page
of them in order, each with its price summary and the axis options it has in stock.
Every function here runs a fixed number of queries whatever the page size, the
number of attributes, of variants per product, of axes or of warehouses: tests hold
it to that with `django_assert_max_num_queries`.
"""

import hashlib
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, prefetch_related_objects
from django.template.loader import render_to_string

from commerce.inputs import parse_int
from commerce.models import (
    AttributeDefinition,
    AttributeOption,
    Category,
    Product,
    ProductImage,
    ProductVariant,
)
from commerce.models.catalog import ean_format_ok
from commerce.services.guests import signed_in_user
from commerce.services.price_history import attach_lowest_prices

from .listing_query import (
    PAGE_SIZES,
    SORTS,
    ListingQuery,
    VariantFilter,
    active_filters,
    annotate_variant_summary,
    has_matching_variant,
    parse_listing_query,
    variant_in_stock,
)
from .promotion_offers import attach_offers
from .version_cache import per_version, per_version_many, request_catalog_version

SEARCH_RESULT_LIMIT = 500  # more hits than anyone pages through; keeps search bounded


def image_prefetches():
    """A product's images in gallery order, their image rows and all renditions: 2 queries."""
    images = ProductImage.objects.order_by("sort_order", "pk").select_related("image")
    return [Prefetch("images", queryset=images), "images__image__renditions"]


def tile_queryset(variants: VariantFilter | None = None):
    """Visible products with what a tile shows that depends on the listing: the price
    summary and stock of their (matching) variants, and whether they have variant axes
    (a tile offers "add to cart" only without). `tile_details` adds the rest for one
    page of them (the picture, tile attributes and sizes in stock come from a fragment
    cached per product and catalog version: `attach_tile_fragments`)."""
    axes = Product.variant_axes.through.objects.filter(product_id=OuterRef("pk"))
    return annotate_variant_summary(
        Product.objects.visible()
        .select_related("main_category")
        .annotate(has_variant_axes=Exists(axes))
        .defer("description"),
        variants,
    )


def tile_fragment_prefetches():
    """What a tile's cached fragment reads: images with renditions, tile attributes."""
    tile_options = (
        AttributeOption.objects.filter(definition__show_on_tile=True)
        .select_related("definition")
        .order_by("definition__sort_order", "sort_order")
    )
    return [
        *image_prefetches(),
        Prefetch("attribute_options", queryset=tile_options, to_attr="tile_attributes"),
    ]


def render_tile_fragments(products) -> dict[int, dict]:
    """{product id: {"picture": html, "details": html}} for products whose fragment is not
    cached: their images, renditions, tile attributes and stocked options in four
    queries for all of them, then the two small templates. Nothing here depends on the
    request or the listing's filters, so the fragment is the same on every page."""
    products = list(products)
    prefetch_related_objects(products, *tile_fragment_prefetches())
    attach_stocked_options(products)
    return {
        product.pk: {
            "picture": render_to_string(
                "commerce/includes/product_tile_picture.html", {"product": product}
            ),
            "details": render_to_string(
                "commerce/includes/product_tile_details.html", {"product": product}
            ),
        }
        for product in products
    }


def attach_tile_fragments(products, request=None):
    """Each product's `tile_fragment` (picture, tile attributes, sizes in stock), cached
    per product and catalog version: a page of tiles then costs no query for them.

    Every write that changes a fragment bumps the version: the product, its images and
    options (saves and m2m changes), a new picture or rendition spec only with a
    template change (clear the cache on deploy, as for the page cache), and stock only
    when a variant goes in or out of stock, which is all `stocked_options` shows."""
    products = list(products)
    by_id = {product.pk: product for product in products}
    fragments = per_version_many(
        "tile",
        by_id,
        lambda missing: render_tile_fragments(by_id[pk] for pk in missing),
        request=request,
    )
    for product in products:
        product.tile_fragment = fragments[product.pk]
    return products


STOREFRONT_CATEGORY_FIELDS = ("pk", "parent_id", "name", "slug", "slug_path", "depth", "sort_order")


def storefront_categories(request=None) -> list[Category]:
    """Every category shoppers can reach (`Category.objects.on_storefront()`), in menu
    order, with the fields breadcrumbs, branches and subcategory links use: one query
    per catalog version (categories bump it), none on the requests after."""
    return per_version(
        "storefront-categories",
        lambda: list(
            Category.objects.on_storefront()
            .only(*STOREFRONT_CATEGORY_FIELDS)
            .order_by("sort_order", "name", "pk")
        ),
        request=request,
    )


def storefront_branch_ids(categories, request=None) -> dict[int, list[int]]:
    """For each category, the ids of its storefront branch (itself and the descendants
    shoppers can reach; empty when it is switched off), from `storefront_categories`."""
    rows = [(c.pk, c.slug_path) for c in storefront_categories(request)]
    return {
        category.pk: [pk for pk, path in rows if category.branch_holds(path)]
        for category in categories
    }


def storefront_trail(category: Category, request=None) -> list[Category] | None:
    """The category's ancestors and itself, root first (from `storefront_categories`);
    None when shoppers cannot reach it (it or an ancestor is switched off)."""
    paths = [*category.ancestor_paths, category.slug_path]
    found = {c.slug_path: c for c in storefront_categories(request) if c.slug_path in paths}
    if category.slug_path not in found:
        return None
    return [found[path] for path in paths if path in found]


def in_category_q(category: Category, ids: list[int] | None = None, request=None) -> Q:
    """Products whose main or additional category is in the category's active branch.

    Filters on a literal id list: it lets PostgreSQL plan the listing cheaply,
    where a nested subquery made it estimate, and JIT-compile, a scan of the
    whole catalog. Pass `ids` (from `storefront_branch_ids`) to resolve many at once.
    """
    if ids is None:
        ids = storefront_branch_ids([category], request)[category.pk]
    return in_categories_q(ids)


def in_categories_q(category_ids) -> Q:
    """Products whose main or any additional category is one of `category_ids`."""
    extra = Product.additional_categories.through.objects.filter(
        product_id=OuterRef("pk"), category_id__in=category_ids
    )
    return Q(main_category_id__in=category_ids) | Q(Exists(extra))


def variant_code_hits(query: str) -> dict[int, str]:
    """{product id: SKU} of the shown variants whose SKU (any case) or EAN is the query.

    A pasted code should find its variant first, whatever the text search makes of the
    punctuation in codes like "AB-1234/X". Two index probes: `variant_sku_upper_idx`
    (UPPER(sku)) and the unique EAN index; only a well-formed EAN is compared with
    `ean`, so other text never makes the OR fall back to a scan of every variant.
    """
    code = Q(sku__iexact=query)
    if ean_format_ok(query):
        code |= Q(ean=query)
    hits = ProductVariant.objects.visible().filter(code).order_by("pk")
    found: dict[int, str] = {}
    for product_id, sku in hits.values_list("product_id", "sku")[:10]:
        found.setdefault(product_id, sku)
    return found


def search_product_ids(query: str) -> tuple[list[int], dict[int, str]]:
    """Search's own module (`services.catalog.search`) holds the finding rules."""
    from commerce.services.catalog.search import search_product_ids as find

    return find(query)


def apply_variant_filter(products, variants: VariantFilter):
    """Products with ONE variant that meets every variant filter (axes, stock, price)."""
    if variants.narrows:
        products = products.filter(has_matching_variant(variants))
    return products


def selected_options_by_definition(listing: ListingQuery, options_by_id: dict) -> dict:
    selected: dict[int, list[int]] = {}
    for option_id in listing.option_ids:
        option = options_by_id.get(option_id)
        if option is not None:
            selected.setdefault(option.definition_id, []).append(option_id)
    return selected


def split_by_kind(selected: dict, axis_ids: set[int]) -> tuple[dict, dict]:
    """The chosen options as (shared attributes, variant axes), each {definition id: ids}."""
    shared = {d: ids for d, ids in selected.items() if d not in axis_ids}
    axes = {d: ids for d, ids in selected.items() if d in axis_ids}
    return shared, axes


def has_any_option(option_ids, product_ref="pk"):
    through = Product.attribute_options.through
    return Exists(
        through.objects.filter(product_id=OuterRef(product_ref), attributeoption_id__in=option_ids)
    )


def apply_attribute_filters(products, selected: dict):
    """Shared attributes: options of one attribute widen the choice (red OR blue);
    attributes narrow it (red AND cotton). Variant axes are `apply_variant_filter`'s."""
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


def attach_urls(products, shop, request, *, variant_skus=None):
    """Each product's storefront URL, computed once per page, without queries; a product
    in `variant_skus` ({product id: SKU}) links to that variant."""
    base = shop.get_url(request=request) if shop else ""
    variant_skus = variant_skus or {}
    for product in products:
        url = base + shop.product_subpath(product) if shop else ""
        if url and product.pk in variant_skus:
            url = shop.with_variant(url, variant_skus[product.pk])
        product.storefront_url = url
    return products


def attach_stocked_options(products):
    """Each product's `stocked_options`: [(axis, [options])] in axis order, the options
    of its active variants in stock in an active warehouse ("S M L", colour dots).
    One query for the whole page, however many variants and axes."""
    products = list(products)
    # From the variant-option rows, one join path: reading the options through
    # `variants` twice (filter, then the product id) joined every option row to every
    # variant that has it, a product of the two on a catalog with many variants.
    rows = (
        ProductVariant.options.through.objects.filter(
            productvariant__product_id__in=[p.pk for p in products],
            productvariant__is_active=True,
        )
        .filter(variant_in_stock("productvariant_id"))
        .annotate(tile_product_id=F("productvariant__product_id"))
        .select_related("attributeoption__definition")
        .order_by(
            "attributeoption__definition__sort_order",
            "attributeoption__definition__name",
            "attributeoption__sort_order",
            "attributeoption_id",
        )
    )
    by_product: dict[int, dict] = {}
    for row in rows:
        option = row.attributeoption
        axes = by_product.setdefault(row.tile_product_id, {})
        chosen = axes.setdefault(option.definition, [])
        if option not in chosen:  # several in-stock variants share an option
            chosen.append(option)
    for product in products:
        product.stocked_options = list(by_product.get(product.pk, {}).items())
    return products


def tile_details(products, shop, request, *, variant_skus=None):
    """What a page of tiles needs beyond `tile_queryset`: URLs, the 30-day lowest price
    of discounted ones and the running promotions' offers on the price shown (one query
    each), and the fragment of picture, tile attributes and sizes in stock (none when
    cached at this catalog version; four for the products whose fragment is not)."""
    products = list(products)
    attach_urls(products, shop, request, variant_skus=variant_skus)
    attach_lowest_prices(products)  # price history
    attach_offers(products, user=signed_in_user(request), shop=shop, request=request)
    return attach_tile_fragments(products, request)


@dataclass
class Facet:
    definition: AttributeDefinition
    options: list


def option_counts(rows, selected: dict, *, owner: str, counted: str, distinct: bool) -> dict:
    """{option id: how many `counted` have it} over through-table `rows` (owner, option).

    Each attribute's options are counted with the other attributes' choices applied
    but not its own, so ticking "Red" still offers "Blue (3)". One query, however
    many attributes are chosen: each chosen attribute is one flag per row ("the
    row's owner has one of its chosen options").
    """
    through = rows.model
    flags = {}
    for definition_id, option_ids in selected.items():
        flags[definition_id] = f"matches_{definition_id}"
        owned = through.objects.filter(
            **{owner: OuterRef(owner)}, attributeoption_id__in=option_ids
        )
        rows = rows.annotate(**{flags[definition_id]: Exists(owned)})

    def others_match(own_definition_id):
        return {flag: True for d, flag in flags.items() if d != own_definition_id}

    condition = Q(~Q(attributeoption__definition_id__in=list(flags)), **others_match(None))
    for definition_id in flags:
        condition |= Q(attributeoption__definition_id=definition_id, **others_match(definition_id))
    return dict(
        rows.filter(condition)
        .values("attributeoption_id")
        .annotate(n=Count(counted, distinct=distinct))
        .values_list("attributeoption_id", "n")
    )


def shared_option_counts(products, selected: dict) -> dict:
    """Shared attributes: products (already narrowed by the variant filters) per option."""
    through = Product.attribute_options.through
    rows = through.objects.filter(product__in=products.order_by().values("pk"))
    # Plain COUNT, not COUNT(DISTINCT): the through table holds each (product, option)
    # pair once (its unique constraint), and DISTINCT makes PostgreSQL sort every row
    # of the join instead of hashing the few groups.
    return option_counts(rows, selected, owner="product_id", counted="product_id", distinct=False)


def axis_option_counts(products, variants: VariantFilter, axis_ids) -> dict:
    """Variant axes: per option, the products with a variant that has it and meets the
    other variant filters (the other axes' choices, stock, price); `products` are
    narrowed by everything but the variant filters."""
    through = ProductVariant.options.through
    rows = through.objects.filter(
        productvariant__product__in=products.order_by().values("pk"),
        attributeoption__definition_id__in=axis_ids,
    )
    rows = rows.filter(
        replace(variants, axes={}).q(variant="productvariant__", variant_ref="productvariant_id")
    )
    # COUNT(DISTINCT): a product has an option on several variants (M in red and in green).
    return option_counts(
        rows,
        variants.axes,
        owner="productvariant_id",
        counted="productvariant__product_id",
        distinct=True,
    )


def facet_key(listing: ListingQuery, category, search: bool) -> str:
    """What the facet counts depend on besides the catalog: where, and every filter (not
    the sort, the page or the page size)."""
    parts = (
        category.pk if category is not None else "",
        listing.query if search else "",
        sorted(listing.option_ids),
        listing.in_stock,
        listing.min_price,
        listing.max_price,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def cached_facet_counts(counters: dict, request=None) -> dict:
    """{key: facet counts} for {key: a function counting them}, each counted once per
    catalog version and filter set.

    Counting options over every variant of the catalog is the dearest query of a
    listing (about 100 ms at 40,000 variants), and its answer changes only with the
    catalog: the page cache does not serve shoppers with a cart or an account, and
    pages that differ only in sort or page share their counts. Keyed on the catalog
    version, which every catalog write and every availability flip bumps, so a count is
    never older than the catalog (the same rule as the page cache's). One version
    query and one cache round trip for all the keys.
    """
    seconds = settings.STOREFRONT_PAGE_CACHE_SECONDS  # one switch for the shop's caches
    if seconds <= 0:
        return {key: count() for key, count in counters.items()}
    version = request_catalog_version(request)
    cache_keys = {key: f"storefront:facets:{version}:{key}" for key in counters}
    found = cache.get_many(list(cache_keys.values()))
    results = {}
    for key, count in counters.items():
        counts = found.get(cache_keys[key])
        if counts is None:
            counts = count()
            cache.set(cache_keys[key], counts, seconds)
        results[key] = counts
    return results


def build_facets(definitions, counts: dict, selected_ids: set, offered: dict | None = None):
    """Filterable attributes with, per option, how many products choosing it would show.

    `offered` are the counts of the same listing without filters: an option it has
    stays in its group with its count under the filters, 0 included (`option.blocked`:
    choosing it would show nothing), so a combination with no results still shows
    every group the listing has, for the shopper to change.
    """
    offered = counts if offered is None else offered
    facets = []
    for definition in definitions:
        options = []
        for option in definition.options.all():
            option.count = counts.get(option.pk, 0)
            option.selected = option.pk in selected_ids
            option.blocked = not option.count and not option.selected
            if option.count or option.selected or offered.get(option.pk):
                options.append(option)
        if options:
            facets.append(Facet(definition, options))
    return facets


def filterable_definitions(request=None):
    """The filterable attributes with their options in order: two queries once per
    catalog version (attributes and options bump it), none on the requests after."""
    return per_version(
        "filterable-definitions",
        lambda: list(
            AttributeDefinition.objects.filter(is_filterable=True).prefetch_related(
                Prefetch("options", queryset=AttributeOption.objects.order_by("sort_order", "pk"))
            )
        ),
        request=request,
    )


def listing_context(shop, request, *, category=None, search=False):
    """Everything the catalog, category and search pages render.

    None when the category sits below an inactive one: switching a category
    off takes its whole branch off the storefront.
    """
    trail = storefront_trail(category, request) if category is not None else []
    if trail is None:
        return None
    definitions = filterable_definitions(request)
    options_by_id = {o.pk: o for d in definitions for o in d.options.all()}
    listing, errors = parse_listing_query(
        request.GET, filterable_options=options_by_id.values(), search=search
    )
    axis_ids = {d.pk for d in definitions if d.varies_per_variant}
    selected = selected_options_by_definition(listing, options_by_id)
    shared, axes = split_by_kind(selected, axis_ids)
    variants = VariantFilter.of(listing, axes)

    # The tiles' price summary is over the variants that match the filters.
    products = tile_queryset(variants)
    ranked_ids, code_hits = None, {}
    if category is not None:
        products = products.filter(in_category_q(category, request=request))
    if search and listing.query:
        ranked_ids, code_hits = search_product_ids(listing.query)
        products = products.filter(pk__in=ranked_ids)
    elif search:
        products = products.none()

    unfiltered = products
    if variants.in_stock:
        # "In stock" means "can be bought now": a disabled product is not, whatever its stock.
        products = products.purchasable()

    def count_options(products, variants, shared):
        # Each facet counts with every filter but its own attribute's (see option_counts).
        counts = shared_option_counts(apply_variant_filter(products, variants), shared)
        if axis_ids:
            counts |= axis_option_counts(
                apply_attribute_filters(products, shared), variants, axis_ids
            )
        return counts

    key = facet_key(listing, category, search)
    counters = {key: lambda: count_options(products, variants, shared)}
    # Filtered, the same place's unfiltered counts too (shared, in the cache, with its
    # plain page): the options the listing has at all, so no group vanishes when the
    # filters leave it nothing.
    offered_key = facet_key(listing.unfiltered(), category, search)
    counters.setdefault(offered_key, lambda: count_options(unfiltered, VariantFilter(), {}))
    found = cached_facet_counts(counters, request)
    facets = build_facets(definitions, found[key], set(listing.option_ids), found[offered_key])

    products = apply_attribute_filters(apply_variant_filter(products, variants), shared)
    page = paginate(products, listing, ranked_ids, request.GET.get("page"))
    tile_details(page.object_list, shop, request, variant_skus=code_hits)

    return {
        "shop": shop,
        "category": category,
        "breadcrumb": breadcrumb_links(trail, shop, request),
        "subcategories": subcategory_links(category, shop, request),
        "is_search": search,
        "listing": listing,
        "filter_errors": errors,
        # Open where something needs fixing; closed on phones otherwise (results first).
        "filters_open": bool(errors),
        "price_inputs": price_inputs(listing, errors, request.GET),
        "active_filters": active_filters(listing, definitions, path=request.path, search=search),
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


def price_inputs(listing: ListingQuery, errors: dict, params) -> dict[str, str]:
    """What the price fields show: the price in use, or what the shopper typed when it
    was refused, so they see the number the error beside it is about."""
    return {
        name: params.get(name, "")[:30]
        if name in errors
        else ("" if getattr(listing, name) is None else str(getattr(listing, name)))
        for name in ("min_price", "max_price")
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
    """The category's children shoppers can reach (the top categories on the catalog),
    in menu order, from `storefront_categories`."""
    parent_id = category.pk if category is not None else None
    children = [c for c in storefront_categories(request) if c.parent_id == parent_id]
    return [(c.name, shop.category_url(c, request)) for c in children]
