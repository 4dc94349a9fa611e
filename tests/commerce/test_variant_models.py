"""Product variants: the model, its options and the variant-set rule."""

from decimal import Decimal

import pytest

from tests.factories.catalog import make_attribute, make_product, only_variant

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
