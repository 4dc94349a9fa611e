"""A realistic demo catalog: a 3-level category tree, attributes, warehouses and products.

Clothing comes in sizes and colours (colours with swatches) and boots in shoe sizes and
colours, some combinations missing and some variants sold out (no stock in any
warehouse); furniture, kitchenware and the rest are sold as one variant. About four
variants per product on average: `seed_demo --products 10000` makes about 40,000.

Built for speed: products, variants, their options, images, attribute values and stock
go in with `bulk_create` in batches (the variants' option keys computed here, as
`ProductVariant.save` would), and the search index is filled in bulk. Idempotent:
running it again tops the catalog up to the requested number of demo products and
changes nothing else.
"""

import io
import random
import sys
from decimal import Decimal

from django.core.files.images import ImageFile
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.text import slugify
from wagtail.images import get_image_model
from wagtail.search.backends import get_search_backend

from commerce.models import (
    AttributeDefinition,
    AttributeOption,
    Category,
    Product,
    ProductImage,
    ProductStatus,
    ProductVariant,
    ShopPage,
    Stock,
    Warehouse,
)
from commerce.models.catalog import ean_check_digit
from commerce.models.variants import option_key_for
from commerce.services.product_revisions import publish_first_revisions
from pages.demo import render_picture

DEMO_SKU_PREFIX = "DEMO-"
BATCH = 1000

TREE = {
    "Home & living": {
        "Kitchen": ["Pans", "Knives", "Mugs"],
        "Living room": ["Lamps", "Cushions", "Rugs"],
        "Bathroom": ["Towels", "Storage"],
    },
    "Outdoors": {
        "Hiking": ["Backpacks", "Boots", "Tents"],
        "Garden": ["Tools", "Planters"],
        "Cycling": ["Helmets", "Lights"],
    },
    "Clothing": {
        "Knitwear": ["Jumpers", "Scarves", "Hats"],
        "Outerwear": ["Rain jackets", "Coats"],
    },
    "Office": {
        "Desk": ["Notebooks", "Pens", "Organisers"],
        "Tech": ["Cables", "Stands"],
    },
}

ATTRIBUTES = [
    # name, filterable, on tile, varies per variant (an axis), options (value, swatch)
    (
        "Colour",
        True,
        True,
        True,
        [
            ("Black", "#1f1f1f"),
            ("White", "#f4f1ea"),
            ("Grey", "#8a8d91"),
            ("Navy", "#1f2a44"),
            ("Green", "#2f6b3a"),
            ("Red", "#b3261e"),
            ("Ochre", "#c8912b"),
            ("Natural", "#d9c7a7"),
        ],
    ),
    (
        "Material",
        True,
        False,
        False,
        [
            "Cotton",
            "Wool",
            "Linen",
            "Steel",
            "Oak",
            "Stoneware",
            "Nylon",
            "Leather",
            "Aluminium",
            "Paper",
        ],
    ),
    ("Size", True, True, True, ["XS", "S", "M", "L", "XL"]),
    ("Shoe size", True, True, True, ["38", "39", "40", "41", "42", "43", "44", "45"]),
]

# Clothing comes in sizes and colours (scarves in colours only), boots in shoe sizes and
# colours; everything else (tents, furniture, kitchenware, the office) is one variant.
AXES_BY_TOP_CATEGORY = {"clothing": ("Size", "Colour")}
AXES_BY_LEAF = {"boots": ("Shoe size", "Colour"), "scarves": ("Colour",)}
# What each kind of thing is made of: a demo that offers a steel cushion or a linen knife
# teaches staff nothing. A leaf missing here (cables, helmets) has no material.
MATERIALS_BY_LEAF = {
    "pans": ("Steel",),
    "knives": ("Steel",),
    "mugs": ("Stoneware",),
    "lamps": ("Steel", "Oak"),
    "cushions": ("Cotton", "Linen", "Wool"),
    "rugs": ("Wool", "Cotton"),
    "towels": ("Cotton", "Linen"),
    "storage": ("Oak", "Steel"),
    "backpacks": ("Nylon",),
    "boots": ("Leather",),
    "tents": ("Nylon",),
    "tools": ("Steel", "Oak"),
    "planters": ("Stoneware",),
    "lights": ("Aluminium",),
    "jumpers": ("Wool", "Cotton"),
    "scarves": ("Wool", "Linen"),
    "hats": ("Wool", "Cotton"),
    "rain-jackets": ("Nylon",),
    "coats": ("Wool",),
    "notebooks": ("Paper",),
    "pens": ("Steel", "Aluminium"),
    "organisers": ("Oak", "Leather"),
    "stands": ("Aluminium", "Oak"),
}
# The first demo products always show what variants look like, whatever the catalog's size:
# a coat with a missing combination and a sold-out variant, boots, a lamp and a pan.
SHOWCASE = {1: "coats", 2: "boots", 3: "lamps", 4: "pans"}
MISSING_SHARE = 0.1  # combinations a product is not made in
SOLD_OUT_SHARE = 0.08  # variants with no stock in any warehouse

WAREHOUSES = [("Main warehouse", "main"), ("North depot", "north"), ("Outlet", "outlet")]

ADJECTIVES = ["Classic", "Everyday", "Heritage", "Nordic", "Urban", "Compact", "Deluxe", "Field"]
PALETTE = [
    ((31, 111, 92), (233, 196, 106)),
    ((38, 70, 83), (42, 157, 143)),
    ((231, 111, 81), (244, 162, 97)),
    ((69, 123, 157), (168, 218, 220)),
    ((109, 89, 122), (229, 107, 111)),
    ((53, 80, 112), (234, 172, 139)),
]


class Progress:
    """A one-line progress bar on stderr (only when it is a terminal)."""

    def __init__(self, total, label, stream=None):
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self.enabled = total > 0 and self.stream.isatty()

    def advance(self, count):
        self.done += count
        if self.enabled:
            width = 30
            filled = int(width * self.done / self.total)
            self.stream.write(
                f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
            )
            if self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()


def ensure_shop_page(homepage):
    shop = ShopPage.objects.first()
    if shop is None:
        shop = ShopPage(
            title="Shop",
            slug="shop",
            show_in_menus=True,
            intro="Everything we sell, in one place. Filter by category, colour and price.",
            search_description="Browse the whole catalog.",
        )
        homepage.add_child(instance=shop)
        shop.save_revision().publish()
    return shop


def ensure_categories(images):
    leaves = []
    for top_order, (top_name, children) in enumerate(TREE.items()):
        top = _category(top_name, None, top_order, images)
        for mid_order, (mid_name, leaf_names) in enumerate(children.items()):
            mid = _category(mid_name, top, mid_order, images)
            for leaf_order, leaf_name in enumerate(leaf_names):
                leaves.append(_category(leaf_name, mid, leaf_order, images))
    return leaves


def _category(name, parent, order, images):
    slug = slugify(name)
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        category = Category(
            name=name,
            slug=slug,
            parent=parent,
            sort_order=order,
            description=f"Our pick of {name.lower()}.",
            image=images[order % len(images)] if images else None,
        )
        category.save()
    return category


def ensure_attributes():
    options = {}
    for order, (name, filterable, on_tile, varies, values) in enumerate(ATTRIBUTES):
        definition = AttributeDefinition.objects.filter(slug=slugify(name)).first()
        if definition is None:
            definition = AttributeDefinition(
                name=name,
                slug=slugify(name),
                is_filterable=filterable,
                show_on_tile=on_tile,
                varies_per_variant=varies,
                sort_order=order,
            )
            definition.save()
        # Options added to the demo since an attribute was made are topped up (by slug).
        have = set(definition.options.values_list("slug", flat=True))
        AttributeOption.objects.bulk_create(
            AttributeOption(
                definition=definition, value=value, slug=slugify(value), swatch=swatch, sort_order=i
            )
            for i, (value, swatch) in enumerate(
                v if isinstance(v, tuple) else (v, "") for v in values
            )
            if slugify(value) not in have
        )
        options[name] = list(definition.options.all())
    return options


def demo_products():
    """The products the demo seed made (their variants' SKUs start with DEMO-)."""
    return Product.objects.filter(
        Exists(
            ProductVariant.objects.filter(product=OuterRef("pk"), sku__startswith=DEMO_SKU_PREFIX)
        )
    )


def ensure_warehouses():
    warehouses = []
    for order, (name, code) in enumerate(WAREHOUSES):
        warehouse, _ = Warehouse.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order}
        )
        warehouses.append(warehouse)
    return warehouses


def ensure_product_pictures(count=8):
    """A small pool of generated product pictures, shared by all demo products."""
    Image = get_image_model()
    pictures = list(Image.objects.filter(title__startswith="Demo product ").order_by("title"))
    for index in range(len(pictures), count):
        start, end = PALETTE[index % len(PALETTE)]
        data = render_picture(f"Product {index + 1}", start, end, (720, 720))
        image = Image(title=f"Demo product {index + 1:02d}", description="A product photo")
        image.file = ImageFile(io.BytesIO(data), name=f"demo-product-{index + 1}.jpg")
        image.save()
        pictures.append(image)
    return pictures


def seed_catalog(homepage, products: int, *, category_images=(), stdout=None) -> dict:
    """Creates the catalog structure and tops demo products up to `products`.

    New categories take their pictures from `category_images` in turn (none when empty).
    """
    shop = ensure_shop_page(homepage)
    leaves = ensure_categories(list(category_images))
    options = ensure_attributes()
    warehouses = ensure_warehouses()
    ensure_checkout_options()
    pictures = ensure_product_pictures() if products else []

    existing = demo_products().count()
    missing = max(0, products - existing)
    progress = Progress(missing, "Products", stream=stdout)
    rng = random.Random(existing)  # noqa: S311 - demo data: reproducible, not secret
    for start in range(existing, existing + missing, BATCH):
        size = min(BATCH, existing + missing - start)
        _create_batch(rng, start, size, leaves, options, warehouses, pictures)
        progress.advance(size)
    # bulk_create writes no revisions; without a published one Wagtail treats a live
    # product as never published. Also repairs demo products seeded before this.
    publish_first_revisions(demo_products())
    ensure_promotions(warehouses[0])
    if missing:
        refresh_planner_statistics()
    return {"shop": shop, "created": missing, "total": existing + missing}


# The promotions' own products: not demo products (their SKUs do not start with DEMO-), so
# topping the catalog up counts without them.
PROMOTION_PRODUCTS = [
    # SKU, name, category slug, price, stock
    ("PROMO-MUG", "Stoneware mug", "mugs", "7.50", 500),
    ("PROMO-TOTE", "Canvas tote bag", "storage", "6.00", 200),
]


def ensure_promotion_product(sku, name, category_slug, price, stock, warehouse):
    variant = ProductVariant.objects.filter(sku=sku).select_related("product").first()
    if variant is not None:
        return variant
    product = Product(
        name=name,
        slug=slugify(name),
        short_description=f"A {name.lower()} from our promotions.",
        vat_rate=Decimal("23.00"),
        unit="pcs",
        main_category=Category.objects.filter(slug=category_slug).first(),
    )
    product.variants.add(ProductVariant(sku=sku, price=Decimal(price), sort_order=0))
    product.save()
    product.save_revision().publish()
    variant = product.variants.get()
    Stock.objects.create(variant=variant, warehouse=warehouse, quantity=stock)
    return variant


def ensure_promotions(warehouse):
    """Three running promotions, so `make run` shows them on tiles, product pages and their
    own pages: a threshold price on a mug (5.00 each from 10), a gift (a tote bag free from
    100.00 of kitchen things), and 10% off living-room things from 2. Idempotent (by short
    code)."""
    from commerce.models import Promotion, PromotionCondition, PromotionReward

    mug, tote = (ensure_promotion_product(*spec, warehouse) for spec in PROMOTION_PRODUCTS)
    living_room = (
        ProductVariant.objects.filter(
            is_active=True,
            product__main_category__slug_path__startswith="home-living/living-room/",
            product__status=ProductStatus.ACTIVE,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:40]
    )
    plans = [
        (
            "mug-week",
            "Mug week",
            "Ten mugs or more: 5.00 each.",
            {"threshold_min": 10},
            [{"variant_id": mug.pk, "value_type": "fixed_price", "given_price": Decimal("5")}],
            [],
        ),
        (
            "free-tote-bag",
            "A tote bag with your kitchen things",
            "Spend 100.00 on anything for the kitchen and take a canvas tote bag home, free.",
            {"threshold_min": 100, "measure": "value", "qualifying": "chosen"},
            [{"variant_id": tote.pk, "value_type": "gift", "quantity": 1}],
            list(Category.objects.filter(slug="kitchen")),
        ),
        (
            "living-room-10",
            "10% off the living room",
            "Two or more lamps, cushions or rugs: 10% off each.",
            {"threshold_min": 2},
            [
                {"variant_id": pk, "value_type": "percent", "reward_value": Decimal("10")}
                for pk in living_room
            ],
            [],
        ),
    ]
    for short_code, name, description, thresholds, rewards, categories in plans:
        if Promotion.objects.filter(short_code=short_code).exists() or not rewards:
            continue
        promotion = Promotion.objects.create(
            name=name, short_code=short_code, description=description, live=False
        )
        condition = PromotionCondition.objects.create(promotion=promotion, **thresholds)
        condition.qualifying_categories.set(categories)
        condition.save()  # parental many-to-many sets are written with their condition
        PromotionReward.objects.bulk_create(
            PromotionReward(condition=condition, sort_order=i, **reward)
            for i, reward in enumerate(rewards)
        )
        promotion.save_revision().publish()


def refresh_planner_statistics():
    """ANALYZE the catalog tables after a bulk load (PostgreSQL).

    Until autovacuum gets to them, the planner believes a freshly filled table is nearly
    empty and picks nested loops over 60,000 variant options: the catalog's facet
    counts took 460 ms instead of 115 ms at 10,000 products right after seeding."""
    if connection.vendor != "postgresql":
        return
    tables = [
        model._meta.db_table
        for model in (Product, ProductVariant, ProductVariant.options.through, Stock)
    ] + [Product.attribute_options.through._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def ensure_checkout_options():
    """Delivery and payment methods, and a welcome coupon: enough to check out."""
    from commerce.models import Coupon, DeliveryMethod, PaymentMethod

    # The home page's banner promises "Free delivery on orders over 50" and "Delivery in
    # two working days" (home/demo.py): the methods keep that promise, also in a database
    # seeded before (update, not get-or-create).
    for order, (name, price, free_from, delivery_time) in enumerate(
        [
            ("Parcel locker", "4.99", "50.00", "1–2 working days"),
            ("Courier", "9.99", "50.00", "Next working day"),
            ("Pick-up in store", "0", None, "Ready in 2 hours"),
        ]
    ):
        DeliveryMethod.objects.update_or_create(
            name=name,
            defaults={
                "price": Decimal(price),
                "free_from": Decimal(free_from) if free_from else None,
                "delivery_time": delivery_time,
                "sort_order": order,
            },
        )
    for order, (name, provider) in enumerate(
        [
            ("Card (test: 4242 4242 4242 4242)", "mock_card"),
            ("Bank transfer", "bank_transfer"),
            ("Cash on delivery", "cash_on_delivery"),
        ]
    ):
        PaymentMethod.objects.get_or_create(
            provider=provider, defaults={"name": name, "sort_order": order}
        )
    if not Coupon.objects.filter(code__iexact="WELCOME10").exists():
        Coupon.objects.create(
            code="WELCOME10",
            description="10 % off your first order",
            value=Decimal("10"),
            per_customer_limit=1,
        )


def _create_batch(rng, start, size, leaves, options, warehouses, pictures):
    now = timezone.now()
    definitions = {name: choices[0].definition_id for name, choices in options.items()}
    by_slug = {leaf.slug: leaf for leaf in leaves}
    with transaction.atomic():
        plans = []
        for number in range(start + 1, start + size + 1):
            leaf = by_slug.get(SHOWCASE.get(number, "")) or rng.choice(leaves)
            noun = singular(leaf.name)
            name = f"{rng.choice(ADJECTIVES)} {noun.lower()} {number}"
            status = rng.choices(
                [ProductStatus.ACTIVE, ProductStatus.DISABLED, ProductStatus.HIDDEN],
                weights=[92, 5, 3],
            )[0]
            product = Product(
                name=name.capitalize(),
                slug=f"{slugify(name)}",
                short_description=f"A {noun.lower()} that lasts, from our {leaf.name} range.",
                description=f"<p>{name.capitalize()}: made to be used every day.</p>",
                status=ProductStatus.ACTIVE if number in SHOWCASE else status,
                vat_rate=Decimal("23.00"),
                unit="pcs",
                main_category=leaf,
                is_featured=number in SHOWCASE or rng.random() < 0.05,
                live=True,
                has_unpublished_changes=False,
                first_published_at=now,
                last_published_at=now,
            )
            axes = _axes_for(leaf)
            plans.append((product, axes, _variant_plan(rng, number, axes, options)))
        created = Product.objects.bulk_create([product for product, _, _ in plans])

        images, values, axis_rows, variants, variant_options = [], [], [], [], []
        through = Product.attribute_options.through
        axes_through = Product.variant_axes.through
        for product, axes, plan in plans:
            for order, picture in enumerate(rng.sample(pictures, k=min(2, len(pictures)))):
                images.append(ProductImage(product=product, image=picture, sort_order=order))
            # An axis is only ever an axis: a teapot's colour would not match the
            # Colour filter, which looks at variants (Product.attribute_options). The one
            # shared attribute, Material, is one its kind of thing is made of.
            materials = _materials_for(product.main_category, options)
            if materials and rng.random() < 0.8:
                option = rng.choice(materials)
                values.append(through(product_id=product.pk, attributeoption_id=option.pk))
            for axis in axes:
                axis_rows.append(
                    axes_through(product_id=product.pk, attributedefinition_id=definitions[axis])
                )
            for spec in plan:
                variants.append(ProductVariant(product=product, **spec["fields"]))
        ProductImage.objects.bulk_create(images)
        through.objects.bulk_create(values)
        # The axes before the variants' options: SQLite checks each row as it goes in.
        axes_through.objects.bulk_create(axis_rows)
        variants = ProductVariant.objects.bulk_create(variants)

        stocks = []
        option_through = ProductVariant.options.through
        specs = [spec for _, _, plan in plans for spec in plan]
        for variant, spec in zip(variants, specs, strict=True):
            for option in spec["options"]:
                variant_options.append(
                    option_through(productvariant_id=variant.pk, attributeoption_id=option.pk)
                )
            # Two warehouses at least; a sold-out variant has a row of 0 in each.
            for warehouse in rng.sample(warehouses, k=rng.randint(2, len(warehouses))):
                quantity = 0 if spec["sold_out"] else rng.randint(0, 120)
                stocks.append(Stock(variant=variant, warehouse=warehouse, quantity=quantity))
        option_through.objects.bulk_create(variant_options, batch_size=5000)
        Stock.objects.bulk_create(stocks, batch_size=5000)
        # bulk_create skips the signals that index one object at a time.
        get_search_backend().add_bulk(
            Product,
            Product.objects.filter(pk__in=[p.pk for p in created]).select_related("main_category"),
        )


def _materials_for(leaf, options):
    allowed = MATERIALS_BY_LEAF.get(leaf.slug, ())
    return [option for option in options["Material"] if option.value in allowed]


def _axes_for(leaf):
    top = leaf.slug_path.split("/")[0]
    return AXES_BY_LEAF.get(leaf.slug) or AXES_BY_TOP_CATEGORY.get(top, ())


def _variant_plan(rng, number, axes, options):
    """The variants of demo product `number`: fields, options and whether it is sold out.

    Without axes, one variant with the product's SKU as the demo always had. With axes, a
    run of sizes times a few colours, minus some combinations (never all but one), each
    priced from the product's price (larger sizes cost a little more).
    """
    price = Decimal(rng.randrange(199, 29999)) / 100
    discounted = rng.random() < 0.15
    weight = Decimal(rng.randrange(50, 5000)) / 1000

    def fields(sku, index, price):
        return {
            "sku": sku,
            "ean": _ean13(number, index),
            "price": price,
            "compare_at_price": (price * Decimal("1.25")).quantize(Decimal("0.01"))
            if discounted
            else None,
            "weight": weight,
            "sort_order": index,
            "option_key": "",
        }

    base_sku = f"{DEMO_SKU_PREFIX}{number:06d}"
    if not axes:
        return [{"fields": fields(base_sku, 0, price), "options": [], "sold_out": False}]
    if len(axes) == 1:  # colours only (scarves): a few of them, no sizes
        colours = sorted(
            rng.sample(options[axes[0]], k=rng.randint(3, 5)), key=lambda o: o.sort_order
        )
        plan = []
        for index, colour in enumerate(colours):
            spec = fields(f"{base_sku}-{slugify(colour.value).upper()}", index, price)
            spec["option_key"] = option_key_for([colour.pk])
            sold_out = rng.random() < SOLD_OUT_SHARE
            plan.append({"fields": spec, "options": [colour], "sold_out": sold_out})
        return plan
    first, second = (options[axis] for axis in axes)
    start = rng.randrange(0, max(1, len(first) - 3))
    sizes = first[start : start + rng.randint(3, min(5, len(first) - start))]
    colours = sorted(rng.sample(second, k=rng.randint(3, 5)), key=lambda o: o.sort_order)
    combinations = [(size, colour) for colour in colours for size in sizes]
    showcase = number in SHOWCASE
    if showcase:
        combinations.pop(1)  # one combination this coat is not made in
    else:
        combinations = [c for c in combinations if rng.random() >= MISSING_SHARE] or combinations
    plan = []
    for index, (size, colour) in enumerate(combinations):
        step = size.sort_order - sizes[0].sort_order
        variant_price = (price * (1 + Decimal("0.05") * (step // 2))).quantize(Decimal("0.01"))
        sku = f"{base_sku}-{slugify(size.value).upper()}-{slugify(colour.value).upper()}"
        spec = fields(sku, index, variant_price)
        spec["option_key"] = option_key_for([size.pk, colour.pk])
        sold_out = index == 0 if showcase else rng.random() < SOLD_OUT_SHARE
        plan.append({"fields": spec, "options": [size, colour], "sold_out": sold_out})
    return plan


def singular(noun):
    """A demo product's noun from its category's name: "Knives" → "Knife", "Scarves" →
    "Scarf" (not "Scarve", which no shopper searches for), "Mugs" → "Mug"."""
    if noun.endswith("ives"):
        return noun[:-4] + "ife"
    if noun.endswith("arves"):
        return noun[:-3] + "f"
    return noun[:-1] if noun.endswith("s") else noun


def _ean13(number, index=0):
    # 200–299: in-store numbers, never a real product's GTIN; one per variant.
    body = f"200{number:06d}{index:03d}"
    return body + ean_check_digit(body)
