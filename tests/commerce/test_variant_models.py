"""Product variants: the model, its options and the variant-set rule."""

from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction

from commerce.models import Product, ProductVariant, variant_set_errors
from commerce.models.variants import option_key_for, refresh_option_keys
from tests.factories.catalog import make_attribute, make_product, only_variant, set_stock

pytestmark = pytest.mark.django_db


def test_core():
    p = make_product(price=Decimal("12.00"), stock=5)
    v = only_variant(p)
    assert v.price == Decimal("12.00") and v.available_quantity == 5 and v.option_key == ""
    assert p.availability == "in_stock"
    size, (s, m, _large) = make_attribute(
        "Size", ["S", "M", "L"], varies_per_variant=True, sort_order=1
    )
    colour, (red, green) = make_attribute(
        "Colour", ["Red", "Green"], varies_per_variant=True, sort_order=2
    )
    q = make_product(
        "Coat",
        axes=[size, colour],
        variants=[
            {"options": [s, red], "price": Decimal("20"), "stock": 2},
            {"options": [m, green], "price": Decimal("25")},
        ],
    )
    vs = list(q.variants.order_by("sort_order"))
    assert [v.description for v in vs] == [
        "Coat — Size S, Colour Red",
        "Coat — Size M, Colour Green",
    ]
    assert vs[0].option_key and vs[0].available_quantity == 2
    rev = q.save_revision()
    assert "variants" in rev.content and rev.content["variants"][0]["options"]
    from commerce.models import variant_set_errors

    assert variant_set_errors([size, colour], vs) == {}
    assert variant_set_errors([size], vs)[0]["options"].startswith("Not one")


# --- What the database refuses (migration 0014, `variant_unique_options`) ----------------
# PostgreSQL checks the variant-option rules at commit; a test's transaction never commits,
# so `checked()` asks for the deferred checks at the end of its block.


@contextmanager
def checked():
    with transaction.atomic():
        yield
        if connection.vendor == "postgresql":  # SQLite checks every row at once
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def coat():
    size, (s, m, large) = make_attribute("Size", ["S", "M", "L"], sort_order=1)
    colour, (red, green) = make_attribute("Colour", ["Red", "Green"], sort_order=2)
    with checked():
        product = make_product(
            "Coat",
            axes=[size, colour],
            variants=[{"options": [s, red]}, {"options": [m, green]}],
        )
    return SimpleNamespace(
        product=product,
        variants=list(product.variants.order_by("sort_order")),
        size=size,
        colour=colour,
        s=s,
        m=m,
        large=large,
        red=red,
        green=green,
    )


def link(variant, option):
    """A variant-option row written past the model, its key kept right."""
    ProductVariant.options.through.objects.create(
        productvariant_id=variant.pk, attributeoption_id=option.pk
    )
    refresh_option_keys([variant.pk])


def test_db_refuses_an_option_that_is_not_one_of_the_products_axes(coat):
    _material, (wool,) = make_attribute("Material", ["Wool"], varies_per_variant=False)
    with pytest.raises(IntegrityError, match="variant axes"), checked():
        link(coat.variants[0], wool)
    single = make_product("Mug")
    with pytest.raises(IntegrityError, match="variant axes"), checked():
        link(only_variant(single), coat.red)


def test_db_refuses_two_options_of_one_axis_on_a_variant(coat):
    with pytest.raises(IntegrityError, match="more than one option"), checked():
        link(coat.variants[0], coat.large)  # S and L


def test_db_refuses_taking_an_axis_off_while_variants_use_it(coat):
    axes = Product.variant_axes.through.objects.filter(product=coat.product)
    with pytest.raises(IntegrityError, match="variant axes"), checked():
        axes.filter(attributedefinition=coat.colour).delete()
    with pytest.raises(IntegrityError, match="variant axes"), checked():
        product = Product.objects.get(pk=coat.product.pk)
        product.variant_axes.set([coat.size])
        product.save()


def test_an_axis_no_variant_uses_can_go(coat):
    fit, (slim,) = make_attribute("Fit", ["Slim"])
    with checked():
        coat.product.variant_axes.add(fit)
        coat.product.save()
    with checked():
        product = Product.objects.get(pk=coat.product.pk)
        product.variant_axes.set([coat.size, coat.colour])
        product.save()
    assert set(coat.product.variant_axes.all()) == {coat.size, coat.colour}


def test_one_save_that_changes_axes_and_options_together_passes(coat):
    """Colour goes, Fit comes: the variants' options change in the same save, as the
    admin form and a published revision write them."""
    fit, (slim, loose) = make_attribute("Fit", ["Slim", "Loose"], sort_order=3)
    product = Product.objects.get(pk=coat.product.pk)
    with checked():
        product.variant_axes.set([coat.size, fit])
        first, second = product.variants.all()
        first.options.set([coat.s, slim])
        second.options.set([coat.s, loose])
        product.variants.set([first, second])
        product.save()
    saved = product.variants.order_by("sort_order")
    assert [v.options_text for v in saved] == ["Size S, Fit Slim", "Size S, Fit Loose"]
    assert [v.option_key for v in saved] == [
        option_key_for([coat.s.pk, slim.pk]),
        option_key_for([coat.s.pk, loose.pk]),
    ]


def test_a_product_gets_axes_and_variants_in_one_save(coat):
    product = make_product("Scarf", sku="SCARF")
    scarf = Product.objects.get(pk=product.pk)
    with checked():
        scarf.variant_axes.set([coat.colour])
        first = scarf.variants.get()
        first.options.set([coat.red])
        second = ProductVariant(sku="SCARF-G", price=Decimal("10"))
        second.options.set([coat.green])
        scarf.variants.set([first, second])
        scarf.save()
    assert sorted(scarf.variants.values_list("option_key", flat=True)) == sorted(
        [str(coat.red.pk), str(coat.green.pk)]
    )


def test_db_refuses_two_variants_with_the_same_options_without_any_form(coat):
    twin = ProductVariant(product=coat.product, sku="TWIN", price=Decimal("1"))
    twin.options.set([coat.red, coat.s])
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    # Through the option's side, which no save() sees: the key follows the options.
    other = coat.variants[1]  # M, Green
    with pytest.raises(IntegrityError), transaction.atomic():
        coat.green.variants.remove(other)
        coat.red.variants.add(other)
        coat.m.variants.remove(other)
        coat.s.variants.add(other)


def test_option_key_follows_options_written_through_a_manager(coat):
    variant = coat.variants[1]  # M, Green
    with checked():
        coat.green.variants.remove(variant)
        coat.red.variants.add(variant)
    variant.refresh_from_db()
    assert variant.option_key == option_key_for([coat.m.pk, coat.red.pk])
    with checked():
        variant.options.set([coat.large.pk, coat.green.pk])  # ids: written at once
    variant.refresh_from_db()
    assert variant.option_key == option_key_for([coat.large.pk, coat.green.pk])


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_db_refuses_a_stale_option_key_written_in_bulk(coat):
    """Rows written past the ORM's signals (bulk_create, raw SQL) must key the variant
    themselves, as the demo seed does; otherwise the commit fails."""
    variant = coat.variants[0]
    through = ProductVariant.options.through
    with pytest.raises(IntegrityError, match="option_key"), checked():
        through.objects.filter(productvariant=variant, attributeoption=coat.s).delete()
        through.objects.bulk_create(
            [through(productvariant_id=variant.pk, attributeoption_id=coat.large.pk)]
        )
    with checked():
        through.objects.filter(productvariant=variant, attributeoption=coat.s).delete()
        through.objects.bulk_create(
            [through(productvariant_id=variant.pk, attributeoption_id=coat.large.pk)]
        )
        ProductVariant.objects.filter(pk=variant.pk).update(
            option_key=option_key_for([coat.large.pk, coat.red.pk])
        )


def test_a_product_without_axes_cannot_get_a_second_variant():
    mug = make_product("Mug", sku="MUG")
    second = ProductVariant(product=mug, sku="MUG-2", price=Decimal("3"))
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    assert only_variant(mug).option_key == ""


def test_a_variant_cannot_move_to_a_product_without_its_axes(coat):
    mug = make_product("Mug")
    with pytest.raises(IntegrityError, match="variant axes"), checked():
        ProductVariant.objects.filter(pk=coat.variants[0].pk).update(product=mug)


def test_deleting_products_options_and_axes_passes_the_checks(coat):
    with checked():
        coat.variants[0].delete()
    with checked():
        coat.large.delete()  # unused option
        coat.green.delete()  # used by the second variant: it loses that option
    assert coat.variants[1].__class__.objects.get(pk=coat.variants[1].pk).options.count() == 1
    with checked():
        coat.colour.delete()  # an axis definition: off the product and the variants
    with checked():
        Product.objects.get(pk=coat.product.pk).delete()
    assert not ProductVariant.objects.filter(pk__in=[v.pk for v in coat.variants]).exists()


def test_publishing_a_revision_with_new_axes_and_variants_passes(coat):
    scarf = make_product("Scarf", sku="SCARF")
    scarf.variant_axes.set([coat.colour])
    first = scarf.variants.get()
    first.options.set([coat.red])
    second = ProductVariant(sku="SCARF-G", price=Decimal("12"))
    second.options.set([coat.green])
    scarf.variants.set([first, second])
    with checked():
        scarf.save_revision().publish()
    scarf.refresh_from_db()
    assert scarf.variants.count() == 2 and list(scarf.variant_axes.all()) == [coat.colour]


def test_deleting_products_in_bulk_passes_the_checks(coat):
    make_product("Mug")
    with checked():
        Product.objects.all().delete()
    assert not ProductVariant.objects.exists()


# --- Rules on loaded rows and querysets, at their edges -----------------------------------


def test_an_inactive_variant_is_neither_bought_nor_counted(coat):
    first, second = coat.variants
    set_stock(first, 4)
    set_stock(second, {"main": 2, "north": 3})
    ProductVariant.objects.filter(pk=first.pk).update(is_active=False)
    first.refresh_from_db()
    assert first.availability == "unavailable" and second.availability == "in_stock"
    assert list(ProductVariant.objects.purchasable().filter(product=coat.product)) == [second]
    assert list(ProductVariant.objects.visible().filter(product=coat.product)) == [second]
    product = Product.objects.get(pk=coat.product.pk)
    assert product.available_quantity == 5  # the inactive variant's 4 do not count
    ProductVariant.objects.filter(pk=second.pk).update(is_active=False)
    assert Product.objects.get(pk=coat.product.pk).availability == "out_of_stock"


def test_a_hidden_product_hides_its_variants_and_a_disabled_one_shows_them(coat):
    Product.objects.filter(pk=coat.product.pk).update(status="hidden")
    assert not ProductVariant.objects.visible().filter(product=coat.product).exists()
    Product.objects.filter(pk=coat.product.pk).update(status="disabled")
    assert ProductVariant.objects.visible().filter(product=coat.product).count() == 2
    assert not ProductVariant.objects.purchasable().filter(product=coat.product).exists()


def test_a_variant_out_of_stock_beside_one_in_stock(coat):
    first, second = coat.variants
    set_stock(first, {"main": 0, "north": 0})
    set_stock(second, 1)
    assert first.availability == "out_of_stock"
    assert Product.objects.get(pk=coat.product.pk).availability == "in_stock"


def test_descriptions_with_and_without_axes(coat):
    assert str(coat.variants[0]) == "Coat — Size S, Colour Red"
    mug = only_variant(make_product("Mug"))
    assert mug.description == "Mug" and mug.options_text == ""


def test_variant_set_errors_at_the_edges(coat):
    first, second = coat.variants
    assert variant_set_errors([], [only_variant(make_product("Mug"))]) == {}
    two_plain = [ProductVariant(sku="A", price=1), ProductVariant(sku="B", price=1)]
    assert "one variant" in variant_set_errors([], two_plain)[1]["options"]
    missing = ProductVariant(sku="C", price=1)
    missing.options.set([coat.s])
    assert variant_set_errors([coat.size, coat.colour], [missing])[0]["options"] == (
        "Choose an option for Colour."
    )
    doubled = ProductVariant(sku="D", price=1)
    doubled.options.set([coat.s, coat.m, coat.red])
    assert (
        "only one option for Size"
        in variant_set_errors([coat.size, coat.colour], [doubled])[0]["options"]
    )
    twin = ProductVariant(sku="E", price=1)
    twin.options.set([coat.red, coat.s])
    errors = variant_set_errors([coat.size, coat.colour], [first, second, twin])
    assert errors == {2: {"options": "Variant 1 already has these options."}}
