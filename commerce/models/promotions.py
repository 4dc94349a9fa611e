"""Promotions: AMPER's model (promotion → conditions → rewards), with its field names.

What a promotion gives a cart is decided in one place, `commerce.services.pricing`
(`promotions.evaluate`), from rules loaded by `commerce.services.promotions`. The
models hold the rules, the window (`start`/`end`) and who may get them; a
promotion is a Wagtail snippet with drafts, revisions, scheduled publishing and
locking, and only its live version counts (`PromotionQuerySet.running`).
"""

from decimal import Decimal

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, Min, Q, Value, When
from django.utils import timezone
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Orderable,
    PreviewableMixin,
    RevisionMixin,
)
from wagtail.search import index

from pages.clock import shop_now
from pages.preview import DatedPreviewMixin

ZERO = Decimal("0")
HUNDRED = Decimal("100")

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour is written #rrggbb.")


class Measure(models.TextChoices):
    """What a condition's thresholds count."""

    QUANTITY = "quantity", "Quantity (units, or bulk units)"
    VALUE = "value", "Value (the qualifying lines' total)"


class Qualifying(models.TextChoices):
    """Which cart lines count toward a condition's threshold. Stored, not inferred
    from the chosen targets (as coupons' scope): emptied targets qualify nothing."""

    REWARDS = "rewards", "The reward variants"
    CHOSEN = "chosen", "The chosen products, variants and categories"


class ValueType(models.TextChoices):
    """What a reward gives. AMPER's `value_type` codes are the API's business
    (`commerce.integrations.api.promotions`)."""

    FIXED_PRICE = "fixed_price", "Fixed price (given_price)"
    PERCENT = "percent", "Percent off (reward_value)"
    AMOUNT = "amount", "Amount off each unit (reward_value)"
    GIFT = "gift", "Free gift (quantity at price 0)"


class Audience(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    GROUPS = "groups", "Signed-in customers in the chosen groups"


class PromotionStatus(models.TextChoices):
    """What the admin listing shows; `Promotion.status_at` decides it."""

    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    ENDED = "ended", "Ended"
    INACTIVE = "inactive", "Switched off"


class PromotionQuerySet(models.QuerySet):
    def in_window(self, now=None):
        now = now or shop_now()
        return self.filter(Q(start__isnull=True) | Q(start__lte=now)).filter(
            Q(end__isnull=True) | Q(end__gt=now)
        )

    def running(self, now=None):
        """Promotions that apply at `now` (default: the shop's now, which a dated preview
        moves): live (published), switched on, in their window.

        `Promotion.is_running` is the same rule for one loaded row."""
        return self.filter(live=True, is_active=True).in_window(now)

    def for_customer(self, user):
        """Those this shopper may get: everyone's, and their groups' when signed in."""
        everyone = Q(audience=Audience.EVERYONE)
        if user is None or not user.is_authenticated:
            return self.filter(everyone)
        return self.filter(
            everyone | Q(audience=Audience.GROUPS, customer_groups__in=user.groups.all())
        ).distinct()

    def annotate_status(self, now=None):
        """`status`: what `Promotion.status_at(now)` says, in the database (the admin
        listing sorts and filters by it). The same order of questions: not live, switched
        off, ended, not started yet, running."""
        now = now or timezone.now()
        return self.annotate(
            status=Case(
                When(live=False, go_live_at__isnull=False, then=Value(PromotionStatus.SCHEDULED)),
                When(live=False, then=Value(PromotionStatus.DRAFT)),
                When(is_active=False, then=Value(PromotionStatus.INACTIVE)),
                When(end__lte=now, then=Value(PromotionStatus.ENDED)),
                When(start__gt=now, then=Value(PromotionStatus.SCHEDULED)),
                default=Value(PromotionStatus.RUNNING),
                output_field=models.CharField(max_length=10),
            )
        )

    def next_change_after(self, now=None):
        """The first moment after `now` at which a live promotion starts or ends, or None.

        Cached pages that show promotions must not outlive it (services.page_cache)."""
        now = now or timezone.now()
        live = self.filter(live=True, is_active=True)
        starts = live.filter(start__gt=now).aggregate(at=Min("start"))["at"]
        ends = live.filter(end__gt=now).aggregate(at=Min("end"))["at"]
        moments = [moment for moment in (starts, ends) if moment is not None]
        return min(moments) if moments else None


class Promotion(
    DatedPreviewMixin,  # the preview "as of" a chosen moment (before PreviewableMixin)
    PreviewableMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    index.Indexed,
    ClusterableModel,
):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    start = models.DateTimeField(
        null=True, blank=True, help_text="When it starts applying. Empty: from publication."
    )
    end = models.DateTimeField(null=True, blank=True, help_text="When it stops. Empty: no end.")
    short_code = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Unique; the promotion page's address (/shop/promotions/<short code>/).",
    )
    default_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Switched off, it applies nowhere, whatever its dates."
    )
    color_in_cart = models.CharField(
        max_length=7,
        blank=True,
        validators=[colour_validator],
        help_text="The colour of its badge in the cart (#rrggbb). Empty: the shop's accent.",
    )
    use_promotion_price_for_threshold = models.BooleanField(
        default=False,
        help_text="A value threshold counts the promoted prices, not the regular ones.",
    )
    start_using_default_price = models.BooleanField(
        default=False,
        help_text="Percent and amount rewards start from the regular (compare-at) price "
        "when the variant has one, not from its current price.",
    )
    calculate_using_cumulative_units = models.BooleanField(
        default=False,
        help_text="Quantity thresholds count bulk units: quantity × the variant's units "
        "per bulk package.",
    )
    multiply_reward = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(1)],
        help_text="1: a gift or amount is given once per threshold reached (30 units at a "
        "threshold of 10 give it 3 times). 0: once.",
    )
    keep_bundle_multiplayer_same = models.BooleanField(
        default=False,
        help_text="A condition's gifts are given in equal multiples or not at all: when one "
        "runs short, the others are cut to match.",
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.EVERYONE)
    customer_groups = ParentalManyToManyField(
        "auth.Group",
        blank=True,
        related_name="promotions",
        help_text="With the audience 'chosen groups': the groups whose members get it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="promotion",
        for_concrete_model=False,
    )

    objects = PromotionQuerySet.as_manager()

    search_fields = [
        index.SearchField("name", boost=2),
        index.AutocompleteField("name"),
        index.SearchField("short_code"),
        index.SearchField("description"),
    ]

    class Meta:
        ordering = ["-start", "name"]
        indexes = [models.Index(fields=["live", "is_active", "start", "end"], name="promo_window")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})

    # The admin's preview: a sample product page and a sample cart priced by the engine
    # with this promotion alone (commerce.services.promotion_preview).
    preview_modes = [("product", "Sample product page"), ("cart", "Sample cart")]

    def get_preview_template(self, request, mode_name):
        from commerce.services.promotion_preview import PREVIEW_TEMPLATES

        return PREVIEW_TEMPLATES[mode_name]

    def get_preview_context(self, request, mode_name):
        from commerce.services.promotion_preview import preview_context

        return {**super().get_preview_context(request, mode_name), **preview_context(self)}

    def is_running(self, now=None) -> bool:
        """`PromotionQuerySet.running` for one loaded row."""
        now = now or shop_now()
        return (
            self.live
            and self.is_active
            and (self.start is None or self.start <= now)
            and (self.end is None or now < self.end)
        )

    def status_at(self, now=None) -> PromotionStatus:
        now = now or timezone.now()
        if not self.live:
            return PromotionStatus.SCHEDULED if self.go_live_at else PromotionStatus.DRAFT
        if not self.is_active:
            return PromotionStatus.INACTIVE
        if self.end is not None and self.end <= now:
            return PromotionStatus.ENDED
        if self.start is not None and now < self.start:
            return PromotionStatus.SCHEDULED
        return PromotionStatus.RUNNING


class PromotionCondition(Orderable, ClusterableModel):
    """A threshold and what reaching it gives. Several conditions make tiers
    (10–49 units at 5.00, 50 and more at 4.50)."""

    promotion = ParentalKey(Promotion, on_delete=models.CASCADE, related_name="conditions")
    threshold_min = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text="The least quantity or value that qualifies.",
    )
    threshold_max = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text="The most that still qualifies; 0: no upper limit.",
    )
    measure = models.CharField(max_length=10, choices=Measure.choices, default=Measure.QUANTITY)
    qualifying = models.CharField(
        "what counts toward the threshold",
        max_length=10,
        choices=Qualifying.choices,
        default=Qualifying.REWARDS,
    )
    qualifying_products = ParentalManyToManyField(
        "commerce.Product", blank=True, related_name="+", verbose_name="products"
    )
    qualifying_variants = ParentalManyToManyField(
        "commerce.ProductVariant", blank=True, related_name="+", verbose_name="variants"
    )
    qualifying_categories = ParentalManyToManyField(
        "commerce.Category",
        blank=True,
        related_name="+",
        verbose_name="categories",
        help_text="Products in these categories or below them.",
    )

    class Meta(Orderable.Meta):
        verbose_name = "condition"

    def __str__(self):
        # ":f": normalize() alone writes 10 as "1E+1".
        upper = f"–{self.threshold_max.normalize():f}" if self.threshold_max else "+"
        return f"{self.threshold_min.normalize():f}{upper} ({self.get_measure_display()})"

    def clean(self):
        super().clean()
        if (
            self.threshold_max
            and self.threshold_min is not None
            and self.threshold_max < self.threshold_min
        ):
            raise ValidationError(
                {"threshold_max": "The upper threshold is below the lower one (0: no limit)."}
            )


class PromotionReward(Orderable):
    """What one condition gives one variant: a price, a reduction, or a gift."""

    condition = ParentalKey(PromotionCondition, on_delete=models.CASCADE, related_name="rewards")
    variant = models.ForeignKey(
        "commerce.ProductVariant", on_delete=models.CASCADE, related_name="promotion_rewards"
    )
    value_type = models.CharField(
        max_length=12, choices=ValueType.choices, default=ValueType.FIXED_PRICE
    )
    given_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="Fixed price: the price of each unit.",
    )
    reward_value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="Percent off (0–100), or the amount off each unit.",
    )
    quantity = models.PositiveIntegerField(
        default=0, help_text="Gift: how many units are given (at price 0)."
    )

    class Meta(Orderable.Meta):
        verbose_name = "reward"

    def __str__(self):
        return f"{self.get_value_type_display()}: {self.variant_id}"

    def clean(self):
        """Each kind needs its own value, named on its field."""
        super().clean()
        errors = {}
        kind = self.value_type
        if kind == ValueType.FIXED_PRICE:
            if self.given_price is None:
                errors["given_price"] = "A fixed price needs the price."
            elif self.variant_id and self.given_price >= self.variant.price:
                errors["given_price"] = (
                    f"The fixed price must be below the variant's price ({self.variant.price})."
                )
        elif kind in (ValueType.PERCENT, ValueType.AMOUNT):
            if not self.reward_value:
                errors["reward_value"] = "Give the reduction (more than 0)."
            elif kind == ValueType.PERCENT and self.reward_value > HUNDRED:
                errors["reward_value"] = "A percentage cannot be above 100."
            elif (
                kind == ValueType.AMOUNT
                and self.variant_id
                and (self.reward_value > self.variant.price)
            ):
                errors["reward_value"] = (
                    f"The amount off is above the variant's price ({self.variant.price})."
                )
        elif kind == ValueType.GIFT and not self.quantity:
            errors["quantity"] = "A gift needs a quantity (1 or more)."
        if errors:
            raise ValidationError(errors)


class VariantPrice(models.Model):
    """One price a variant had on the storefront, from `started_at` until the next row.

    Append-only, written by `commerce.services.price_history.record_prices` whenever a
    price goes live (publish, scheduled publish, import, API), so the lowest price of
    the 30 days before a reduction (EU Directive 2019/2161) is one indexed read.
    """

    variant = models.ForeignKey(
        "commerce.ProductVariant", on_delete=models.CASCADE, related_name="price_history"
    )
    price = models.DecimalField(max_digits=12, decimal_places=2)
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["variant", "started_at", "id"]
        indexes = [models.Index(fields=["variant", "started_at"], name="variant_price_history")]

    def __str__(self):
        return f"{self.variant_id}: {self.price} from {self.started_at:%Y-%m-%d %H:%M}"
