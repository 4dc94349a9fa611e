"""`manage.py seed_demo`: complete, idempotent, and careful with the admin password."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from commerce.demo import singular
from commerce.models import Category
from home.models import HomePage
from pages.demo import DEMO_IMAGES
from pages.models import BrandingSettings, ContentPage, FooterSettings

pytestmark = pytest.mark.django_db


# The catalog part of the seed has its own tests (tests/commerce/test_product_revisions.py);
# these are about pages, settings and the admin user, for which a token catalog does. Only
# the first test below runs the command with its defaults, as `make run` does.
FEW_PRODUCTS = ("--products", "2")


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return (
        Page.objects.count(),
        get_image_model().objects.count(),
        get_user_model().objects.count(),
        FooterSettings.objects.count(),
    )


def test_builds_every_block_pages_menu_and_footer(settings):
    settings.DEBUG = True
    seed()
    home = HomePage.objects.get()
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    used = {block.block_type for block in home.body}
    assert used == set(HomePage.body.field.stream_block.child_blocks)
    assert ContentPage.objects.live().filter(show_in_menus=True).count() >= 3
    assert ContentPage.objects.filter(depth=4).exists()  # a nested page
    footer = FooterSettings.for_site(Site.objects.get(is_default_site=True))
    assert len(footer.columns) == 2
    assert BrandingSettings.objects.get().logo is not None


def test_categories_wear_the_pictures_the_homepage_seeding_made(settings):
    settings.DEBUG = True
    seed("--no-admin", "--products", "0")
    pictures = set(
        get_image_model().objects.filter(title__startswith="Demo: ").values_list("pk", flat=True)
    )
    assert len(pictures) == len(DEMO_IMAGES)  # made once, not fetched or made again
    category_pictures = set(Category.objects.values_list("image_id", flat=True))
    assert category_pictures and category_pictures <= pictures


def test_is_idempotent_and_keeps_editor_changes(settings):
    settings.DEBUG = True
    seed(*FEW_PRODUCTS)
    before = counts()
    home = HomePage.objects.get()
    home.body = [("rich_text", "<p>Edited by a person</p>")]
    home.save_revision().publish()

    output = seed(*FEW_PRODUCTS)
    assert counts() == before
    assert "0 item(s) created" in output
    assert [b.block_type for b in HomePage.objects.get().body] == ["rich_text"]


def test_creates_local_admin_with_debug_on_and_prints_credentials(settings):
    settings.DEBUG = True
    output = seed(*FEW_PRODUCTS)
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password("changeme")
    assert "username 'admin', password 'changeme'" in output


def test_never_resets_an_existing_admin_password(settings):
    settings.DEBUG = True
    get_user_model().objects.create_superuser("admin", "a@example.org", "my-own-secret")
    output = seed(*FEW_PRODUCTS)
    assert get_user_model().objects.get(username="admin").check_password("my-own-secret")
    assert "password was left unchanged" in output


def test_refuses_a_default_password_with_debug_off(settings):
    settings.DEBUG = False
    output = seed(*FEW_PRODUCTS)
    assert not get_user_model().objects.filter(username="admin").exists()
    assert "DEBUG is off: no admin user created" in output
    assert "changeme" not in output


def test_explicit_password_with_debug_off(settings):
    settings.DEBUG = False
    seed(*FEW_PRODUCTS, "--admin-password", "a-long-explicit-password")
    assert get_user_model().objects.get(username="admin").check_password("a-long-explicit-password")


def test_rebuilds_the_site_on_an_emptied_page_tree(settings):
    settings.DEBUG = True
    Site.objects.all().delete()
    Page.objects.filter(depth__gt=1).delete()
    seed(*FEW_PRODUCTS, "--no-admin")
    home = HomePage.objects.get()
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    assert home.live and len(home.body) > 0


def test_the_catalog_sells_variants_in_sizes_and_colours(settings):
    from django.db import connection
    from django.db.models import Count

    from commerce.demo import demo_products
    from commerce.models import ProductVariant
    from commerce.models.variants import option_key_for

    settings.DEBUG = True
    seed("--no-admin", "--products", "40")
    products = demo_products()
    variants = ProductVariant.objects.filter(product__in=products)
    assert products.count() == 40
    assert 100 <= variants.count() <= 240  # about four per product, one for most
    # The database's own checks (migration 0014) pass: they run at commit otherwise.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for variant in variants.prefetch_related("options"):
        assert variant.option_key == option_key_for(o.pk for o in variant.options.all())

    coat = products.filter(variants__sku__startswith="DEMO-000001-").distinct().get()
    assert [a.name for a in coat.variant_axes.all()] == ["Colour", "Size"]
    coat_variants = list(coat.variants.prefetch_related("options__definition"))
    sizes = {o for v in coat_variants for o in v.options.all() if o.definition.name == "Size"}
    colours = {o for v in coat_variants for o in v.options.all() if o.definition.name == "Colour"}
    assert len(coat_variants) == len(sizes) * len(colours) - 1  # a missing combination
    assert all(colour.swatch.startswith("#") for colour in colours)
    assert len({v.price for v in coat_variants}) > 1  # larger sizes cost more
    sold_out = [v for v in coat_variants if not v.is_in_stock]
    assert sold_out and all(
        v.stocks.count() >= 2 and not v.stocks.exclude(quantity=0).exists() for v in sold_out
    )
    assert any(v.is_in_stock for v in coat_variants)

    boots = products.filter(variants__sku__startswith="DEMO-000002-").distinct().get()
    assert [a.name for a in boots.variant_axes.all()] == ["Colour", "Shoe size"]

    lamp = products.get(variants__sku="DEMO-000003")  # furniture: one variant, no axes
    assert not lamp.variant_axes.exists()
    (only,) = lamp.variants.all()
    assert only.option_key == "" and only.ean and only.stocks.count() >= 2

    singles = products.annotate(n=Count("variants")).filter(n=1, variant_axes__isnull=True)
    assert singles.count() > 20  # most of the catalog is sold as one variant


@pytest.mark.parametrize(
    ("category", "noun"),
    [
        ("Knives", "Knife"),
        ("Scarves", "Scarf"),
        ("Mugs", "Mug"),
        ("Boots", "Boot"),
        ("Tech", "Tech"),
    ],
)
def test_demo_products_are_named_by_the_singular_a_shopper_types(category, noun):
    # Search matches "scarf" and "scarves" (services.catalog.search.word_forms), not "scarve".
    assert singular(category) == noun
