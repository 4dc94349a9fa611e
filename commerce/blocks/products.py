"""Catalog blocks for the homepage: product sections and category tiles."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.snippets.blocks import SnippetChooserBlock

from pages.blocks.campaign import CampaignBlock, CampaignValue

SOURCES = [
    ("featured", "Featured products"),
    ("newest", "Newest products"),
    ("category", "Products of a category"),
    ("manual", "Products I choose"),
]


class ProductSectionValue(CampaignValue):
    def tiles(self):
        """The products to show (not `products`: that key holds the hand-picked ones).

        Resolved for the whole page in one pass by HomePage.get_context; on its own
        (block preview, content pages) it resolves itself."""
        if not hasattr(self, "resolved_products"):
            from commerce.services.sections import resolve_product_sections

            resolve_product_sections([self], request=None)
        return self.resolved_products


class ProductSectionBlock(CampaignBlock):
    title = blocks.CharBlock(max_length=120)
    source = blocks.ChoiceBlock(choices=SOURCES, default="featured")
    category = SnippetChooserBlock(
        "commerce.Category", required=False, help_text="For “Products of a category”."
    )
    products = blocks.ListBlock(
        SnippetChooserBlock("commerce.Product"),
        default=[],
        required=False,
        help_text="For “Products I choose”, in this order.",
    )
    count = blocks.IntegerBlock(min_value=1, max_value=24, default=8)

    class Meta:
        value_class = ProductSectionValue
        icon = "tag"
        template = "commerce/blocks/product_section.html"
        preview_value = {"title": "New in", "source": "newest", "count": 4}
        description = "A row of product tiles: featured, newest, from a category, or hand-picked."

    def clean(self, value):
        value = super().clean(value)
        if value["source"] == "category" and value.get("category") is None:
            raise StructBlockValidationError(
                block_errors={"category": ValidationError("Choose the category to show.")}
            )
        if value["source"] == "manual" and not value.get("products"):
            raise StructBlockValidationError(
                block_errors={"products": ValidationError("Choose at least one product.")}
            )
        return value


class CategoryChooserBlock(SnippetChooserBlock):
    """Loads the chosen categories with their images and renditions in bulk."""

    def __init__(self, **kwargs):
        super().__init__("commerce.Category", **kwargs)

    def bulk_to_python(self, values):
        from commerce.models import Category

        ids = [v for v in values if v is not None]
        found = (
            # Chosen categories load whether shown or not (editors must see their choice);
            # the flag lets the tiles drop hidden ones without a query of their own.
            Category.objects.annotate_on_storefront()
            .select_related("image")
            .prefetch_related(Prefetch("image__renditions"))
            .in_bulk(ids)
        )
        return [found.get(v) for v in values]

    def deconstruct(self):
        # Migrations record a plain SnippetChooserBlock: the bulk loading is runtime-only.
        path, args, kwargs = super().deconstruct()
        return ("wagtail.snippets.blocks.SnippetChooserBlock", ("commerce.Category",), kwargs)


class CategoryTilesBlock(CampaignBlock):
    title = blocks.CharBlock(required=False, max_length=120)
    categories = blocks.ListBlock(CategoryChooserBlock(), min_num=1, max_num=12)

    class Meta:
        icon = "folder-open-inverse"
        template = "commerce/blocks/category_tiles.html"
        description = "Tiles linking to categories of the shop, with their images."

    def get_preview_value(self):
        from commerce.models import Category

        categories = list(Category.objects.on_storefront().filter(depth=1)[:4])
        return self.normalize({"title": "Shop by category", "categories": categories})

    def get_context(self, value, parent_context=None):
        from commerce.models import ShopPage

        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        shop = ShopPage.for_request(request)
        context["tiles"] = [
            (category, shop.category_url(category, request) if shop else "")
            for category in reachable_categories(value["categories"])
        ]
        return context


def reachable_categories(categories):
    """The categories shoppers can reach (`Category.objects.on_storefront`), in their order:
    a tile must not link to a switched-off branch, whose pages are 404."""
    from commerce.models import Category

    categories = [c for c in categories if c is not None]
    unflagged = [c.pk for c in categories if not hasattr(c, "shown_on_storefront")]
    shown = set()
    if unflagged:  # categories that did not come through bulk_to_python (a preview value)
        shown = set(
            Category.objects.on_storefront().filter(pk__in=unflagged).values_list("pk", flat=True)
        )
    return [c for c in categories if getattr(c, "shown_on_storefront", False) or c.pk in shown]
