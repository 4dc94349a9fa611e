"""A realistic demo catalog: a 3-level category tree, attributes, warehouses and products.

Built for speed: products, images, attribute values and stock go in with
`bulk_create` in batches, and the search index is filled in bulk, so 10,000
products seed in well under two minutes. Idempotent: running it again tops the
catalog up to the requested number of demo products and changes nothing else.
"""

import io
import random
import sys
from decimal import Decimal

from django.core.files.images import ImageFile
from django.db import transaction
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
    ShopPage,
    Stock,
    Warehouse,
)
from commerce.models.catalog import ean_check_digit
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
    # name, filterable, on tile, options
    ("Colour", True, True, ["Black", "White", "Grey", "Navy", "Green", "Red", "Ochre", "Natural"]),
    ("Material", True, False, ["Cotton", "Wool", "Linen", "Steel", "Oak", "Stoneware"]),
    ("Size", True, True, ["XS", "S", "M", "L", "XL"]),
]

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
    for order, (name, filterable, on_tile, values) in enumerate(ATTRIBUTES):
        definition = AttributeDefinition.objects.filter(slug=slugify(name)).first()
        if definition is None:
            definition = AttributeDefinition(
                name=name,
                slug=slugify(name),
                is_filterable=filterable,
                show_on_tile=on_tile,
                sort_order=order,
            )
            definition.save()
            AttributeOption.objects.bulk_create(
                AttributeOption(definition=definition, value=v, slug=slugify(v), sort_order=i)
                for i, v in enumerate(values)
            )
        options[name] = list(definition.options.all())
    return options


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

    existing = Product.objects.filter(sku__startswith=DEMO_SKU_PREFIX).count()
    missing = max(0, products - existing)
    progress = Progress(missing, "Products", stream=stdout)
    rng = random.Random(existing)  # noqa: S311 - demo data: reproducible, not secret
    for start in range(existing, existing + missing, BATCH):
        size = min(BATCH, existing + missing - start)
        _create_batch(rng, start, size, leaves, options, warehouses, pictures)
        progress.advance(size)
    # bulk_create writes no revisions; without a published one Wagtail treats a live
    # product as never published. Also repairs demo products seeded before this.
    publish_first_revisions(Product.objects.filter(sku__startswith=DEMO_SKU_PREFIX))
    return {"shop": shop, "created": missing, "total": existing + missing}


def ensure_checkout_options():
    """Delivery and payment methods, and a welcome coupon: enough to check out."""
    from commerce.models import Coupon, DeliveryMethod, PaymentMethod

    for order, (name, price, free_from) in enumerate(
        [
            ("Parcel locker", "9.99", "200.00"),
            ("Courier", "14.99", "300.00"),
            ("Pick-up in store", "0", None),
        ]
    ):
        DeliveryMethod.objects.get_or_create(
            name=name,
            defaults={
                "price": Decimal(price),
                "free_from": Decimal(free_from) if free_from else None,
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
    with transaction.atomic():
        batch = []
        for number in range(start + 1, start + size + 1):
            leaf = rng.choice(leaves)
            noun = singular(leaf.name)
            name = f"{rng.choice(ADJECTIVES)} {noun.lower()} {number}"
            price = Decimal(rng.randrange(199, 29999)) / 100
            status = rng.choices(
                [ProductStatus.ACTIVE, ProductStatus.DISABLED, ProductStatus.HIDDEN],
                weights=[92, 5, 3],
            )[0]
            batch.append(
                Product(
                    name=name.capitalize(),
                    slug=f"{slugify(name)}",
                    sku=f"{DEMO_SKU_PREFIX}{number:06d}",
                    ean=_ean13(number),
                    short_description=f"A {noun.lower()} that lasts, from our {leaf.name} range.",
                    description=f"<p>{name.capitalize()}: made to be used every day.</p>",
                    status=status,
                    price=price,
                    compare_at_price=(price * Decimal("1.25")).quantize(Decimal("0.01"))
                    if rng.random() < 0.15
                    else None,
                    vat_rate=Decimal("23.00"),
                    weight=Decimal(rng.randrange(50, 5000)) / 1000,
                    unit="pcs",
                    main_category=leaf,
                    is_featured=rng.random() < 0.05,
                    live=True,
                    has_unpublished_changes=False,
                    first_published_at=now,
                    last_published_at=now,
                )
            )
        created = Product.objects.bulk_create(batch)

        images, values, stocks = [], [], []
        through = Product.attribute_options.through
        for product in created:
            for order, picture in enumerate(rng.sample(pictures, k=min(2, len(pictures)))):
                images.append(ProductImage(product=product, image=picture, sort_order=order))
            for choices in options.values():
                if rng.random() < 0.8:
                    values.append(
                        through(product_id=product.pk, attributeoption_id=rng.choice(choices).pk)
                    )
            for warehouse in rng.sample(warehouses, k=rng.randint(2, len(warehouses))):
                quantity = 0 if rng.random() < 0.1 else rng.randint(1, 120)
                stocks.append(Stock(product=product, warehouse=warehouse, quantity=quantity))
        ProductImage.objects.bulk_create(images)
        through.objects.bulk_create(values)
        Stock.objects.bulk_create(stocks)
        # bulk_create skips the signals that index one object at a time.
        get_search_backend().add_bulk(
            Product,
            Product.objects.filter(pk__in=[p.pk for p in created]).select_related("main_category"),
        )


def singular(noun):
    if noun.endswith("ives"):
        return noun[:-4] + "ife"
    return noun[:-1] if noun.endswith("s") else noun


def _ean13(number):
    body = f"200{number:09d}"  # 200–299: in-store numbers, never a real product's GTIN
    return body + ean_check_digit(body)
