"""Promotions (AMPER's Promo → conditions → rewards), as the integration API v1 lists them.

The shape is the one of AMPER's "Promocje - integracja z systemami zewnętrznymi":
thresholds, prices and quantities are JSON numbers (1.0, 8.0), `value_type` a
string code, `color_in_cart` null when unset. A reward's `product` is AMPER's
product object filled from our variant (what a reward names): `id` the variant's
id, `short_code` its SKU, `name` its description, `cumulative_converter` its units
per bulk package. What is listed: `services.promotion_export`.
"""

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from commerce.integrations.api.listing import (
    LIST_RESPONSES,
    PAGE,
    PAGE_SIZE,
    IsoDateTime,
    page_of,
)
from commerce.integrations.services import catalog_export as export
from commerce.integrations.services import promotion_export
from commerce.integrations.services.catalog_export import decimal_string
from commerce.models import Audience, PromotionStatus, ValueType
from pages.clock import shop_now

router = Router(tags=["promotions"])

PROMOTIONS_UPDATED_SINCE = Query(
    None,
    description="ISO 8601 date or date-time (naive values are UTC): only promotions "
    "published at or after it, or whose reward variants' products were. Encode `+` as "
    "`%2B`, or use `Z`.",
)

# AMPER's `value_type` codes. Its documentation names one ("3": a fixed price); the
# others are ours, in the same style. The one table; the README's copies it.
VALUE_TYPE_CODES: dict[str, str] = {
    ValueType.PERCENT: "1",
    ValueType.AMOUNT: "2",
    ValueType.FIXED_PRICE: "3",
    ValueType.GIFT: "4",
}
VALUE_TYPE_DESCRIPTION = "AMPER's reward type code: " + ", ".join(
    f'"{code}" {ValueType(kind).label.split(" (")[0].lower()}'
    for kind, code in sorted(VALUE_TYPE_CODES.items(), key=lambda item: item[1])
)


def _number(value) -> float:
    return float(value) if value is not None else 0.0


class ImageOut(Schema):
    image: str = Field(description="Absolute URL of the original image file.")
    alt: str


class RewardProductOut(Schema):
    """AMPER's product object, filled from the reward's variant."""

    id: int = Field(description="The variant's id (see /variants/).")
    ean: str = Field(description='EAN/GTIN digits, or "" without one.')
    name: str = Field(
        description='The variant\'s description: "Heritage coat — Size M, Colour Green"; '
        '"" while its product was never published.'
    )
    short_code: str = Field(description="The variant's SKU.")
    default_unit_of_measure: str = Field(description="The product's unit.")
    cumulative_unit_of_measure: str = Field(description='Always "": no bulk unit names.')
    cumulative_converter: str = Field(
        description='Units per bulk package as a decimal string ("24.00"); "1.00" when unset.'
    )
    can_be_split: bool = Field(description="Always true: single units are sold.")
    cumulative_unit_ratio_splitter: str = Field(description="Equal to cumulative_converter.")
    unit_roundup: bool = Field(description="Always false: quantities are whole units.")

    @staticmethod
    def resolve_name(obj):
        return obj.description if obj.product.live else ""

    @staticmethod
    def resolve_short_code(obj):
        return obj.sku

    @staticmethod
    def resolve_default_unit_of_measure(obj):
        return obj.product.unit

    @staticmethod
    def resolve_cumulative_unit_of_measure(obj):
        return ""

    @staticmethod
    def resolve_cumulative_converter(obj):
        return decimal_string(obj.units_per_bulk_package or 1)

    @staticmethod
    def resolve_can_be_split(obj):
        return True

    @staticmethod
    def resolve_cumulative_unit_ratio_splitter(obj):
        return decimal_string(obj.units_per_bulk_package or 1)

    @staticmethod
    def resolve_unit_roundup(obj):
        return False


class RewardOut(Schema):
    id: int = Field(description="The reward's id (create-order's promotion_condition_item_id).")
    given_price: float = Field(description="The fixed price of each unit; 0 for other types.")
    reward_value: float = Field(description="Percent or amount off; 0 for other types.")
    value_type: str = Field(description=VALUE_TYPE_DESCRIPTION + ".")
    quantity: float = Field(description="Units given free (a gift); 0 for other types.")
    product: RewardProductOut

    @staticmethod
    def resolve_given_price(obj):
        return _number(obj.given_price)

    @staticmethod
    def resolve_reward_value(obj):
        return _number(obj.reward_value)

    @staticmethod
    def resolve_value_type(obj):
        return VALUE_TYPE_CODES[obj.value_type]

    @staticmethod
    def resolve_quantity(obj):
        return _number(obj.quantity)

    @staticmethod
    def resolve_product(obj):
        return obj.variant


class ConditionOut(Schema):
    id: int = Field(description="The condition's id (create-order's promotion_condition_id).")
    threshold_min: float
    threshold_max: float = Field(description="0: no upper limit.")
    measure: str = Field(description='"quantity" or "value".')
    rewards: list[RewardOut]

    @staticmethod
    def resolve_threshold_min(obj):
        return _number(obj.threshold_min)

    @staticmethod
    def resolve_threshold_max(obj):
        return _number(obj.threshold_max)

    @staticmethod
    def resolve_rewards(obj):
        return obj.rewards.all()


class CustomerGroupOut(Schema):
    id: int
    name: str


class PromotionOut(Schema):
    id: int
    name: str
    description: str
    start: datetime | None = Field(description="null: from publication.")
    end: datetime | None = Field(description="null: no end.")
    short_code: str
    default_image: ImageOut | None
    keep_bundle_multiplayer_same: bool
    use_promotion_price_for_threshold: bool
    calculate_using_cumulative_units: bool
    multiply_reward: int = Field(description="1: the reward is given once per threshold reached.")
    color_in_cart: str | None = Field(description='"#rrggbb", or null.')
    start_using_default_price: bool
    is_active: bool = Field(description="false: switched off, it applies nowhere.")
    conditions: list[ConditionOut]
    # Ours, beside AMPER's fields:
    status: str = Field(
        description='Ours: "scheduled", "running", "ended" or "inactive" (switched off), now.'
    )
    audience: str = Field(
        description='Ours: "everyone", or "groups": only signed-in customers in customer_groups.'
    )
    customer_groups: list[CustomerGroupOut] = Field(description="Ours: with audience groups.")

    @staticmethod
    def resolve_default_image(obj, context):
        image = obj.default_image
        if image is None:
            return None
        return {
            "image": context["request"].build_absolute_uri(image.file.url),
            "alt": image.default_alt_text,
        }

    @staticmethod
    def resolve_color_in_cart(obj):
        return obj.color_in_cart or None

    @staticmethod
    def resolve_conditions(obj):
        return obj.conditions.all()

    @staticmethod
    def resolve_status(obj, context):
        # One moment for the whole page (`list_promotions` sets it).
        now = getattr(context["request"], "promotions_now", None) or shop_now()
        return PromotionStatus(obj.status_at(now)).value

    @staticmethod
    def resolve_customer_groups(obj):
        if obj.audience != Audience.GROUPS:
            return []
        return obj.customer_groups.all()


@router.get("/promotions/", response={200: list[PromotionOut], **LIST_RESPONSES})
def list_promotions(
    request: HttpRequest,
    response: HttpResponse,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
    updated_since: IsoDateTime | None = PROMOTIONS_UPDATED_SINCE,
):
    """Published promotions (running, scheduled, ended or switched off), by id, with their
    conditions and rewards."""
    since = export.parse_updated_since(updated_since)
    request.promotions_now = shop_now()
    queryset = promotion_export.promotions(updated_since=since)
    return page_of(request, response, queryset, page, page_size)
