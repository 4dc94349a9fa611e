"""Small builders shared by the tests: images, pages and admin form data."""

import functools
import io

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from pages.models import ContentPage


@functools.cache
def _png(size, colour):
    """A one-colour PNG, encoded once per size and colour in a test run."""
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def make_image(title="Test image", size=(320, 200), colour=(200, 40, 40)):
    image = get_image_model()(title=title)
    image.file = ImageFile(io.BytesIO(_png(tuple(size), tuple(colour))), name="test.png")
    image.save()
    return image


def image_value(image, alt_text="Alt text"):
    return {"image": image, "alt_text": alt_text, "decorative": False}


def add_content_page(parent, title, *, slug=None, publish=True, **fields):
    page = ContentPage(title=title, slug=slug or title.lower().replace(" ", "-"), **fields)
    parent.add_child(instance=page)
    if publish:
        page.save_revision().publish()
    else:
        page.live = False
        page.save_revision()
        page.save(update_fields=["live"])
    return page


def hero_value(heading="Hero heading", image=None, links=(), starts_at=None, ends_at=None):
    return {
        "image": image_value(image) if image else None,
        "heading": heading,
        "text": "Hero text",
        "links": list(links),
        "starts_at": starts_at,
        "ends_at": ends_at,
    }


def page_edit_form_data(page, body_items, **fields):
    """POST data for Wagtail's page edit view, with the body as StreamField form data.

    `body_items` are (block type, form value) pairs, where a form value is a
    string or a nested dict of the block's form fields.
    """
    data = {
        "title": page.title,
        "slug": page.slug,
        "body": streamfield(body_items),
        "comments": inline_formset([]),
    }
    data.update(fields)
    return nested_form_data(data)


# --- Catalog -------------------------------------------------------------------


def product_form_data(product, *, variants=None, **changes):
    """POST data for the product snippet's edit view: the product as it is, plus `changes`.

    `variants` replaces the variants inline's forms (dicts of form fields); by default
    the product's saved variants are sent back unchanged.
    """
    if variants is None:
        variants = [variant_form_data(v) for v in product.variants.order_by("sort_order", "pk")]
    data = {
        "name": product.name,
        "slug": product.slug,
        "status": product.status,
        "short_description": product.short_description,
        "description": rich_text(product.description or ""),
        "images": inline_formset([]),
        "documents": inline_formset([]),
        "related_links": inline_formset([]),
        "vat_rate": str(product.vat_rate),
        "unit": product.unit,
        "main_category": product.main_category_id or "",
        "variant_axes": [axis.pk for axis in product.variant_axes.all()],
        "variants": inline_formset(variants, initial=product.variants.count(), min=1),
    }
    data.update(changes)
    return nested_form_data(_multiple(data, MULTIPLE_PRODUCT_FIELDS))


# Many-to-many fields post one value per choice. As tuples they pass through
# nested_form_data unchanged (it numbers the items of lists: "options-0").
MULTIPLE_PRODUCT_FIELDS = ("variant_axes", "additional_categories", "attribute_options")
MULTIPLE_VARIANT_FIELDS = ("options", "images")


def _multiple(data, fields):
    return {k: tuple(v) if k in fields and isinstance(v, list) else v for k, v in data.items()}


def variant_form_data(variant, **changes):
    """One form of the variants inline, as the variant is now."""
    data = {
        "id": variant.pk or "",
        "sku": variant.sku,
        "ean": variant.ean,
        "price": str(variant.price),
        "compare_at_price": ""
        if variant.compare_at_price is None
        else str(variant.compare_at_price),
        "weight": "" if variant.weight is None else str(variant.weight),
        "is_active": "on" if variant.is_active else "",
        "options": [option.pk for option in variant.options.all()] if variant.pk else [],
        "images": [],
    }
    data.update(changes)
    data = _multiple(data, MULTIPLE_VARIANT_FIELDS)
    # An unticked box and an empty field are both absent from a browser's POST.
    return {key: value for key, value in data.items() if value not in ("", None)}


_counter = {"n": 0}


def _next():
    _counter["n"] += 1
    return _counter["n"]


def make_category(name, parent=None, **fields):
    from django.utils.text import slugify

    from commerce.models import Category

    category = Category(name=name, slug=fields.pop("slug", slugify(name)), parent=parent, **fields)
    category.save()
    return category


def make_warehouse(code="main", **fields):
    from commerce.models import Warehouse

    warehouse, _ = Warehouse.objects.get_or_create(
        code=code, defaults={"name": fields.pop("name", code.title()), **fields}
    )
    return warehouse


VARIANT_FIELDS = ("sku", "ean", "price", "compare_at_price", "weight", "is_active")


def make_product(
    name=None, *, stock=None, images=0, options=(), publish=True, variants=None, axes=(), **fields
):
    """A published product.

    Without `variants` it has one variant, taking `sku`, `ean`, `price`,
    `compare_at_price` and `weight` from the keywords, and `stock` ({warehouse code:
    quantity} or a plain total) is that variant's. With `variants` (a list of dicts of
    variant fields plus `options` and `stock`), `axes` are the product's variant axes.
    `product.variants.get()` is the one variant of a product without axes.
    """
    from decimal import Decimal

    from django.utils.text import slugify

    from commerce.models import Product, ProductVariant

    n = _next()
    name = name or f"Product {n}"
    one_variant = {field: fields.pop(field) for field in VARIANT_FIELDS if field in fields}
    product = Product(name=name, slug=fields.pop("slug", f"{slugify(name)}-{n}"), **fields)
    if variants is None:
        variants = [{**one_variant, "stock": stock}]
    for index, spec in enumerate(variants):
        spec = dict(spec)
        spec.setdefault("sku", f"SKU-{n:05d}" + (f"-{index + 1}" if index else ""))
        spec.setdefault("price", Decimal("10.00"))
        variant_options = spec.pop("options", ())
        spec.pop("stock", None)
        variant = ProductVariant(sort_order=index, **spec)
        variant.options.set(variant_options)
        product.variants.add(variant)
    # The axes go in with the variants: the database refuses options off the axes.
    product.variant_axes.set(axes)
    product.save()
    for index in range(images):
        image = make_image(f"{name} {index}", size=(1200, 1200))
        product.images.create(image=image, sort_order=index)
    if options:
        product.attribute_options.set(options)
    if publish:
        product.save_revision().publish()
    else:
        product.live = False
        product.save()
    saved = list(product.variants.order_by("sort_order", "pk"))
    for variant, spec in zip(saved, variants, strict=True):
        set_stock(variant, spec.get("stock"))
    return Product.objects.get(pk=product.pk)


def set_stock(variant, stock):
    """`stock` is {warehouse code: quantity}, a plain total (in "main") or None."""
    from commerce.models import Stock

    if stock is None:
        return
    levels = stock if isinstance(stock, dict) else {"main": stock}
    for code, quantity in levels.items():
        Stock.objects.update_or_create(
            variant=variant, warehouse=make_warehouse(code), defaults={"quantity": quantity}
        )


def only_variant(product):
    """The one variant of a product without axes."""
    return product.variants.get()


def as_variant(product_or_variant):
    """A variant as it is; a product (without axes) as its one variant."""
    from commerce.models import Product

    if isinstance(product_or_variant, Product):
        return only_variant(product_or_variant)
    return product_or_variant


def make_attribute(name, values, **fields):
    from django.utils.text import slugify

    from commerce.models import AttributeDefinition, AttributeOption

    definition = AttributeDefinition.objects.create(name=name, slug=slugify(name), **fields)
    options = [
        AttributeOption.objects.create(
            definition=definition, value=value, slug=slugify(value), sort_order=i
        )
        for i, value in enumerate(values)
    ]
    return definition, options


def make_shop(homepage):
    from commerce.models import ShopPage

    shop = ShopPage(title="Shop", slug="shop", show_in_menus=True, intro="All our things")
    homepage.add_child(instance=shop)
    shop.save_revision().publish()
    return shop


# Twelve demo products is the fewest that fill both of the demo homepage's product sections
# (the twelfth is the first featured one); `make run`'s 60 cost set-up time and add nothing.
DEMO_CATALOG = 12


def seed_small_demo():
    """The full demo site (homepage with every block, content pages, settings), small catalog."""
    from commerce.models import Product
    from home.demo import seed_demo_content
    from home.models import HomePage

    seed_demo_content(products=DEMO_CATALOG)
    assert Product.objects.filter(is_featured=True).exists(), "the Featured section is empty"
    return HomePage.objects.get()


def make_bulk_catalog(
    count, *, category=None, axes=(), variants_per_product=1, images=(), **fields
):
    """`count` published products in a few bulk queries, for query-budget tests: each with
    the first `variants_per_product` combinations of `axes`' options (one variant without
    axes), stock on two variants of three, the `images` (shared, so their renditions are
    made once) and `fields`. Returns the products; they are in the search index.

    Bypasses revisions: the storefront reads the live rows, which is what these tests
    count queries of.
    """
    import itertools
    from decimal import Decimal

    from wagtail.search.backends import get_search_backend

    from commerce.models import Product, ProductImage, ProductVariant, Stock, option_key_for

    n = _next()
    products = Product.objects.bulk_create(
        [
            Product(
                name=f"Sturdy thing {n}-{index:04d}",
                slug=f"sturdy-thing-{n}-{index:04d}",
                main_category=category,
                live=True,
                **fields,
            )
            for index in range(count)
        ]
    )
    combos = list(itertools.product(*[list(axis.options.all()) for axis in axes]))
    combos = combos[:variants_per_product] if axes else [()]
    variants, chosen = [], []
    # Through rows, not `variant_axes.set()`: on a cluster that waits for the next save.
    axes_through = Product.variant_axes.through
    axes_through.objects.bulk_create(
        [
            axes_through(product=product, attributedefinition=axis)
            for product in products
            for axis in axes
        ]
    )
    for product in products:
        for index, options in enumerate(combos):
            variants.append(
                ProductVariant(
                    product=product,
                    sku=f"BULK-{product.pk}-{index}",
                    price=Decimal(10 + (product.pk * 7 + index * 3) % 90),
                    sort_order=index,
                    option_key=option_key_for(o.pk for o in options),
                )
            )
            chosen.append(options)
    variants = ProductVariant.objects.bulk_create(variants)
    through = ProductVariant.options.through
    through.objects.bulk_create(
        [
            through(productvariant_id=variant.pk, attributeoption_id=option.pk)
            for variant, options in zip(variants, chosen, strict=True)
            for option in options
        ]
    )
    main = make_warehouse("main")
    Stock.objects.bulk_create(
        [
            Stock(variant=variant, warehouse=main, quantity=0 if index % 3 == 0 else 3)
            for index, variant in enumerate(variants)
        ]
    )
    ProductImage.objects.bulk_create(
        [
            ProductImage(product=product, image=image, sort_order=order)
            for product in products
            for order, image in enumerate(images)
        ]
    )
    get_search_backend().add_bulk(Product, products)
    refresh_planner_statistics()
    return products


def grow_variants_and_axes():
    """A third axis on every product with axes, each variant now in two fits: twice the
    variants per product, one more axis, stock on the new ones. In bulk (no saves)."""
    from commerce.models import Product, ProductVariant, Stock, option_key_for
    from commerce.services.catalog_version import bump_catalog_version

    fit, (regular, slim) = make_attribute("Fit", ["Regular", "Slim"], varies_per_variant=True)
    main = make_warehouse("main")
    through = ProductVariant.options.through
    products = list(Product.objects.filter(variant_axes__isnull=False).distinct())
    axes_through = Product.variant_axes.through
    axes_through.objects.bulk_create(
        [axes_through(product=product, attributedefinition=fit) for product in products]
    )
    variants = list(ProductVariant.objects.filter(product__in=products).prefetch_related("options"))
    chosen = {v.pk: [o.pk for o in v.options.all()] for v in variants}
    twins = ProductVariant.objects.bulk_create(
        [
            ProductVariant(
                product_id=v.product_id,
                sku=f"{v.sku}-SLIM",
                price=v.price + 1,
                sort_order=v.sort_order + 100,
                option_key=option_key_for([*chosen[v.pk], slim.pk]),
            )
            for v in variants
        ]
    )
    rows = []
    for variant, twin in zip(variants, twins, strict=True):
        rows += [
            through(productvariant_id=twin.pk, attributeoption_id=o) for o in chosen[variant.pk]
        ]
        rows.append(through(productvariant_id=twin.pk, attributeoption_id=slim.pk))
        rows.append(through(productvariant_id=variant.pk, attributeoption_id=regular.pk))
        variant.option_key = option_key_for([*chosen[variant.pk], regular.pk])
    through.objects.bulk_create(rows)
    ProductVariant.objects.bulk_update(variants, ["option_key"])
    Stock.objects.bulk_create([Stock(variant=twin, warehouse=main, quantity=2) for twin in twins])
    # Bulk writes send no signals: say the catalog changed, as every bulk writer must
    # (caches per catalog version would otherwise keep the old variants).
    bump_catalog_version()
    refresh_planner_statistics()
    return fit


def refresh_planner_statistics():
    """After a bulk load, as `seed_demo` does: without statistics PostgreSQL takes the
    new rows for a handful and plans the listing's nested EXISTS row by row (seconds a
    query). ANALYZE counts the rows this transaction inserted too."""
    from commerce.demo import refresh_planner_statistics as analyze

    analyze()
