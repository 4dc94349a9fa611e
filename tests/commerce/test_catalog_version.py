"""The catalog version and the one rule for stock writes: bump when a variant goes in or
out of stock (services.catalog_version.bump_if_availability_changed), whoever writes."""

from decimal import Decimal

import pytest

from commerce.models import OrderStatus
from commerce.services.catalog_version import (
    availability_changed,
    bump_catalog_version,
    catalog_version,
)
from commerce.services.inventory import set_stock_levels
from commerce.services.orders import cancel_order, refund_order
from tests.factories.catalog import (
    make_attribute,
    make_product,
    make_warehouse,
    only_variant,
)
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        ({1: 3}, {1: 0}, True),  # sold out
        ({1: 0}, {1: 2}, True),  # back in stock
        ({}, {1: 2}, True),  # a variant without rows has no units
        ({1: 3}, {1: 1}, False),  # fewer, still in stock
        ({1: 0}, {}, False),
        ({1: 3, 2: 0}, {1: 2, 2: 0}, False),
        ({1: 3, 2: 1}, {1: 2, 2: 0}, True),  # one of several
    ],
)
def test_availability_changes_only_when_a_variant_flips(before, after, changed):
    assert availability_changed(before=before, after=after) is changed


def test_bump_creates_the_row_a_flushed_database_lacks():
    from commerce.models import CatalogVersion

    CatalogVersion.objects.all().delete()
    assert catalog_version() == 0
    bump_catalog_version()
    assert catalog_version() == 2


def test_the_stock_editor_bumps_on_a_flip_only():
    main = make_warehouse("main")
    variant = only_variant(make_product(stock=2))
    version = catalog_version()
    set_stock_levels({variant.pk: {main.pk: 1}})
    assert catalog_version() == version
    set_stock_levels({variant.pk: {main.pk: 0}})
    assert catalog_version() == version + 1


def test_units_in_an_inactive_warehouse_bring_nothing_back():
    outlet = make_warehouse("outlet", is_active=False)
    variant = only_variant(make_product(stock=0))
    version = catalog_version()
    set_stock_levels({variant.pk: {outlet.pk: 50}})
    assert catalog_version() == version


@pytest.fixture
def coat():
    """Size S (2 in stock) and M (3 in stock)."""
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    return make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-S", "price": Decimal("10"), "options": [s], "stock": 2},
            {"sku": "COAT-M", "price": Decimal("10"), "options": [m], "stock": 3},
        ],
    )


def test_one_variant_selling_out_bumps_while_the_product_is_still_in_stock(coat):
    main = make_warehouse("main")
    small = coat.variants.get(sku="COAT-S")
    version = catalog_version()
    set_stock_levels({small.pk: {main.pk: 0}})
    assert coat.is_in_stock  # the M is left
    assert catalog_version() == version + 1


def test_variants_that_keep_their_availability_keep_the_version(coat):
    main = make_warehouse("main")
    small, medium = coat.variants.get(sku="COAT-S"), coat.variants.get(sku="COAT-M")
    version = catalog_version()
    set_stock_levels({small.pk: {main.pk: 1}, medium.pk: {main.pk: 9}})
    assert catalog_version() == version


def test_one_write_that_flips_one_of_two_variants_bumps_once(coat):
    main = make_warehouse("main")
    small, medium = coat.variants.get(sku="COAT-S"), coat.variants.get(sku="COAT-M")
    version = catalog_version()
    set_stock_levels({small.pk: {main.pk: 5}, medium.pk: {main.pk: 0}})
    assert catalog_version() == version + 1


def test_a_cancel_that_brings_a_product_back_bumps():
    order = make_order([(make_product(stock=0), 1)])
    version = catalog_version()
    cancel_order(order)
    assert catalog_version() == version + 1


def test_a_cancel_of_a_product_still_in_stock_keeps_the_cached_pages():
    order = make_order([(make_product(stock=5), 1)])
    version = catalog_version()
    cancel_order(order)
    assert catalog_version() == version


def test_a_refund_that_restocks_a_sold_out_product_bumps():
    order = make_order([(make_product(stock=0), 2)], status=OrderStatus.PAID)
    version = catalog_version()
    refund_order(order)
    assert catalog_version() == version + 1


def test_a_refund_after_shipping_returns_nothing_and_keeps_the_version():
    order = make_order([(make_product(stock=0), 2)], status=OrderStatus.SHIPPED)
    version = catalog_version()
    refund_order(order)
    assert catalog_version() == version


class TestPromotionsChangeTheCatalog:
    """Offers are on cached tiles and product pages: publishing, switching off or editing
    a promotion must take those pages away at once; a draft must not."""

    def make(self):
        from tests.factories.promotions import condition, make_promotion, reward

        mug = make_product("Mug", price="8.00", stock=5)
        return make_promotion("Mugs", [condition([reward(mug, given_price="5.00")])])

    def test_publishing_a_promotion_bumps(self):
        version = catalog_version()
        promotion = self.make()
        assert catalog_version() > version
        version = catalog_version()
        promotion.is_active = False
        promotion.save_revision().publish()
        assert catalog_version() > version

    def test_saving_a_draft_of_a_live_promotion_does_not_bump(self):
        promotion = self.make()
        version = catalog_version()
        promotion.name = "Mugs, draft"
        promotion.save_revision()
        assert catalog_version() == version

    def test_changing_a_conditions_chosen_products_bumps(self):
        promotion = self.make()
        condition = promotion.conditions.get()
        version = catalog_version()
        condition.qualifying_products.add(make_product("Cup", stock=1))
        condition.save()
        assert catalog_version() > version
