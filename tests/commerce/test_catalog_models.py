"""Catalog rules: visibility by status, stock sums, the stock constraint, the category tree."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from commerce.models import Category, Product, ProductStatus, ProductVariant, Stock
from commerce.models.catalog import ean_check_digit, ean_checksum_ok, ean_format_ok
from commerce.services.inventory import set_stock_levels
from tests.factories.catalog import make_category, make_product, make_warehouse, only_variant

pytestmark = pytest.mark.django_db


class TestVisibility:
    def test_active_and_disabled_are_visible_hidden_and_drafts_are_not(self):
        active = make_product(status=ProductStatus.ACTIVE)
        disabled = make_product(status=ProductStatus.DISABLED)
        make_product(status=ProductStatus.HIDDEN)
        make_product(status=ProductStatus.ACTIVE, publish=False)
        assert set(Product.objects.visible()) == {active, disabled}

    def test_only_active_live_products_are_purchasable(self):
        assert make_product(status=ProductStatus.ACTIVE).is_purchasable
        assert not make_product(status=ProductStatus.DISABLED).is_purchasable
        assert not make_product(status=ProductStatus.HIDDEN).is_purchasable
        assert not make_product(publish=False).is_purchasable

    def test_purchasable_queryset_and_property_agree(self):
        products = [
            make_product(status=ProductStatus.ACTIVE),
            make_product(status=ProductStatus.DISABLED),
            make_product(status=ProductStatus.HIDDEN),
            make_product(status=ProductStatus.ACTIVE, publish=False),
        ]
        assert set(Product.objects.purchasable()) == {p for p in products if p.is_purchasable}
        assert set(Product.objects.purchasable()) == {products[0]}

    def test_storefront_shows_the_live_version_not_the_draft(self):
        product = make_product(price=Decimal("10.00"))
        draft = product.get_latest_revision_as_object()
        variants = list(draft.variants.all())
        variants[0].price = Decimal("99.00")
        draft.variants = variants  # held in memory by the cluster, written to the revision
        draft.save_revision()  # a draft: the live variant keeps its price
        live = Product.objects.get(pk=product.pk)  # `draft` may be `product` itself
        assert only_variant(live).price == Decimal("10.00")
        assert live.has_unpublished_changes
        assert live.get_latest_revision_as_object().variants.first().price == Decimal("99.00")


class TestStock:
    def test_available_quantity_sums_active_warehouses(self):
        product = make_product(stock={"main": 3, "north": 4})
        outlet = make_warehouse("outlet", is_active=False)
        Stock.objects.create(variant=only_variant(product), warehouse=outlet, quantity=100)
        assert product.available_quantity == 7
        assert only_variant(product).available_quantity == 7
        assert make_product().available_quantity == 0

    def test_negative_stock_is_refused_by_the_database(self):
        product = make_product(stock=1)
        with pytest.raises(IntegrityError), transaction.atomic():
            Stock.objects.filter(variant__product=product).update(quantity=-1)

    def test_one_row_per_variant_and_warehouse(self):
        variant = only_variant(make_product(stock=1))
        with pytest.raises(IntegrityError), transaction.atomic():
            Stock.objects.create(variant=variant, warehouse=make_warehouse("main"), quantity=2)

    def test_set_stock_levels(self):
        variant = only_variant(make_product(stock={"main": 5}))
        main, north = make_warehouse("main"), make_warehouse("north")
        set_stock_levels({variant.pk: {main.pk: 2, north.pk: 9}})
        assert dict(
            Stock.objects.filter(variant=variant).values_list("warehouse__code", "quantity")
        ) == {"main": 2, "north": 9}
        with pytest.raises(ValueError):
            set_stock_levels({variant.pk: {main.pk: -1}})
        assert Stock.objects.get(variant=variant, warehouse=main).quantity == 2

    def test_publishing_a_revision_never_touches_stock(self):
        product = make_product(stock=5)
        revision = product.save_revision()
        Stock.objects.filter(variant__product=product).update(quantity=1)  # an order took 4
        revision.publish()
        assert Product.objects.get(pk=product.pk).available_quantity == 1


class TestStockInActiveWarehouses:
    def test_only_rows_in_active_warehouses_count(self):
        kettle = make_product(stock={"main": 3, "north": 4})
        pan = make_product(stock={"main": 0})
        outlet = make_warehouse("outlet", is_active=False)
        kettle, pan = only_variant(kettle), only_variant(pan)
        Stock.objects.create(variant=kettle, warehouse=outlet, quantity=100)
        Stock.objects.create(variant=pan, warehouse=outlet, quantity=5)
        offered = Stock.objects.in_active_warehouses()
        assert offered.filter(variant=kettle).units() == 7
        assert Stock.objects.filter(variant=pan).units() == 5  # held, not offered
        annotated = ProductVariant.objects.annotate(units=offered.units_subquery()).order_by("pk")
        assert [(v.pk, v.units) for v in annotated] == [(kettle.pk, 7), (pan.pk, 0)]

    def test_a_product_without_rows_has_no_units(self):
        variant = only_variant(make_product())
        assert Stock.objects.filter(variant=variant).in_active_warehouses().units() == 0
        units = ProductVariant.objects.annotate(units=Stock.objects.units_subquery()).get()
        assert units.units == 0


class TestOnStorefront:
    """Category.objects.on_storefront(): active, and no inactive ancestor."""

    def test_switching_a_category_off_takes_its_whole_branch(self):
        home = make_category("Home")
        kitchen = make_category("Kitchen", home)
        pans = make_category("Pans", kitchen)
        garden = make_category("Garden")
        assert set(Category.objects.on_storefront()) == {home, kitchen, pans, garden}
        Category.objects.filter(pk=kitchen.pk).update(is_active=False)
        assert set(Category.objects.on_storefront()) == {home, garden}
        Category.objects.filter(pk=home.pk).update(is_active=False)
        assert set(Category.objects.on_storefront()) == {garden}

    def test_a_path_prefix_is_not_an_ancestor(self):
        make_category("Home", slug="home", is_active=False)
        homeware = make_category("Homeware", slug="homeware")
        cups = make_category("Cups", homeware)
        # LIKE wildcards in a slug match themselves only: "a_b" is no ancestor of "axb".
        make_category("Odd", slug="a_b", is_active=False)
        axb = make_category("Axb", slug="axb")
        below = make_category("Below", axb)
        assert set(Category.objects.on_storefront()) == {homeware, cups, axb, below}

    def test_the_flag_says_the_same_for_every_row(self):
        home = make_category("Home", is_active=False)
        kitchen = make_category("Kitchen", home)
        garden = make_category("Garden")
        flags = dict(
            Category.objects.annotate_on_storefront().values_list("pk", "shown_on_storefront")
        )
        assert flags == {home.pk: False, kitchen.pk: False, garden.pk: True}


class TestCategoryTree:
    def test_paths_descendants_and_moves(self):
        home = make_category("Home")
        kitchen = make_category("Kitchen", home)
        pans = make_category("Pans", kitchen)
        garden = make_category("Garden")
        assert pans.slug_path == "home/kitchen/pans" and pans.depth == 3
        assert set(Category.objects.filter(home.descendants_q())) == {home, kitchen, pans}

        kitchen.parent = garden
        kitchen.save()
        pans.refresh_from_db()
        assert pans.slug_path == "garden/kitchen/pans"
        assert set(Category.objects.filter(garden.descendants_q())) == {garden, kitchen, pans}
        assert set(Category.objects.filter(home.descendants_q())) == {home}

    def test_branch_holds_agrees_with_descendants_q(self):
        home = make_category("Home", slug="home")
        kitchen = make_category("Kitchen", home)
        make_category("Homeware", slug="homeware")  # shares a prefix, not a branch
        make_category("Garden")
        for category in Category.objects.all():
            in_sql = set(Category.objects.filter(category.descendants_q()))
            in_python = {c for c in Category.objects.all() if category.branch_holds(c.slug_path)}
            assert in_python == in_sql
        assert home.branch_holds(kitchen.slug_path) and not kitchen.branch_holds(home.slug_path)
        assert not home.branch_holds("homeware")

    def test_saving_a_stale_copy_keeps_the_tree_consistent(self):
        home = make_category("Home")
        kitchen = make_category("Kitchen", home)
        pans = make_category("Pans", kitchen)
        stale_kitchen = Category.objects.get(pk=kitchen.pk)
        home.slug = "house"
        home.save()
        stale_kitchen.is_active = False  # an edit made from an old form
        stale_kitchen.save()
        kitchen.refresh_from_db()
        pans.refresh_from_db()
        assert kitchen.slug_path == "house/kitchen"
        assert pans.slug_path == "house/kitchen/pans"

    def test_prefix_of_a_slug_is_not_a_descendant(self):
        home = make_category("Home")
        make_category("Homeware")  # slug starts with "home" but is not below it
        assert set(Category.objects.filter(home.descendants_q())) == {home}

    def test_cannot_move_into_itself(self):
        home = make_category("Home")
        kitchen = make_category("Kitchen", home)
        home.parent = kitchen
        with pytest.raises(ValidationError):
            home.full_clean()


class TestProductValidation:
    @pytest.mark.parametrize(
        ("ean", "ok"),
        [("978020137962", True), ("4006381333931", True), ("4006381333932", False)],
    )
    def test_ean_check_digit(self, ean, ok):
        assert ean_checksum_ok(ean) is ok

    @pytest.mark.parametrize(
        ("ean", "ok"),
        [
            ("12345678", True),
            ("12345678901234", True),
            ("1234567", False),
            ("123456789012345", False),
            ("1234567٨", False),  # a non-ASCII digit
            ("12345678\n", False),
            ("1234 5678", False),
        ],
    )
    def test_ean_format_is_8_to_14_ascii_digits(self, ean, ok):
        """The one format rule: the model's validator, the import and search agree."""
        assert ean_format_ok(ean) is ok
        if ok:
            ProductVariant._meta.get_field("ean").run_validators(ean)
        elif ean.isalnum():  # forms strip whitespace before the field's validator sees it
            with pytest.raises(ValidationError):
                ProductVariant._meta.get_field("ean").run_validators(ean)

    def test_check_digit_completes_a_body(self):
        assert ean_check_digit("400638133393") == "1"
        assert ean_checksum_ok("20000000001" + ean_check_digit("20000000001"))

    def test_full_clean_rejects_bad_ean_and_negative_price(self):
        variant = ProductVariant(
            product=make_product(), sku="X1", price=Decimal("-1"), ean="4006381333932"
        )
        with pytest.raises(ValidationError) as excinfo:
            variant.full_clean()
        assert {"price", "ean"} <= set(excinfo.value.message_dict)
