"""The catalog version: one number that changes whenever what shoppers see changes.

Cached storefront pages (`services.page_cache`) and the price-comparison feeds
(`commerce.integrations`) are keyed on it, so this module, not either of them,
owns it: reading it, bumping it, the one rule for when a stock write bumps it, and the
signal receivers that bump it on every other catalog write.

The version row (`CatalogVersion`, pk 1) is the last row any transaction locks
(`services.locks`, step 7): bump it after the stock and everything else.
"""

import functools
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal
from wagtail.contrib.settings.models import BaseSiteSetting

from commerce.models import CatalogVersion

# Sent by every bump, inside the bumping transaction (receivers that act outside the
# database, such as purging a shared HTTP cache, wait for the commit: services.http_purge).
catalog_version_bumped = Signal()

_bumps_suppressed: ContextVar[bool] = ContextVar("catalog_version_bumps_suppressed", default=False)


@contextmanager
def bumps_suppressed():
    """No bumps inside: for work that is rolled back at its end (the catalog import's dry
    run). A bump there would change nothing shoppers see, yet hold the version row, which
    is locked last, across every row written after it."""
    token = _bumps_suppressed.set(True)
    try:
        yield
    finally:
        _bumps_suppressed.reset(token)


def catalog_version() -> int:
    """The current catalog version: one indexed single-row query.

    Plain SQL because every page-cache hit runs it, and in a profile of 200 hits on a
    10,000-product catalog building the ORM query took as long as the database's answer."""
    table = connection.ops.quote_name(CatalogVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {table} WHERE id = 1")  # noqa: S608 - no input
        row = cursor.fetchone()
    return row[0] if row else 0


# Where a request keeps the version it read (`request_catalog_version`).
REQUEST_ATTRIBUTE = "_storefront_catalog_version"


def request_catalog_version(request=None) -> int:
    """The catalog version, read once per request: a render is one snapshot of the
    catalog, and each part keyed on the version (the page, the mini-cart, the facet
    counts, the tiles) would otherwise read it again."""
    if request is None:
        return catalog_version()
    version = getattr(request, REQUEST_ATTRIBUTE, None)
    if version is None:
        version = catalog_version()
        setattr(request, REQUEST_ATTRIBUTE, version)
    return version


def bump_catalog_version() -> None:
    """Makes every cached storefront page (and feed) stale.

    Call it inside the transaction that changes what shoppers see (the page cache's
    receivers do for saves and deletes; stock writers through
    `bump_if_availability_changed`): the new version then becomes visible exactly
    when the change does. The UPDATE locks the row until that transaction ends, so
    concurrent bumps queue instead of losing one another.
    """
    if _bumps_suppressed.get():
        return
    with transaction.atomic():
        updated = CatalogVersion.objects.filter(pk=1).update(version=F("version") + 1)
        if not updated:
            # The row is created by migration 0004; a flushed database lacks it.
            CatalogVersion.objects.bulk_create(
                [CatalogVersion(pk=1, version=1)], ignore_conflicts=True
            )
            CatalogVersion.objects.filter(pk=1).update(version=F("version") + 1)
    catalog_version_bumped.send(sender=CatalogVersion)


def availability_changed(*, before: Mapping[int, int], after: Mapping[int, int]) -> bool:
    """Whether any variant went in or out of stock between two {variant id: units in
    active warehouses} counts (a variant missing from a count has none)."""
    return any(
        (before.get(pk, 0) > 0) != (after.get(pk, 0) > 0) for pk in before.keys() | after.keys()
    )


def bump_if_availability_changed(*, before: Mapping[int, int], after: Mapping[int, int]) -> bool:
    """The one rule for stock writes: bump the catalog version when a variant goes in or
    out of stock, and only then. Returns whether it bumped.

    Per variant, not per product: a product page shows each variant's availability and
    a tile the sizes in stock, so size M selling out changes pages while the coat as a
    whole is still in stock.

    Every stock writer calls it, inside its transaction and after its stock rows
    (the lock order of `services.locks`): order placement, the stock editor and the
    catalog import (`inventory.set_stock_levels`), cancels and refunds that put units
    back (`services.orders`). `before` and `after` are the touched variants' units in
    active warehouses (`Stock.objects.in_active_warehouses()`), by variant id, read under
    the stock rows' locks.

    Why a flip, and not every stock change: cached pages and feeds show "in stock"
    or "out of stock", never a quantity, so only a flip makes them stale, and every
    order writes stock: bumping on each would empty the cache with every sale. Why
    not only a sell-out (placement's old rule) either: a cancel, a refund or a
    stock push that brings a sold-out product back must put it back on sale in the
    cached pages at once. The flip covers both directions for every writer, so no
    writer needs its own policy (cancel used to bump always: that was a superset
    of this rule with the same pages as outcome, since a cancel that does not bring
    a product back changes no page). Feeds also print stock counts; those may lag
    until the feed file's maximum age (`STOREFRONT_FEED_MAX_AGE_SECONDS`).
    """
    if availability_changed(before=before, after=after):
        bump_catalog_version()
        return True
    return False


# Saves that only touch Wagtail's draft and locking bookkeeping change nothing
# shoppers see (the storefront shows live rows only): no reason to drop the cache.
DRAFT_BOOKKEEPING_FIELDS = frozenset(
    {
        "latest_revision",
        "latest_revision_created_at",
        "draft_title",
        "has_unpublished_changes",
        "locked",
        "locked_at",
        "locked_by",
    }
)


# --- Catalog writes that bump it ------------------------------------------------------------


@functools.cache
def storefront_models():
    """Models whose saved or deleted rows change what storefront pages show."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Page, PageViewRestriction, Site

    from commerce.models import (
        AttributeDefinition,
        AttributeOption,
        Category,
        Product,
        ProductDocument,
        ProductImage,
        ProductPageSettings,
        ProductVariant,
        Promotion,
        PromotionCondition,
        PromotionReward,
        Warehouse,
    )
    from pages.models import BrandingSettings, FooterSettings

    return (
        Product,
        Category,
        AttributeDefinition,
        AttributeOption,
        ProductImage,
        # A product's documents, and the documents' titles and files the page lists.
        ProductDocument,
        get_document_model(),
        # Variants are saved with their product's revision, but imports and scripts may
        # write one on its own; its price, SKU and options are on tiles and pages.
        ProductVariant,
        Warehouse,
        # Offers on tiles and product pages, and the promotion pages: publishing,
        # switching off or editing a running promotion changes them at once (its start
        # and end are the page cache's own boundaries: services.page_cache.changes_at).
        Promotion,
        PromotionCondition,
        PromotionReward,
        # Menu, shop title and intro, page URLs; publish, unpublish and move have
        # their own signals below as well, since not all of them save the page.
        Page,
        # A restriction added to the shop page must take its cached pages away, since
        # hits are served before Wagtail's privacy check.
        PageViewRestriction,
        Site,
        BrandingSettings,
        FooterSettings,
        # The delivery-and-returns note on every product page.
        ProductPageSettings,
        get_image_model(),
    )


def bump_on_save(sender, instance, created=False, update_fields=None, **kwargs):
    if not isinstance(instance, storefront_models()):
        return
    if created and isinstance(instance, BaseSiteSetting):
        # `for_site` creates a setting's row with its defaults on the first page that reads
        # it: the page already shows those defaults, and a bump would make the entry that
        # very page is about to write stale at once.
        return
    if update_fields and set(update_fields) <= DRAFT_BOOKKEEPING_FIELDS:
        return
    bump_catalog_version()


def bump_on_delete(sender, instance, **kwargs):
    if isinstance(instance, storefront_models()):
        bump_catalog_version()


def bump_on_m2m_change(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        bump_catalog_version()


def bump_on_signal(**kwargs):
    bump_catalog_version()


def connect_invalidation():
    """Called once from CommerceConfig.ready()."""
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from commerce.models import Product, ProductVariant, Promotion, PromotionCondition

    # Any sender: subclasses (each page type, the image model) send their own class.
    post_save.connect(bump_on_save, dispatch_uid="storefront_page_cache_save")
    post_delete.connect(bump_on_delete, dispatch_uid="storefront_page_cache_delete")
    # Additional categories, attribute options, variant axes, a variant's options and
    # pictures: ParentalManyToManyFields, written with add()/remove() after their row
    # when the product is saved.
    for through in (
        Product.additional_categories.through,
        Product.attribute_options.through,
        Product.variant_axes.through,
        ProductVariant.options.through,
        ProductVariant.images.through,
        Promotion.customer_groups.through,
        PromotionCondition.qualifying_products.through,
        PromotionCondition.qualifying_variants.through,
        PromotionCondition.qualifying_categories.through,
    ):
        m2m_changed.connect(
            bump_on_m2m_change, sender=through, dispatch_uid=f"storefront_page_cache_{through}"
        )
    page_published.connect(bump_on_signal, dispatch_uid="storefront_page_cache_published")
    page_unpublished.connect(bump_on_signal, dispatch_uid="storefront_page_cache_unpublished")
    post_page_move.connect(bump_on_signal, dispatch_uid="storefront_page_cache_moved")
