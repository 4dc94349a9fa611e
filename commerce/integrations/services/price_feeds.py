"""Price-comparison feeds: Ceneo's offer XML and Google Merchant's RSS 2.0.

Both list one item per variant shoppers can buy now: an active variant of a live,
active product, with more than zero units in active warehouses. Inactive and
sold-out variants, and every variant of a disabled, hidden or draft-only
product, never appear.

An item is a variant: its SKU, EAN, price, stock, options and URL
(`<product URL>?variant=<SKU>` for a product with axes, which opens the product
page on that variant; the product URL alone for a product sold as one variant).
Google groups the variants of one product with `g:item_group_id` (the product's
id) and reads their axes from `g:size`, `g:color`, `g:material`, `g:pattern`
(axes named so) and `g:product_detail` (any other axis); Ceneo gets one offer
per variant with its axes as `<a>` attributes.

Generation is streamed. Variants are read by primary key in keyset-paginated
chunks (`STOREFRONT_FEED_CHUNK_SIZE`, 500) with their product and available
stock, and with their options, their own and their product's images and the
feed's image renditions prefetched: six queries per chunk, whatever the chunk
holds and however many variants or axes a product has, and never more than one
chunk of objects in memory.
Each chunk is written as XML text (escaped with `xml.sax.saxutils`, free text in
CDATA sections for Ceneo) and handed on as bytes.

Building and serving. A finished feed is a file in Django's default storage (the
media storage: local disk, or S3 shared by every app server) under `feeds/`, recorded
by a `PriceFeedBuild` row (feed, site, catalog version, time); the newest two are kept.
Only `build_feed_task` builds, on a worker, holding a lock per feed and site (a
PostgreSQL advisory lock), so two workers never build the same feed at once; a second
builder returns at once, and a build queued after a fresh one finished does nothing.
A request serves the newest build (two queries: the site, and the build with the
catalog version). A stale one (older catalog version, or `STOREFRONT_FEED_MAX_AGE_SECONDS`
old, since stock counts change without a version bump) is still served while
`queue_feed_build` queues its rebuild, once (the queue table, under an advisory lock,
says whether one waits). With no build at all the request queues one and answers 503
with Retry-After. `rebuild_stale_feeds_task`, run by the scheduler, rebuilds stale
feeds before anyone asks. The file appears only once complete: it is rendered to a
local temporary file first, so a failure leaves nothing behind.
"""

import hashlib
import logging
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urljoin
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django_tasks import TaskResultStatus
from wagtail.images import get_image_model
from wagtail.images.models import Filter
from wagtail.models import Site

from commerce.integrations.models import PriceFeedBuild
from commerce.models import (
    AttributeOption,
    CatalogVersion,
    Category,
    ProductImage,
    ProductVariant,
    ShopPage,
)
from commerce.money import shop_currency
from commerce.services.catalog_version import catalog_version
from commerce.services.inventory import available_stock_subquery
from commerce.services.tasks import NO_RETRY, RetryPolicy, background_task, on_database_queue
from commerce.text import rich_text_to_plain

logger = logging.getLogger(__name__)

# JPEG for every source format: comparison sites do not all take WebP, PNG with alpha, SVG.
FEED_IMAGE_FILTER = "max-800x800|format-jpeg"
GOOGLE_TITLE_LIMIT = 150
GOOGLE_DESCRIPTION_LIMIT = 5000


# --- What goes into a feed ------------------------------------------------------------------


@dataclass(frozen=True)
class FeedSite:
    """What a feed needs to know about the site it is served for."""

    site_id: int
    root_url: str  # "https://shop.example.com", no trailing slash
    shop: ShopPage
    shop_url: str  # the shop page's absolute URL, ending in "/"
    shop_name: str
    currency: str


@dataclass(frozen=True)
class FeedItem:
    id: int  # the variant's
    sku: str
    group_id: int | None  # the product's id when it is sold in variants (it has axes)
    name: str  # the variant's description: "Heritage coat — Size M, Colour Green"
    url: str
    price: Decimal
    stock: int
    category: tuple[str, ...]  # names from the root category down
    image_url: str  # absolute, or "" without an image
    ean: str
    description: str  # plain text
    weight: Decimal | None
    options: tuple[tuple[str, str, str], ...] = ()  # (axis slug, axis name, value), axis order


def feed_site(site, request=None) -> FeedSite | None:
    """The site's shop and branding; None without a live, public shop page.

    A shop behind a password, login or group restriction publishes no feed: its
    catalog is not public, and comparison sites could not open the links anyway.
    Adding a restriction bumps the catalog version, so cached feeds go with it.
    """
    from pages.models import BrandingSettings

    shop = ShopPage.for_site(site)
    if shop is None or shop.get_view_restrictions().exists():
        return None
    branding = BrandingSettings.for_site(site)
    return FeedSite(
        site_id=site.pk,
        root_url=site.root_url,
        shop=shop,
        shop_url=shop.get_full_url(request=request),
        shop_name=branding.shop_name,
        currency=shop_currency(site=site),
    )


def feed_queryset():
    """Purchasable, in-stock variants with their product, stock, options, images and the
    feed rendition."""
    renditions = (
        get_image_model().get_rendition_model().objects.filter(filter_spec=FEED_IMAGE_FILTER)
    )
    images = (
        ProductImage.objects.order_by("sort_order", "pk")
        .select_related("image")
        .prefetch_related(Prefetch("image__renditions", queryset=renditions))
    )
    variant_images = (
        get_image_model()
        .objects.order_by("pk")
        .prefetch_related(Prefetch("renditions", queryset=renditions))
    )
    options = AttributeOption.objects.select_related("definition").order_by(
        "definition__sort_order", "definition__name", "sort_order", "pk"
    )
    return (
        ProductVariant.objects.purchasable()
        .annotate(stock_available=available_stock_subquery())
        .filter(stock_available__gt=0)
        .select_related("product")
        .only(
            "pk",
            "sku",
            "ean",
            "price",
            "weight",
            "product__id",
            "product__name",
            "product__slug",
            "product__short_description",
            "product__description",
            "product__main_category_id",
        )
        .prefetch_related(
            Prefetch("options", queryset=options),
            Prefetch("images", queryset=variant_images),
            Prefetch("product__images", queryset=images),
        )
        .order_by("pk")
    )


def variant_chunks(chunk_size: int | None = None) -> Iterator[list[ProductVariant]]:
    """Feed variants in lists of `chunk_size`, by primary key (keyset pagination: every
    chunk is an index range scan, however deep into the catalog)."""
    chunk_size = chunk_size or settings.STOREFRONT_FEED_CHUNK_SIZE
    queryset = feed_queryset()
    last_pk = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last_pk)[:chunk_size])
        if chunk:
            yield chunk
        if len(chunk) < chunk_size:
            return
        last_pk = chunk[-1].pk


def category_names() -> dict[int, tuple[str, ...]]:
    """{category id: names from the root down}, from one query over the category table."""
    rows = list(Category.objects.values_list("pk", "name", "slug_path"))
    name_at = {path: name for _, name, path in rows}
    paths = {}
    for pk, _, path in rows:
        parts = path.split("/")
        paths[pk] = tuple(name_at.get("/".join(parts[: i + 1]), "") for i in range(len(parts)))
    return paths


def feed_image(variant):
    """The variant's own first picture, else its product's first image, or None."""
    own = variant.images.all()
    if own:
        return own[0]
    images = variant.product.images.all()
    return images[0].image if images else None


def image_url(variant, root_url: str) -> str:
    """Absolute URL of the feed rendition of the variant's picture (`feed_image`), or ""."""
    image = feed_image(variant)
    if image is None:
        return ""
    if image.is_svg():
        return ""  # no rasteriser for SVG here; comparison sites want bitmaps
    spec = Filter(spec=FEED_IMAGE_FILTER)
    try:
        try:
            rendition = image.find_existing_rendition(spec)  # prefetched: no query
        except image.get_rendition_model().DoesNotExist:
            rendition = image.get_rendition(spec)  # first time only: made and stored
    except OSError:  # the original is missing or unreadable (SourceImageIOError)
        logger.warning("Feed image for variant %s could not be rendered", variant.pk)
        return ""
    # MEDIA_URL may already be absolute (a CDN); a relative one is on this site.
    return urljoin(root_url + "/", rendition.url)


def plain_description(product) -> str:
    """The short description, else the rich text one as plain text, on one line."""
    text = product.short_description
    if not text and product.description:
        text = rich_text_to_plain(product.description)
    return " ".join(text.split())


def feed_item(variant, site: FeedSite, categories) -> FeedItem:
    product = variant.product
    options = tuple(
        (option.definition.slug, option.definition.name, option.value)
        for option in variant.options.all()
    )
    url = site.shop_url + site.shop.product_subpath(product)
    return FeedItem(
        id=variant.pk,
        sku=variant.sku,
        # Options are exactly the product's axes (variant_set_errors): none, no axes.
        group_id=product.pk if options else None,
        name=variant.description,
        url=ShopPage.with_variant(url, variant.sku) if options else url,
        price=variant.price,
        stock=variant.stock_available,
        category=categories.get(product.main_category_id, ()),
        image_url=image_url(variant, site.root_url),
        ean=variant.ean,
        description=plain_description(product),
        weight=variant.weight,
        options=options,
    )


# --- XML ------------------------------------------------------------------------------------

# Characters XML 1.0 does not allow at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value) -> str:
    return escape(_NOT_XML.sub("", str(value)))


def xml_attr(value) -> str:
    """A quoted attribute value, quotes included."""
    return quoteattr(_NOT_XML.sub("", str(value)))


def cdata(value) -> str:
    """A CDATA section holding `value` exactly: a "]]>" inside is split over two sections."""
    text = _NOT_XML.sub("", str(value)).replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{text}]]>"


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"


class CeneoFeed:
    """Ceneo's offer XML: <offers><group name="other"><o …>…</o></group></offers>."""

    name = "ceneo"

    def header(self, site: FeedSite) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<offers xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1">\n'
            '<group name="other">\n'
        )

    def item(self, item: FeedItem, site: FeedSite) -> str:
        attrs = (
            f"id={xml_attr(item.id)} url={xml_attr(item.url)} price={xml_attr(money(item.price))}"
            # 1: available at once (the item is in stock).
            f' avail="1" stock={xml_attr(item.stock)}'
        )
        if item.weight is not None:
            attrs += f" weight={xml_attr(format(item.weight.normalize(), 'f'))}"
        parts = [
            f"<o {attrs}>",
            f"<cat>{cdata('/'.join(item.category))}</cat>",
            f"<name>{cdata(item.name)}</name>",
        ]
        if item.image_url:
            parts.append(f"<imgs><main url={xml_attr(item.image_url)}/></imgs>")
        parts.append(f"<desc>{cdata(item.description)}</desc>")
        attributes = [(name, value) for _, name, value in item.options]
        if item.ean:
            attributes.append(("EAN", item.ean))
        if attributes:
            parts.append(
                "<attrs>"
                + "".join(
                    f"<a name={xml_attr(name)}>{cdata(value)}</a>" for name, value in attributes
                )
                + "</attrs>"
            )
        parts.append("</o>\n")
        return "".join(parts)

    def footer(self, site: FeedSite) -> str:
        return "</group>\n</offers>\n"


# Axes Google has attributes of its own for, by the axis's slug (English and Polish).
GOOGLE_ATTRIBUTES = {
    "size": "size",
    "rozmiar": "size",
    "colour": "color",
    "color": "color",
    "kolor": "color",
    "material": "material",
    "materiał": "material",
    "material-type": "material",
    "pattern": "pattern",
    "wzor": "pattern",
    "wzór": "pattern",
}


def google_attribute(slug: str, name: str, value: str) -> str:
    """A variant's axis value: Google's own attribute where it has one, else a detail."""
    attribute = GOOGLE_ATTRIBUTES.get(slug)
    if attribute:
        return f"<g:{attribute}>{xml_text(value)}</g:{attribute}>"
    return (
        "<g:product_detail>"
        f"<g:attribute_name>{xml_text(name)}</g:attribute_name>"
        f"<g:attribute_value>{xml_text(value)}</g:attribute_value>"
        "</g:product_detail>"
    )


class GoogleFeed:
    """Google Merchant Center's RSS 2.0 product feed (namespace g:)."""

    name = "google"

    def header(self, site: FeedSite) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
            f"<title>{xml_text(site.shop_name)}</title>\n"
            f"<link>{xml_text(site.shop_url)}</link>\n"
            f"<description>{xml_text(site.shop_name)}</description>\n"
        )

    def item(self, item: FeedItem, site: FeedSite) -> str:
        description = item.description or item.name  # Google requires one
        parts = [
            "<item>",
            f"<g:id>{xml_text(item.sku)}</g:id>",
            f"<title>{xml_text(item.name[:GOOGLE_TITLE_LIMIT])}</title>",
            f"<link>{xml_text(item.url)}</link>",
            f"<description>{xml_text(description[:GOOGLE_DESCRIPTION_LIMIT])}</description>",
        ]
        if item.image_url:
            parts.append(f"<g:image_link>{xml_text(item.image_url)}</g:image_link>")
        parts += [
            "<g:availability>in_stock</g:availability>",
            f"<g:price>{money(item.price)} {xml_text(site.currency)}</g:price>",
        ]
        if item.ean:
            parts.append(f"<g:gtin>{xml_text(item.ean)}</g:gtin>")
        else:
            parts.append("<g:identifier_exists>no</g:identifier_exists>")
        if item.group_id is not None:
            parts.append(f"<g:item_group_id>{item.group_id}</g:item_group_id>")
        parts += [google_attribute(slug, name, value) for slug, name, value in item.options]
        if item.category:
            parts.append(f"<g:product_type>{xml_text(' > '.join(item.category))}</g:product_type>")
        parts.append("<g:condition>new</g:condition></item>\n")
        return "".join(parts)

    def footer(self, site: FeedSite) -> str:
        return "</channel>\n</rss>\n"


FEEDS = {feed.name: feed for feed in (CeneoFeed(), GoogleFeed())}


def render_feed(kind: str, site: FeedSite, chunk_size: int | None = None) -> Iterator[bytes]:
    """The feed as UTF-8 blocks: the header, one block per chunk of variants, the footer."""
    writer = FEEDS[kind]
    yield writer.header(site).encode()
    categories = category_names()
    for chunk in variant_chunks(chunk_size):
        block = "".join(writer.item(feed_item(v, site, categories), site) for v in chunk)
        yield block.encode()
    yield writer.footer(site).encode()


# --- Built feeds: in the default storage, built by tasks under a lock -----------------------

STORAGE_PREFIX = "feeds/"
KEEP_BUILDS = 2  # the newest and the one before: a server may still be reading it
# Without the database queue there is no queue row to ask whether a build is waiting, so a
# cache entry marks it; it expires on its own if the worker never gets to it.
QUEUED_MARK_SECONDS = 15 * 60
# A build lock in the cache (no PostgreSQL) outlives a builder that died without freeing it
# by this much at most.
CACHE_LOCK_SECONDS = 30 * 60


def etag(kind: str, site_id: int, version: int, generated_at: int) -> str:
    return f'"{kind}-{site_id}-{version}-{generated_at}"'


def newest_build(kind: str, site_id: int) -> PriceFeedBuild | None:
    """The newest finished feed, with the current catalog version as `current_version`:
    one query, so a fresh feed is served for two (this and the site)."""
    current = CatalogVersion.objects.filter(pk=1).values("version")[:1]
    return (
        PriceFeedBuild.objects.of(kind, site_id)
        .annotate(current_version=Coalesce(Subquery(current), Value(0)))
        .first()
    )


def build_to_serve(kind: str, site) -> tuple[PriceFeedBuild | None, str]:
    """The build a request for this feed gets, and how it was found: "hit" (fresh),
    "stale" (served while its rebuild is queued; None when there is no build yet),
    "miss" (built just now: the immediate task backend runs the queued build at once),
    or "no shop" (None: the site has no live, public shop page).

    The shop is checked only when the newest build is from an older catalog version, or
    missing: hits stay at one query, and every change to the shop page or its
    restrictions bumps the version, so a shop that went private serves no old feed.
    """
    build = newest_build(kind, site.pk)
    if build is not None and not build.is_stale(build.current_version):
        return build, "hit"
    if (build is None or build.version != build.current_version) and feed_site(site) is None:
        return None, "no shop"
    result = queue_feed_build(kind, site.pk)
    if result is not None and result.status == TaskResultStatus.SUCCESSFUL:
        return newest_build(kind, site.pk), "miss"
    return build, "stale"


def open_build(build: PriceFeedBuild):
    """The build's file, opened, or None if it is gone: pruned since the query, or lost
    (media wiped). Its row goes with it, so the next request serves the build before it
    or queues a new one, instead of answering from a row with no file forever."""
    try:
        return default_storage.open(build.file_name, "rb")
    except FileNotFoundError:
        PriceFeedBuild.objects.filter(pk=build.pk).delete()
        return None


def storage_name(kind: str, site_id: int, version: int, generated_at: int) -> str:
    return f"{STORAGE_PREFIX}{kind}-site{site_id}-v{version}-{generated_at}.xml"


def build_feed(kind: str, site_id: int, chunk_size: int | None = None) -> PriceFeedBuild | None:
    """Renders the feed to a local temporary file, then saves it to the default storage and
    records it: the row appears only once the whole file is stored, so readers never see a
    partial feed, and a failure leaves nothing behind but the temporary file, which the
    system removes. Call it under `build_lock` (build_feed_task does).

    None, and the site's old builds removed, when the site has no live, public shop: a
    shop that got a password must not go on serving its last feed.
    """
    site = Site.objects.filter(pk=site_id).first()
    target = feed_site(site) if site is not None else None
    if target is None:
        prune_builds(kind, site_id, keep=0)
        return None
    version = catalog_version()
    generated_at = int(time.time())
    with tempfile.TemporaryFile() as out:
        for block in render_feed(kind, target, chunk_size):
            out.write(block)
        size = out.tell()
        out.seek(0)
        name = default_storage.save(
            storage_name(kind, site_id, version, generated_at), File(out, name="feed.xml")
        )
    build = PriceFeedBuild.objects.create(
        feed=kind,
        site_id=site_id,
        version=version,
        generated_at=datetime.fromtimestamp(generated_at, tz=UTC),
        file_name=name,
        size=size,
    )
    prune_builds(kind, site_id, keep=KEEP_BUILDS)
    return build


def prune_builds(kind: str, site_id: int, keep: int) -> None:
    """Removes all but the newest `keep` builds, file first: a file that cannot be removed
    now (storage down) keeps its row, and is tried again after the next build."""
    for old in PriceFeedBuild.objects.of(kind, site_id)[keep:]:
        default_storage.delete(old.file_name)
        old.delete()


@contextmanager
def build_lock(kind: str, site_id: int) -> Iterator[bool]:
    """Yields whether this builder holds the feed's lock; another builder holding it
    makes it False at once (never waits: the other one is building the same feed).

    PostgreSQL: a session advisory lock keyed by feed and site, so the build runs
    outside a transaction (a long one would hold back vacuum) and a worker that dies
    frees it with its connection. Elsewhere (SQLite: development, one machine) an entry
    added to the cache, which expires should its builder die.
    """
    if connection.vendor == "postgresql":
        key = lock_key(f"price-feed-build:{kind}:{site_id}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            locked = cursor.fetchone()[0]
        try:
            yield locked
        finally:
            if locked:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    cache_key = f"price-feed-build-lock:{kind}:{site_id}"
    locked = cache.add(cache_key, 1, timeout=CACHE_LOCK_SECONDS)
    try:
        yield locked
    finally:
        if locked:
            cache.delete(cache_key)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key (Python's hash() differs per process)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@background_task(retry=RetryPolicy(attempts=4, backoff=60))
def build_feed_task(feed: str, site_id: int) -> str:
    """Builds one feed of one site, unless another builder holds its lock or a fresh build
    already exists (a second queued build, or one queued before the last build finished,
    then costs one query). Returns what it did: "built", "fresh", "locked", "no shop"."""
    try:
        if feed not in FEEDS:
            return "unknown feed"
        with build_lock(feed, site_id) as locked:
            if not locked:
                return "locked"
            newest = newest_build(feed, site_id)
            if newest is not None and not newest.is_stale(newest.current_version):
                return "fresh"
            return "built" if build_feed(feed, site_id) is not None else "no shop"
    finally:
        cache.delete(queued_mark_key(feed, site_id))


def queue_feed_build(kind: str, site_id: int):
    """Queues build_feed_task for this feed unless one is already waiting or running;
    returns its task result, or None when one was already queued.

    On the database queue the queue table is the record: its check and insert run in
    one transaction under an advisory lock (PostgreSQL), so requests arriving together
    queue one build. Elsewhere a cache entry, added atomically, marks the queued build
    until the task ends. The task's own lock and freshness check make a duplicate that
    slips through cost nothing.
    """
    if on_database_queue(build_feed_task):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    key = lock_key(f"price-feed-queue:{kind}:{site_id}")
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
            if build_pending(kind, site_id):
                return None
            return build_feed_task.enqueue(kind, site_id)
    if not cache.add(queued_mark_key(kind, site_id), 1, timeout=QUEUED_MARK_SECONDS):
        return None
    return build_feed_task.enqueue(kind, site_id)


def build_pending(kind: str, site_id: int) -> bool:
    """Whether the database queue holds a build of this feed that is waiting (a retry
    included) or running."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=build_feed_task.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        args_kwargs__args=[kind, site_id],
    ).exists()


def queued_mark_key(kind: str, site_id: int) -> str:
    return f"price-feed-queued:{kind}:{site_id}"


@background_task(retry=NO_RETRY)
def rebuild_stale_feeds_task() -> list[str]:
    """Queues a build of every feed someone has asked for (it has a build) whose newest
    build is stale: from an older catalog version or past its maximum age. Run by the
    scheduler every few minutes, so a comparison site that fetches after a change gets the
    new feed, not the stale one that was served while a rebuild waited. Returns the
    "feed:site" pairs it queued (its own next run covers one that fails)."""
    queued = []
    pairs = PriceFeedBuild.objects.order_by().values_list("feed", "site_id").distinct()
    for kind, site_id in sorted(pairs):
        newest = newest_build(kind, site_id)
        stale = newest is not None and newest.is_stale(newest.current_version)
        if stale and queue_feed_build(kind, site_id) is not None:
            queued.append(f"{kind}:{site_id}")
    return queued
