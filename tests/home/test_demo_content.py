"""The demo is something staff can learn from: pictures without words baked in, made at the
size they are shown, a sharp logo, and a catalog whose products make sense (no sizes on a
tent, no steel cushion)."""

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from commerce.demo import AXES_BY_LEAF, MATERIALS_BY_LEAF, seed_catalog
from commerce.models import Product
from pages.demo import DEMO_IMAGES, LOGO_HEIGHT, render_logo

ROOT = Path(__file__).resolve().parents[2]


def largest_rendition(template: str) -> tuple[int, int]:
    """The biggest fill-WxH a block template asks for."""
    text = (ROOT / "pages/templates/pages/blocks" / template).read_text()
    sizes = re.findall(r"(\d+)x(\d+)", text.split("fill-", 1)[1].split(" ", 1)[0])
    return max((int(w), int(h)) for w, h in sizes)


@pytest.mark.parametrize(
    ("key", "template"),
    [
        ("hero", "hero_banner.html"),
        ("outdoors", "banner_group.html"),
        ("kitchen", "banner_group.html"),
        ("home", "banner_group.html"),
        ("slide-mugs", "slider.html"),
    ],
)
def test_each_picture_is_made_at_the_largest_size_its_block_shows(key, template):
    assert DEMO_IMAGES[key][3] == largest_rendition(template)


def test_pictures_carry_no_words():
    # The monkeypatched (quarter-size) render_picture is the same drawing: words were white.
    import pages.demo

    for key in ("hero", "outdoors", "slide-lamps"):
        caption, start, end, size = DEMO_IMAGES[key]
        picture = Image.open(io.BytesIO(pages.demo.render_picture(caption, start, end, size)))
        brightest = max(sum(pixel) for pixel in picture.convert("RGB").getdata())
        assert brightest < 3 * 245, f"{key}: near-white pixels, as letters drawn on it"


def test_the_logo_is_a_transparent_png_at_four_times_the_header_height():
    css = (ROOT / "site/storefront/static/storefront/css/main.css").read_text()
    shown = int(re.search(r"\.site-header__logo \{ height: (\d+)px", css).group(1))
    caption, colour, _, size = DEMO_IMAGES["logo"]
    logo = Image.open(io.BytesIO(render_logo(caption, colour, size)))
    assert logo.format == "PNG" and logo.mode == "RGBA"
    assert logo.height == LOGO_HEIGHT >= 2 * shown
    assert logo.getpixel((0, 0))[3] == 0  # transparent around the mark


@pytest.mark.django_db
def test_the_demo_catalog_is_coherent(homepage):
    seed_catalog(homepage, 80)
    products = Product.objects.select_related("main_category").prefetch_related(
        "variant_axes", "attribute_options__definition", "variants__options__definition"
    )
    seen_materials = set()
    for product in products:
        leaf = product.main_category
        top = leaf.slug_path.split("/")[0]
        axes = {axis.name for axis in product.variant_axes.all()}
        expected = set(
            AXES_BY_LEAF.get(leaf.slug) or (("Size", "Colour") if top == "clothing" else ())
        )
        assert axes == expected, f"{product.name} in {leaf.slug_path}: {axes}"
        for variant in product.variants.all():
            assert {o.definition.name for o in variant.options.all()} == axes
        materials = {o.value for o in product.attribute_options.all()}
        assert materials <= set(MATERIALS_BY_LEAF.get(leaf.slug, ())), (
            f"{product.name} in {leaf.slug}: {materials}"
        )
        seen_materials |= materials
        if leaf.slug == "tents":
            assert product.variants.count() == 1  # no sizes on a tent
    assert "Steel" in seen_materials and len(seen_materials) > 3


@pytest.mark.django_db
def test_seeding_again_tops_up_missing_material_options(homepage):
    from commerce.models import AttributeOption

    seed_catalog(homepage, 0)
    AttributeOption.objects.filter(value="Paper").delete()
    seed_catalog(homepage, 0)
    assert AttributeOption.objects.filter(definition__slug="material", value="Paper").count() == 1
