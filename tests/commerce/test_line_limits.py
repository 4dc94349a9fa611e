"""What one line may hold (services.line_limits), and the cart and the lists applying it alike."""

import pytest

from commerce.models import ProductStatus, ProductVariant, ShoppingList
from commerce.services import cart as carts
from commerce.services import line_limits
from commerce.services import shopping_lists as lists
from commerce.services.cart import CartError
from commerce.services.line_limits import OUT_OF_STOCK, UNPURCHASABLE, Capped, cap, refusal
from commerce.services.shopping_lists import ListError
from tests.factories.catalog import make_attribute, make_product, only_variant
from tests.factories.checkout import make_cart

MAX = 5


@pytest.fixture(autouse=True)
def small_maximum(settings):
    settings.STOREFRONT_MAX_LINE_QUANTITY = MAX


# --- The quantity limit ---------------------------------------------------------------


@pytest.mark.parametrize(
    "wanted, capped",
    [
        (1, Capped(1, over_stock=False, over_maximum=False)),
        (MAX, Capped(MAX, over_stock=False, over_maximum=False)),
        (MAX + 1, Capped(MAX, over_stock=False, over_maximum=True)),
    ],
)
def test_a_line_holds_at_most_the_maximum(wanted, capped):
    assert cap(wanted) == capped
    assert line_limits.max_line_quantity() == MAX


@pytest.mark.parametrize(
    "wanted, available, capped",
    [
        (3, 3, Capped(3, over_stock=False, over_maximum=False)),
        (4, 3, Capped(3, over_stock=True, over_maximum=False)),
        (MAX + 1, MAX, Capped(MAX, over_stock=True, over_maximum=True)),
        (MAX + 1, MAX + 10, Capped(MAX, over_stock=False, over_maximum=True)),
        (1, 0, Capped(0, over_stock=True, over_maximum=False)),
    ],
)
def test_stock_bounds_a_line_where_it_is_given(wanted, available, capped):
    assert cap(wanted, available=available) == capped


# --- Which products may be on a line --------------------------------------------------


@pytest.mark.django_db
def test_a_purchasable_variant_with_one_unit_may_be_on_a_line():
    assert refusal(only_variant(make_product("Mug", stock=1)), 1) is None


@pytest.mark.django_db
def test_a_variant_without_stock_is_refused_for_its_stock():
    mug = only_variant(make_product("Mug", stock=0))
    assert refusal(mug, 0) == (OUT_OF_STOCK, "Mug is out of stock.")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, shown",
    [({"status": ProductStatus.DISABLED}, "Mug"), ({"publish": False}, "This product")],
)
def test_a_variant_of_an_unpurchasable_product_is_refused_whatever_its_stock(fields, shown):
    variant = only_variant(make_product("Mug", stock=10, **fields))
    assert refusal(variant, 10) == (UNPURCHASABLE, f"{shown} cannot be bought at the moment.")


@pytest.mark.django_db
def test_an_inactive_variant_is_refused_by_its_description_while_its_sibling_may_be_sold():
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    coat = make_product(
        "Coat",
        axes=[size],
        variants=[{"options": [s], "is_active": False}, {"options": [m]}],
    )
    inactive = ProductVariant.objects.get(product=coat, is_active=False)
    active = ProductVariant.objects.get(product=coat, is_active=True)
    assert refusal(inactive, 4) == (UNPURCHASABLE, "Coat — Size S cannot be bought at the moment.")
    assert refusal(active, 4) is None
    assert refusal(active, 0) == (OUT_OF_STOCK, "Coat — Size M is out of stock.")


@pytest.mark.django_db
def test_a_product_is_still_judged_as_before_for_callers_that_pass_one():
    """The create-order API passes products until it takes variants."""
    assert refusal(make_product("Mug", stock=1), 1) is None
    draft = make_product("Secret", publish=False)
    assert refusal(draft, 1) == (UNPURCHASABLE, "This product cannot be bought at the moment.")


def test_a_product_that_does_not_exist_is_refused():
    assert refusal(None, 0) == (UNPURCHASABLE, "This product cannot be bought at the moment.")


# --- The callers --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_cart_refuses_zero_and_caps_at_the_maximum_then_at_stock():
    roomy, scarce = make_product("Roomy", stock=100), make_product("Scarce", stock=3)
    cart = make_cart()
    with pytest.raises(CartError, match="at least 1"):
        carts.add_product(cart, roomy.pk, 0)
    assert carts.add_product(cart, roomy.pk, MAX) == ""
    note = carts.add_product(cart, roomy.pk, 1)
    assert note == f"At most {MAX} of one item per order; your cart holds {MAX} of Roomy."
    assert carts.add_product(cart, scarce.pk, 4) == "Only 3 of Scarce in stock; your cart holds 3."
    assert dict(cart.lines.values_list("product_name", "quantity")) == {"Roomy": MAX, "Scarce": 3}


@pytest.mark.django_db
def test_the_maximum_holds_per_variant_not_per_product():
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    coat = make_product(
        "Coat", axes=[size], variants=[{"options": [s], "stock": 50}, {"options": [m], "stock": 2}]
    )
    small, medium = coat.variants.get(options=s), coat.variants.get(options=m)
    cart = make_cart()
    assert carts.add_variant(cart, small.pk, MAX + 3).startswith(f"At most {MAX} of one item")
    assert carts.add_variant(cart, medium.pk, MAX) == (
        "Only 2 of Coat — Size M in stock; your cart holds 2."
    )
    assert sorted(cart.lines.values_list("quantity", flat=True)) == [2, MAX]


@pytest.mark.django_db
def test_a_list_refuses_zero_and_caps_at_the_maximum_but_not_at_stock():
    scarce = make_product("Scarce", stock=1)
    shopping_list = ShoppingList.objects.create(name="L", guest_key="k")
    with pytest.raises(ListError, match="at least 1"):
        lists.add_item(shopping_list, only_variant(scarce).pk, 0)
    item = lists.add_item(shopping_list, only_variant(scarce).pk, MAX)
    assert item.quantity == MAX
    note = lists.update_item(item, quantity=MAX + 1, note="")
    assert (item.quantity, note) == (
        MAX,
        f"At most {MAX} of one product per line: the quantity is now {MAX}.",
    )
