"""JSON-LD for search engines: schema.org data of a product page.

A product sold in variants is a `ProductGroup` whose `hasVariant` are `Product`s, each
with its SKU, GTIN, option values and its own `Offer` at its own URL (`?variant=`), as
Google's product-variant structured data asks; a product without axes stays one
`Product` with one `Offer`. Everything comes from the rows the page loaded
(services.catalog.product_page): no query of its own.
"""

from commerce.money import shop_currency

from .product_page import options_by_axis, page_variants, picture_ids, product_axes, variant_url

SCHEMA_AVAILABILITY = {
    "unavailable": "https://schema.org/Discontinued",
    "in_stock": "https://schema.org/InStock",
    "out_of_stock": "https://schema.org/OutOfStock",
}
# Axes schema.org has a property for, by the words in their slug; others are named.
SCHEMA_PROPERTIES = {
    "size": "size",
    "colour": "color",
    "color": "color",
    "material": "material",
    "pattern": "pattern",
}
MAX_IMAGES = 3


def schema_property(axis) -> str | None:
    """ "size" for an axis "size" or "shoe-size", "color" for "colour"; else None."""
    for word in reversed(axis.slug.split("-")):
        if word in SCHEMA_PROPERTIES:
            return SCHEMA_PROPERTIES[word]
    return None


def image_urls(product_images, request) -> list[str]:
    if request is None:
        return []
    return [
        request.build_absolute_uri(i.image.get_rendition("max-1200x1200").url)
        for i in product_images[:MAX_IMAGES]
    ]


def offer(variant, currency, url) -> dict:
    data = {
        "@type": "Offer",
        "price": str(variant.price),
        "priceCurrency": currency,
        "availability": SCHEMA_AVAILABILITY[variant.availability],
    }
    if url:
        data["url"] = url
    return data


def product_structured_data(product, request, url):
    """schema.org data for one product page: a ProductGroup with axes, else a Product."""
    currency = shop_currency(request)
    variants = page_variants(product)
    axes = product_axes(product)
    gallery = list(product.images.all())
    if axes:
        data = {
            "@context": "https://schema.org",
            "@type": "ProductGroup",
            "name": product.name,
            "description": product.short_description,
            "productGroupID": str(product.pk),
            "variesBy": [
                f"https://schema.org/{schema_property(axis)}"
                if schema_property(axis)
                else axis.name
                for axis in axes
            ],
            "hasVariant": [
                variant_data(variant, axes, gallery, currency, request, url) for variant in variants
            ],
        }
    else:
        data = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": product.name,
            "description": product.short_description,
        }
        variant = variants[0] if variants else None
        if variant is not None:
            data["sku"] = variant.sku
            if variant.ean:
                data["gtin"] = variant.ean
            data["offers"] = offer(variant, currency, url)
    if url:
        data["url"] = url
    images = image_urls(gallery, request)
    if images:
        data["image"] = images
    if product.main_category:
        data["category"] = product.main_category.name
    return data


def variant_data(variant, axes, gallery, currency, request, url) -> dict:
    """One variant of a ProductGroup: a Product with its options and its own Offer."""
    variant_link = variant_url(url, variant) if url else ""
    data = {
        "@type": "Product",
        "sku": variant.sku,
        "name": variant.description,
    }
    if variant.ean:
        data["gtin"] = variant.ean
    chosen = options_by_axis(variant)
    extra = []
    for axis in axes:
        option = chosen.get(axis.pk)
        if option is None:
            continue
        name = schema_property(axis)
        if name:
            data[name] = option.value
        else:
            extra.append({"@type": "PropertyValue", "name": axis.name, "value": option.value})
    if extra:
        data["additionalProperty"] = extra
    own = set(picture_ids(variant))
    pictures = [i for i in gallery if i.image_id in own] or gallery
    images = image_urls(pictures, request)
    if images:
        data["image"] = images[0]
    data["offers"] = offer(variant, currency, variant_link)
    return data
