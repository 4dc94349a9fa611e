"""JSON-LD for search engines: schema.org/Product of a product page."""

from commerce.money import shop_currency

SCHEMA_AVAILABILITY = {
    "unavailable": "https://schema.org/Discontinued",
    "in_stock": "https://schema.org/InStock",
    "out_of_stock": "https://schema.org/OutOfStock",
}


def product_structured_data(product, request, url):
    """schema.org/Product for one product: name, SKU, GTIN, images, brand-free offer."""
    currency = shop_currency(request)
    availability = SCHEMA_AVAILABILITY[product.availability]
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": product.sku,
        "description": product.short_description,
        "offers": {
            "@type": "Offer",
            "price": str(product.price),
            "priceCurrency": currency,
            "availability": availability,
        },
    }
    if url:
        data["url"] = url
        data["offers"]["url"] = url
    if product.ean:
        data["gtin"] = product.ean
    images = [i.image.get_rendition("max-1200x1200").url for i in product.images.all()][:3]
    if images and request is not None:
        data["image"] = [request.build_absolute_uri(u) for u in images]
    if product.main_category:
        data["category"] = product.main_category.name
    return data
