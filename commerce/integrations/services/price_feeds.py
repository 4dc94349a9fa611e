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

Caching keeps both properties. The finished feed is a file in
`STOREFRONT_FEED_CACHE_DIR` named by feed, site and catalog version
(`commerce.services.catalog_version`, bumped in the same transaction as every change
shoppers see, including a product going in or out of stock). A cold request
streams the feed to the client while writing the same bytes to a temporary file,
renamed into place only once complete (a failure or a client that goes away
leaves nothing behind). Later requests at the same version are served from that
file in blocks (two queries: the site and the catalog version). A new version
makes the next request regenerate and removes the older files. Stock counts
change without a version bump, so a file is also regenerated once it is
`STOREFRONT_FEED_MAX_AGE_SECONDS` old.
"""

import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urljoin
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.db.models import Prefetch
from wagtail.images import get_image_model
from wagtail.images.models import Filter

from commerce.models import AttributeOption, Category, ProductImage, ProductVariant, ShopPage
from commerce.money import shop_currency
from commerce.services.inventory import available_stock_subquery
from commerce.text import rich_text_to_plain

logger = logging.getLogger(__name__)

# JPEG for every source format: comparison sites do not all take WebP, PNG with alpha, SVG.
FEED_IMAGE_FILTER = "max-800x800|format-jpeg"
GOOGLE_TITLE_LIMIT = 150
GOOGLE_DESCRIPTION_LIMIT = 5000
TEMP_FILE_MAX_AGE = 24 * 3600  # a generation's temporary file older than this was abandoned


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


# --- The file cache -------------------------------------------------------------------------


def cache_dir() -> Path:
    return Path(settings.STOREFRONT_FEED_CACHE_DIR)


def cache_path(kind: str, site_id: int, version: int) -> Path:
    return cache_dir() / f"{kind}-site{site_id}-v{version}.xml"


def etag(kind: str, site_id: int, version: int, generated_at: int) -> str:
    return f'"{kind}-{site_id}-{version}-{generated_at}"'


@dataclass
class CachedFeed:
    file: object  # an open binary file; whoever serves it closes it
    size: int
    generated_at: int


def open_cached_feed(kind: str, site_id: int, version: int) -> CachedFeed | None:
    """The finished feed for this catalog version, opened, or None (missing or too old).

    Opened before it is checked, so another worker replacing or removing the file
    afterwards cannot take it away mid-answer.
    """
    try:
        file = open(cache_path(kind, site_id, version), "rb")  # noqa: SIM115 (the response closes it)
    except FileNotFoundError:
        return None
    stat = os.fstat(file.fileno())
    max_age = settings.STOREFRONT_FEED_MAX_AGE_SECONDS
    if max_age > 0 and time.time() - stat.st_mtime >= max_age:
        file.close()
        return None
    return CachedFeed(file=file, size=stat.st_size, generated_at=int(stat.st_mtime))


def generate_and_store(
    kind: str, site: FeedSite, version: int, generated_at: int, chunk_size: int | None = None
) -> Iterator[bytes]:
    """Streams the feed while writing it to the cache; the file appears only when complete.

    Concurrent cold requests each write their own temporary file; the renames are
    atomic, so readers only ever open a whole feed. The file's modification time
    is set to `generated_at`, so Last-Modified and the ETag stay the same when
    the file is served later.
    """
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    final = cache_path(kind, site.site_id, version)
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{final.stem}.", suffix=".tmp")
    done = False
    try:
        with os.fdopen(fd, "wb") as out:
            for block in render_feed(kind, site, chunk_size):
                out.write(block)
                yield block
        os.utime(temp_name, (generated_at, generated_at))
        os.replace(temp_name, final)
        done = True
    finally:
        if not done:  # an error, or the client went away (GeneratorExit)
            with suppress(FileNotFoundError):
                os.unlink(temp_name)
    remove_old_files(kind, site.site_id, keep=final)


def remove_old_files(kind: str, site_id: int, keep: Path) -> None:
    """Feeds of older catalog versions, and abandoned temporary files."""
    directory = cache_dir()
    for path in directory.glob(f"{kind}-site{site_id}-v*.xml"):
        if path != keep:
            with suppress(FileNotFoundError):
                path.unlink()
    cutoff = time.time() - TEMP_FILE_MAX_AGE
    for path in directory.glob(f".{kind}-site{site_id}-v*.tmp"):
        with suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
