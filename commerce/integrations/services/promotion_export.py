"""Which promotions the integration API lists, and with what (README, "Integration API").

- Only the live (published) version: a promotion never published, or unpublished
  since, is not listed (an unpublished promotion's row may hold a draft: Wagtail
  saves a draft into the row of an object that is not live). A published
  promotion's pending draft stays in its revisions and never shows.
- Every live promotion is listed, running or not: scheduled ones (start in the
  future), ended ones and switched-off ones (`is_active: false`) too, as AMPER
  lists them, so a client that syncs with `updated_since` learns that a promotion
  was switched off or cut short; it reads `start`, `end` and `is_active` (or our
  `status`) to know whether it applies now.
- Group-only promotions are listed with their `audience` and `customer_groups`:
  the API's client is the shop's integrator (an ERP), who must know who gets them.
- `updated_since`: promotions published at or after it, and those whose reward
  variants changed since (a variant changes when its product is published): the
  reward's `product` object describes the variant.
- Ordered by id; one COUNT and one SELECT per page, plus one query each for the
  conditions, the rewards (with their variant and product), the variants' options
  and the customer groups, whatever the number of promotions.
"""

from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from commerce.models import (
    AttributeOption,
    Promotion,
    PromotionCondition,
    PromotionReward,
)


def promotions(*, updated_since: datetime | None = None) -> QuerySet:
    options = AttributeOption.objects.select_related("definition")
    rewards = (
        PromotionReward.objects.select_related("variant__product")
        .prefetch_related(Prefetch("variant__options", queryset=options))
        .order_by("sort_order", "pk")
    )
    conditions = PromotionCondition.objects.order_by("sort_order", "pk").prefetch_related(
        Prefetch("rewards", queryset=rewards)
    )
    queryset = Promotion.objects.filter(live=True)
    if updated_since is not None:
        changed_reward = PromotionReward.objects.filter(
            condition__promotion=OuterRef("pk"), variant__product__updated_at__gte=updated_since
        )
        queryset = queryset.filter(Q(updated_at__gte=updated_since) | Exists(changed_reward))
    return (
        queryset.select_related("default_image")
        .prefetch_related(Prefetch("conditions", queryset=conditions), "customer_groups")
        .order_by("id")
    )
