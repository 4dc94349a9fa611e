"""Migrations 0011-0014 on a database populated by the schema before variants: nothing lost.

The database goes back to commerce 0010, is filled through the historical models (products
with SKU, EAN, prices and weight, stock in two warehouses, a cart, an order with
allocations, a shopping list, product revisions including a scheduled price change), and
goes forward to the latest schema; the counts and sums must match, each reference now at
the variant carrying its product's SKU and price. The fixture puts the latest schema back
whatever happens, and the test runs outside a test transaction (migrations commit).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("commerce", "0010_safe_deletes_data")]

pytestmark = pytest.mark.django_db(transaction=True)


class Migrations:
    """One executor for the whole back-and-forth.

    Building a project state and rendering its models is most of what a migration run costs
    besides the migrations' own work; Django's executor returns the state it reaches, so the
    state after going back is the one the old models come from, and the one going forward
    starts from (rather than each step rebuilding it from every app's migrations).
    """

    def __init__(self):
        self.executor = MigrationExecutor(connection)
        self.state = None

    def back_to(self, targets):
        self.state = self.executor.migrate(targets)
        return self.state.apps

    def to_latest(self):
        """Forward to the latest schema; nothing to do (and no state to build) if there."""
        # A state that a failed step may have left half-way is not reused.
        state, self.state = self.state, None
        self.executor.loader.build_graph()  # the applied migrations changed
        leaves = self.executor.loader.graph.leaf_nodes()
        plan = self.executor.migration_plan(leaves)
        if plan:
            self.executor.migrate(leaves, plan=plan, state=state)


@pytest.fixture
def migrations():
    steps = Migrations()
    try:
        yield steps
    finally:
        steps.to_latest()


def populate(apps):
    Product = apps.get_model("commerce", "Product")
    Warehouse = apps.get_model("commerce", "Warehouse")
    Stock = apps.get_model("commerce", "Stock")
    Cart = apps.get_model("commerce", "Cart")
    CartLine = apps.get_model("commerce", "CartLine")
    Order = apps.get_model("commerce", "Order")
    OrderLine = apps.get_model("commerce", "OrderLine")
    Allocation = apps.get_model("commerce", "OrderLineAllocation")
    ShoppingList = apps.get_model("commerce", "ShoppingList")
    ShoppingListItem = apps.get_model("commerce", "ShoppingListItem")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Revision = apps.get_model("wagtailcore", "Revision")

    main = Warehouse.objects.create(name="Main", code="main", sort_order=0)
    north = Warehouse.objects.create(name="North", code="north", sort_order=1)
    specs = [
        ("COAT", "4006381333931", "99.00", "120.00", "1.250"),
        ("MUG", "4006381333931", "12.50", None, "0.400"),  # the same EAN: loses it
        ("LAMP", "", "45.00", None, None),
    ]
    products = [
        Product.objects.create(
            name=sku.title(),
            slug=sku.lower(),
            sku=sku,
            ean=ean,
            price=Decimal(price),
            compare_at_price=Decimal(compare) if compare else None,
            weight=Decimal(weight) if weight else None,
        )
        for sku, ean, price, compare, weight in specs
    ]
    coat, mug, lamp = products
    for product, warehouse, quantity in [
        (coat, main, 5),
        (coat, north, 7),
        (mug, main, 3),
        (mug, north, 0),
        (lamp, north, 11),
    ]:
        Stock.objects.create(product=product, warehouse=warehouse, quantity=quantity)

    cart = Cart.objects.create()
    for product, quantity in [(coat, 2), (mug, 1)]:
        CartLine.objects.create(
            cart=cart,
            product=product,
            product_name=product.name,
            quantity=quantity,
            unit_price=product.price,
        )
    CartLine.objects.create(  # its product was deleted: stays without a variant
        cart=cart, product=None, product_name="Gone", quantity=1, unit_price=Decimal("1")
    )

    order = Order.objects.create(
        number="2026-000001",
        email="a@example.org",
        full_name="A Shopper",
        delivery_method_name="Courier",
        delivery_cost=Decimal("9.99"),
        delivery_vat_rate=Decimal("23"),
        payment_method_name="Card",
        payment_provider="mock_card",
        currency="PLN",
        subtotal=Decimal("210.50"),
        discount=Decimal("0"),
        vat_total=Decimal("39.36"),
        grand_total=Decimal("220.49"),
    )
    for product, quantity, allocations in [(coat, 2, [(main, 1), (north, 1)]), (mug, 1, [])]:
        line = OrderLine.objects.create(
            order=order,
            product=product,
            product_name=product.name,
            sku=product.sku,
            unit_price=product.price,
            quantity=quantity,
            line_total=product.price * quantity,
            vat_rate=Decimal("23"),
        )
        for warehouse, units in allocations:
            Allocation.objects.create(line=line, warehouse=warehouse, quantity=units)

    shopping_list = ShoppingList.objects.create(name="Wishes", guest_key="guest-1")
    for product in (coat, lamp):
        ShoppingListItem.objects.create(
            shopping_list=shopping_list,
            product=product,
            product_name=product.name,
            sku=product.sku,
            price_when_added=product.price,
        )

    content_type, _ = ContentType.objects.get_or_create(app_label="commerce", model="product")

    def revision(product, price, **fields):
        content = {
            "pk": product.pk,
            "name": product.name,
            "slug": product.slug,
            "sku": product.sku,
            "ean": product.ean,
            "price": price,
            "compare_at_price": None,
            "weight": None,
            "status": "active",
            "vat_rate": "23.00",
            "unit": "pcs",
            "images": [],
            "attribute_options": [],
            "additional_categories": [],
        }
        return Revision.objects.create(
            content_type=content_type,
            base_content_type=content_type,
            object_id=str(product.pk),
            object_str=product.name,
            content=content,
            created_at=timezone.now(),
            **fields,
        )

    live = revision(coat, "99.00")
    scheduled = revision(coat, "79.00", approved_go_live_at=timezone.now() + timedelta(days=3))
    Product.objects.filter(pk=coat.pk).update(live_revision=live, latest_revision=scheduled)
    return {"products": products, "revisions": (live, scheduled), "warehouses": (main, north)}


def snapshot(apps, *, by):
    """Counts and sums that must survive; `by` names each row's SKU from its reference."""
    from django.db.models import Count, Sum

    Stock = apps.get_model("commerce", "Stock")
    CartLine = apps.get_model("commerce", "CartLine")
    OrderLine = apps.get_model("commerce", "OrderLine")
    Allocation = apps.get_model("commerce", "OrderLineAllocation")
    ShoppingListItem = apps.get_model("commerce", "ShoppingListItem")
    stock = Stock.objects.values("warehouse__code").annotate(
        rows=Count("pk"), units=Sum("quantity")
    )
    return {
        "stock": {row["warehouse__code"]: (row["rows"], row["units"]) for row in stock},
        "stock_skus": sorted(
            Stock.objects.values_list(f"{by}__sku", "warehouse__code", "quantity")
        ),
        "cart_lines": sorted(
            CartLine.objects.values_list(f"{by}__sku", "quantity", "unit_price"),
            key=str,
        ),
        "order_lines": sorted(
            OrderLine.objects.values_list(f"{by}__sku", "sku", "quantity", "unit_price")
        ),
        "allocations": (Allocation.objects.count(), Allocation.objects.aggregate(Sum("quantity"))),
        "allocation_skus": sorted(
            Allocation.objects.values_list(f"line__{by}__sku", "warehouse__code", "quantity")
        ),
        "list_items": sorted(
            ShoppingListItem.objects.values_list(f"{by}__sku", "price_when_added")
        ),
    }


def test_every_product_becomes_one_variant_and_nothing_is_lost(migrations):
    old_apps = migrations.back_to(BEFORE)
    made = populate(old_apps)
    before = snapshot(old_apps, by="product")
    old_products = {
        p.pk: p for p in old_apps.get_model("commerce", "Product").objects.order_by("pk")
    }

    migrations.to_latest()

    from django.apps import apps

    from commerce.models import Product, ProductVariant

    after = snapshot(apps, by="variant")
    assert after == before
    assert before["stock"] == {"main": (2, 8), "north": (3, 18)}

    assert Product.objects.count() == ProductVariant.objects.count() == 3
    for variant in ProductVariant.objects.select_related("product"):
        old = old_products[variant.product_id]
        assert (variant.sku, variant.price, variant.compare_at_price, variant.weight) == (
            old.sku,
            old.price,
            old.compare_at_price,
            old.weight,
        )
        assert variant.option_key == "" and variant.is_active
    # Two products shared an EAN: the first keeps it, the other's variant has none.
    coat, mug, lamp = (p.pk for p in made["products"])
    eans = dict(ProductVariant.objects.values_list("product_id", "ean"))
    assert eans == {coat: "4006381333931", mug: "", lamp: ""}

    # Lines and items also point at the variant of their own product (not just its SKU).
    from commerce.models import CartLine, OrderLine, ShoppingListItem

    for line in OrderLine.objects.select_related("variant"):
        assert line.variant.product_id == line.product_id
    assert CartLine.objects.filter(variant__isnull=True).count() == 1  # the deleted one

    # The revisions carry the variant, with the price each revision had.
    from wagtail.models import Revision

    live, scheduled = (Revision.objects.get(pk=r.pk) for r in made["revisions"])
    for revision, price in [(live, "99.00"), (scheduled, "79.00")]:
        assert "sku" not in revision.content and "price" not in revision.content
        (variant,) = revision.content["variants"]
        assert (variant["sku"], variant["price"]) == ("COAT", price)
        assert revision.as_object().variants.all()[0].price == Decimal(price)
    assert scheduled.approved_go_live_at is not None
    assert ShoppingListItem.objects.filter(variant__sku="LAMP").exists()
