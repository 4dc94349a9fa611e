"""The catalog: categories, products, their images and attributes."""

import re
from decimal import Decimal

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.db.models.lookups import StartsWith
from django.db.models.query import ModelIterable
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Orderable,
    PreviewableMixin,
    RevisionMixin,
)
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

from commerce.money import percent_off

ZERO = Decimal("0.00")


def _switched_off_at_or_above():
    """An inactive category at the outer category's path or at one of its ancestors'."""
    return Exists(
        Category.objects.filter(is_active=False).filter(
            Q(slug_path=OuterRef("slug_path"))
            | StartsWith(OuterRef("slug_path"), Concat(F("slug_path"), Value("/")))
        )
    )


PATH_SEPARATOR = " › "


class _PathLabelledIterable(ModelIterable):
    """Categories with their path labels, all of them set by one more query."""

    def __iter__(self):
        categories = list(super().__iter__())
        Category.label_paths(categories)
        yield from categories


class CategoryQuerySet(models.QuerySet):
    def with_path_labels(self):
        """Each category's `path_label` ("Clothing › Outerwear › Coats") set as the rows
        load: one query for the names of all their ancestors, however many rows (admin
        choices, choosers and listings read this; `str()` of a single category works too,
        at one query each)."""
        clone = self._chain()
        clone._iterable_class = _PathLabelledIterable
        return clone

    def on_storefront(self):
        """The categories shoppers can reach: active, and no inactive ancestor.

        The one place the rule lives: switching a category off takes itself and its
        whole branch off the storefront (pages, listings, sections, tiles, sitemap,
        feeds, the API). One NOT EXISTS over the (small) category table, in the
        same query; callers that filter products by category resolve it to a
        literal id list first (see `in_categories_q`).
        """
        return self.filter(~_switched_off_at_or_above())

    def annotate_on_storefront(self):
        """The same rule as a flag, `shown_on_storefront`, for rows loaded for another
        reason (a chooser block loads every chosen category, shown or not)."""
        return self.annotate(shown_on_storefront=~_switched_off_at_or_above())


class Category(index.Indexed, models.Model):
    """A node of the category tree.

    The tree is a parent key plus a materialised `slug_path` ("kitchen/pans"):
    a category's URL and all its descendants come from one indexed prefix
    query, and moving a branch rewrites the paths below it in one transaction.
    """

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seo_title = models.CharField(max_length=120, blank=True)
    search_description = models.TextField(blank=True, max_length=300)
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    slug_path = models.CharField(max_length=500, unique=True, editable=False, blank=True)
    depth = models.PositiveSmallIntegerField(default=1, editable=False)
    # The ERP's id (integration API, POST /categories/); NULL for categories made here.
    external_id = models.CharField(  # noqa: DJ001 - unique ignores NULLs, not ""
        max_length=100, unique=True, null=True, blank=True, editable=False
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("parent"),
        FieldPanel("description"),
        FieldPanel("image"),
        FieldRowPanel([FieldPanel("sort_order"), FieldPanel("is_active")]),
        MultiFieldPanel([FieldPanel("seo_title"), FieldPanel("search_description")], "SEO"),
    ]
    search_fields = [
        index.SearchField("name", boost=2),
        index.AutocompleteField("name"),
        index.SearchField("description"),
        index.FilterField("is_active"),
    ]

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["slug_path"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.path_label

    def save(self, *args, **kwargs):
        # Paths come from the database under a row lock, not from this
        # instance: a stale copy (two admins, a long-running script) must not
        # write a path that no longer matches its parent's.
        with transaction.atomic():
            old_path = None
            if self.pk:
                old_path = (
                    Category.objects.select_for_update()
                    .filter(pk=self.pk)
                    .values_list("slug_path", flat=True)
                    .first()
                )
            self.slug_path = self.build_slug_path()
            self.depth = self.slug_path.count("/") + 1
            super().save(*args, **kwargs)
            if old_path and old_path != self.slug_path:
                self._move_descendants(old_path)

    def build_slug_path(self):
        if not self.parent_id:
            return self.slug
        parent_path = (
            Category.objects.filter(pk=self.parent_id).values_list("slug_path", flat=True).get()
        )
        return f"{parent_path}/{self.slug}"

    def clean(self):
        super().clean()
        if self.parent_id and self.pk:
            parent = self.parent
            if self.branch_holds(parent.slug_path):
                raise ValidationError({"parent": "A category cannot sit inside itself."})

    def _move_descendants(self, old_path):
        descendants = Category.objects.filter(slug_path__startswith=f"{old_path}/")
        for category in descendants.select_for_update().order_by("slug_path"):
            category.slug_path = self.slug_path + category.slug_path[len(old_path) :]
            category.depth = category.slug_path.count("/") + 1
            models.Model.save(category, update_fields=["slug_path", "depth"])

    def descendants_q(self, prefix=""):
        """Q matching this category and everything below it (on `prefix` + slug_path)."""
        return Q(**{f"{prefix}slug_path": self.slug_path}) | Q(
            **{f"{prefix}slug_path__startswith": f"{self.slug_path}/"}
        )

    def branch_holds(self, slug_path: str) -> bool:
        """`descendants_q` for a path already loaded: this category's or one below it."""
        return slug_path == self.slug_path or slug_path.startswith(f"{self.slug_path}/")

    @property
    def path_label(self) -> str:
        """The category's place in the tree in names: "Clothing › Outerwear › Coats"."""
        if getattr(self, "_path_label", None) is None:
            Category.label_paths([self])
        return self._path_label

    @staticmethod
    def label_paths(categories) -> None:
        """Sets `path_label` on each category, the one way a path label is built: ancestors'
        names by their slug paths, one query for the whole list (none when every category
        is at the top). The tree is small and shallow, so the query is too."""
        wanted = {path for c in categories for path in c.ancestor_paths}
        names = {}
        if wanted:
            names = dict(
                Category.objects.filter(slug_path__in=wanted).values_list("slug_path", "name")
            )
        for category in categories:
            parts = [names.get(path, path.rsplit("/", 1)[-1]) for path in category.ancestor_paths]
            category._path_label = PATH_SEPARATOR.join([*parts, category.name])

    @property
    def ancestor_paths(self):
        parts = self.slug_path.split("/")
        return ["/".join(parts[:i]) for i in range(1, len(parts))]


class AttributeDefinition(ClusterableModel):
    """A product property such as Colour or Material, with its allowed options."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    is_filterable = models.BooleanField(default=True, help_text="Offer it as a catalog filter.")
    show_on_tile = models.BooleanField(
        default=False, help_text="Show the product's value on product tiles in listings."
    )
    varies_per_variant = models.BooleanField(
        "varies per variant",
        default=False,
        help_text=(
            "A variant axis (size, colour): a product that uses it is sold in variants, "
            "each with one of these options. Otherwise the whole product has its value."
        ),
    )
    sort_order = models.IntegerField(default=0)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldRowPanel(
            [
                FieldPanel("is_filterable"),
                FieldPanel("show_on_tile"),
                FieldPanel("varies_per_variant"),
                FieldPanel("sort_order"),
            ]
        ),
        InlinePanel("options", label="Options", min_num=1),
    ]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


swatch_validator = RegexValidator(
    "^#[0-9a-fA-F]{6}$", "A swatch is a colour written as #rrggbb, such as #2f6b3a."
)


class AttributeOption(Orderable):
    definition = ParentalKey(AttributeDefinition, on_delete=models.CASCADE, related_name="options")
    value = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80)
    swatch = models.CharField(
        max_length=7,
        blank=True,
        validators=[swatch_validator],
        help_text="A colour shown instead of the name in the product page's picker (#rrggbb).",
    )

    panels = [FieldRowPanel([FieldPanel("value"), FieldPanel("slug"), FieldPanel("swatch")])]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["definition", "slug"], name="attribute_option_unique")
        ]

    def __str__(self):
        return f"{self.definition.name}: {self.value}"


class ProductStatus(models.TextChoices):
    ACTIVE = "active", "Active: listed and purchasable"
    HIDDEN = "hidden", "Hidden: not listed, not reachable"
    DISABLED = "disabled", "Disabled: listed, marked unavailable"


class ProductQuerySet(SearchableQuerySetMixin, models.QuerySet):
    def delete(self):
        """Deletes the variants first: see `Product.delete`."""
        from commerce.models.variants import ProductVariant

        with transaction.atomic(using=self.db):
            ProductVariant.objects.using(self.db).filter(product__in=self).delete()
            return super().delete()

    def visible(self):
        """What shoppers may see: the live version of active and disabled products."""
        return self.filter(live=True, status__in=[ProductStatus.ACTIVE, ProductStatus.DISABLED])

    def purchasable(self):
        """What shoppers may buy now (stock aside): the live version of active products.

        `Product.is_purchasable` is the same rule for one loaded row."""
        return self.filter(live=True, status=ProductStatus.ACTIVE)

    def related_to(self, product, limit: int = 4) -> list[int]:
        """The ids of the products shown as "You may also like" on `product`'s page, in
        order: the ones staff chose (`Product.related_links`, in their order), else the
        others of its main category (featured first, then by name); storefront-visible
        ones only, `product` itself never. One query, two when nothing chosen is visible."""
        visible = self.visible().exclude(pk=product.pk)
        chosen = list(
            visible.filter(related_from__product=product)
            .order_by("related_from__sort_order", "related_from__pk")
            .values_list("pk", flat=True)[:limit]
        )
        if chosen or product.main_category_id is None:
            return chosen
        return list(
            visible.filter(main_category_id=product.main_category_id)
            .order_by("-is_featured", "name", "pk")
            .values_list("pk", flat=True)[:limit]
        )

    def annotate_approved_schedule(self):
        """Whether a publication is scheduled, in the query (as Wagtail's pages do), so a
        listing that shows `listing_status` costs no query per row."""
        from django.contrib.contenttypes.models import ContentType
        from wagtail.models import Revision

        return self.annotate(
            _approved_schedule=models.Exists(
                Revision.objects.filter(
                    base_content_type=ContentType.objects.get_for_model(self.model),
                    object_id=Cast(models.OuterRef("pk"), models.CharField()),
                    approved_go_live_at__isnull=False,
                )
            )
        )


# The EAN/GTIN rules, used by the model, the catalog import, search and the demo data.
# [0-9], not \d: \d also matches non-ASCII digits such as "١".
EAN_DIGITS = "[0-9]{8,14}"
ean_validator = RegexValidator(f"^{EAN_DIGITS}$", "An EAN/GTIN has 8 to 14 digits.")


def ean_format_ok(ean: str) -> bool:
    return re.fullmatch(EAN_DIGITS, ean) is not None


def ean_check_digit(body: str) -> str:
    """The GS1 check digit for the digits before it: weights 3 and 1 from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def ean_checksum_ok(ean: str) -> bool:
    return ean[-1:] == ean_check_digit(ean[:-1])


class Product(
    PreviewableMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    index.Indexed,
    ClusterableModel,
):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    short_description = models.CharField(blank=True, max_length=500)
    description = RichTextField(blank=True)
    status = models.CharField(
        max_length=10, choices=ProductStatus.choices, default=ProductStatus.ACTIVE, db_index=True
    )
    vat_rate = models.DecimalField(
        "VAT rate (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("23.00"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    unit = models.CharField("unit of measure", max_length=20, default="pcs")
    main_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="main_products"
    )
    additional_categories = ParentalManyToManyField(
        Category, blank=True, related_name="additional_products"
    )
    # Shared attributes only: an attribute that varies per variant is a variant axis on
    # every product, and its filter looks at variants, so a product-level value of it
    # would never be found.
    attribute_options = ParentalManyToManyField(
        AttributeOption,
        blank=True,
        related_name="products",
        verbose_name="attributes",
        limit_choices_to={"definition__varies_per_variant": False},
        help_text="What every variant shares (material, brand). Sizes and colours that "
        "vary are the variants' options.",
    )
    variant_axes = ParentalManyToManyField(
        AttributeDefinition,
        blank=True,
        related_name="products_varying",
        limit_choices_to={"varies_per_variant": True},
        help_text=(
            "What the variants differ in (size, colour). Without axes the product is sold "
            "as one variant."
        ),
    )
    is_featured = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="product",
        for_concrete_model=False,
    )

    objects = ProductQuerySet.as_manager()
    # The edit form's panels live on its snippet viewset (commerce.admin.viewsets), as
    # for every other model the shop's admin edits: models never import the admin.

    search_fields = [
        index.SearchField("name", boost=3),
        index.AutocompleteField("name"),
        index.SearchField("short_description"),
        index.SearchField("description"),
        # The main category and its parents: "kitchen" finds the pans in Kitchen > Pans.
        index.SearchField("search_category_names"),
        index.FilterField("live"),
        index.FilterField("status"),
    ]

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["live", "status"], name="product_listing_idx"),
            # The default listing order: the first page without sorting the catalog.
            models.Index(fields=["name", "id"], name="product_name_order_idx"),
        ]

    def __str__(self):
        return self.name

    def search_category_names(self) -> str:
        """The names of the main category and every category above it, for the search
        document (one query through the unique slug index; `services.search_index`
        reindexes a branch's products when a category in it is renamed or moved)."""
        category = self.main_category
        if category is None:
            return ""
        slugs = category.slug_path.split("/") if category.slug_path else [category.slug]
        names = Category.objects.filter(slug__in=slugs).values_list("name", flat=True)
        return " ".join(names)

    def save(self, *args, **kwargs):
        """Saves the product; added variant axes are written before the variants, removed
        ones after them.

        The database refuses a variant option that is not one of its product's axes, and
        an axis removed while variants still use it (migration 0014). PostgreSQL checks
        at commit, but SQLite checks each row as it is written, and modelcluster writes a
        product's variants (with their options) before its own many-to-many fields.
        """
        pending = getattr(self, "_cluster_related_objects", {})
        if "variant_axes" not in pending or kwargs.get("update_fields") is not None:
            return super().save(*args, **kwargs)
        final = list(pending["variant_axes"])
        removed = []
        if self.pk is not None:
            removed = list(
                AttributeDefinition.objects.filter(products_varying=self).exclude(
                    pk__in=[axis.pk for axis in final]
                )
            )
        variants = pending.pop("variants", None)
        if removed:
            self.variant_axes.set([*final, *removed])
        super().save(*args, **kwargs)  # the row, and every relation but the variants
        if variants is not None:
            self._cluster_related_objects["variants"] = variants
            super().save(update_fields=["variants"])
        if removed:
            self.variant_axes.set(final)
            super().save(update_fields=["variant_axes"])

    def delete(self, *args, **kwargs):
        """Deletes the variants (with their options) before the product's axes.

        A cascade deletes the axes first, which SQLite's row-by-row check (migration 0014)
        refuses while the variants still have options of them.
        """
        from commerce.models.variants import ProductVariant

        with transaction.atomic():
            ProductVariant.objects.filter(product=self).delete()
            return super().delete(*args, **kwargs)

    @property
    def approved_schedule(self):
        if hasattr(self, "_approved_schedule"):  # ProductQuerySet.annotate_approved_schedule
            return self._approved_schedule
        return super().approved_schedule

    @property
    def listing_status(self):
        """The admin listing's "On the shop": what shoppers get of the product now.

        Wagtail's own state (live, live + draft, live + scheduled, draft, scheduled,
        expired) is the listing's Status tag beside it. The status field alone said
        "Active" for products that were off the shop (never published, or waiting for a
        scheduled go-live), so those say "Not on the shop" whatever their status.
        """
        if not self.live:
            return "Not on the shop"
        return self.get_status_display().split(":")[0]  # "Active: listed and …" → "Active"

    @property
    def is_purchasable(self):
        """Buyable now, stock aside; `ProductQuerySet.purchasable` in the database."""
        return self.live and self.status == ProductStatus.ACTIVE

    @property
    def has_price_range(self):
        """Variants at different prices: a tile says "from <price_min>". Reads the listing's
        annotations (services.catalog.listing_query.annotate_variant_summary); False
        without them."""
        price_min = getattr(self, "price_min", None)
        return price_min is not None and price_min != getattr(self, "price_max", None)

    @property
    def is_discounted(self):
        """The cheapest (matching) variant has a higher compare-at price: a tile strikes it
        through. From the listing's annotations, as `has_price_range`."""
        price_min = getattr(self, "price_min", None)
        compare_at = getattr(self, "compare_at_of_cheapest", None)
        return price_min is not None and compare_at is not None and compare_at > price_min

    @property
    def percent_off(self):
        """The cheapest (matching) variant's reduction in whole percent (`money.percent_off`),
        None when not reduced. From the listing's annotations, as `is_discounted`."""
        return percent_off(
            getattr(self, "price_min", None), getattr(self, "compare_at_of_cheapest", None)
        )

    @cached_property
    def available_quantity(self):
        """Units shoppers can buy now, all buyable variants together
        (`ProductVariant.objects.purchasable()`, `Stock.objects.in_active_warehouses()`);
        listings annotate `stock_available` instead."""
        if hasattr(self, "stock_available"):
            return self.stock_available or 0
        if self.pk is None:
            return 0  # a new product being previewed has no stock yet
        from commerce.models.inventory import Stock

        return (
            Stock.objects.in_active_warehouses()
            .filter(variant__product=self, variant__is_active=True)
            .units()
        )

    @property
    def is_in_stock(self):
        return self.available_quantity > 0

    @property
    def availability(self):
        """What shoppers are told of the product as a whole: "unavailable", "in_stock"
        (at least one buyable variant in stock) or "out_of_stock".

        The listing's "in stock only" filter is the database form of "in_stock"
        (services.catalog.listing.apply_filters); `ProductVariant.availability` is the
        same answer for one variant.
        """
        if not self.is_purchasable:
            return "unavailable"
        return "in_stock" if self.is_in_stock else "out_of_stock"

    def get_url(self, request=None):
        from commerce.models.shop_page import ShopPage

        shop = ShopPage.for_request(request)
        return shop.product_url(self, request) if shop else None

    def get_preview_template(self, request, mode_name):
        return "commerce/product_detail.html"

    def get_preview_context(self, request, mode_name):
        from commerce.services.catalog.product_page import product_detail_context

        return product_detail_context(self, request, preview=True)


class ProductImage(Orderable):
    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")
    alt_text = models.CharField(
        max_length=200, blank=True, help_text="Describe the picture; defaults to the image's."
    )

    panels = [FieldPanel("image"), FieldPanel("alt_text")]

    @property
    def alt(self):
        return self.alt_text or self.image.default_alt_text


class ProductDocument(Orderable):
    """A file the product page offers for download (a data sheet, a manual), in order.
    Part of the product's cluster: drafts, revisions and publishing carry it, as they do
    the gallery."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(
        max_length=200, blank=True, help_text="What the link says; defaults to the document's."
    )

    panels = [FieldPanel("document"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        verbose_name = "document"

    @property
    def label(self):
        return self.title or self.document.title


class RelatedProduct(Orderable):
    """A product staff chose to show on another's page ("You may also like"), in order.
    Part of the product's cluster: drafts, revisions and publishing carry the choice."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="related_from",
        verbose_name="product",
    )

    panels = [FieldPanel("related")]

    class Meta(Orderable.Meta):
        verbose_name = "related product"
        constraints = [
            models.UniqueConstraint(fields=["product", "related"], name="related_product_once")
        ]

    def clean(self):
        if self.related_id is not None and self.related_id == self.product_id:
            raise ValidationError({"related": "A product cannot be related to itself."})
