"""The promotion edit form: conditions and their rewards inline, checked as a whole.

Each row's own rules are its model's `clean()` (threshold_max below threshold_min, a gift
without a quantity, a fixed price not below the variant's price...), which Django runs
per inline form and puts on the row's field. This form adds what no single row can see,
each message on the field it is about:

- the short code against other promotions' unpublished drafts too (the database's unique
  index sees only saved rows: two drafts could claim one code and the second publish fail);
- when publishing (not for a draft, which may be unfinished): at least one condition, a
  condition with at least one reward, a "chosen" condition with something chosen, a
  group audience with a group.
"""

from django.db.models import Q
from wagtail.admin.forms import WagtailAdminModelForm

from commerce.models import Audience, Category, ProductVariant, Promotion, Qualifying
from pages.preview import DatedPreviewFormMixin


def _kept(formset):
    """The formset's forms that will be saved: not deleted, not left blank."""
    return [
        form
        for form in formset.forms
        if not formset._should_delete_form(form) and (form.instance.pk or form.has_changed())
    ]


def _variant_field_queryset(field, chosen):
    """Active variants, and whatever the row already has (an inactive one stays valid)."""
    chosen = [getattr(v, "pk", v) for v in chosen or ()]
    field.queryset = (
        ProductVariant.objects.filter(Q(is_active=True) | Q(pk__in=chosen))
        .select_related("product")
        .prefetch_related("options__definition")
        .order_by("product__name", "sort_order", "pk")
    )


class PromotionForm(DatedPreviewFormMixin, WagtailAdminModelForm):
    """With "Preview as of" (pages.preview): the preview at a chosen moment."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        conditions = self.formsets.get("conditions")
        if conditions is not None:
            # Before its forms are built (lazily): all of them, the empty one included.
            conditions.form = self._condition_form_class(conditions.form)

    @staticmethod
    def _tune_condition_form(form):
        field = form.fields.get("qualifying_variants")
        if field is not None:
            _variant_field_queryset(field, form.initial.get("qualifying_variants"))
        categories = form.fields.get("qualifying_categories")
        if categories is not None:
            # Path labels ("Clothing › Coats") for the whole list in one query.
            categories.queryset = Category.objects.with_path_labels()

    def _condition_form_class(self, base):
        tune = self._tune_condition_form

        class ConditionForm(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                tune(self)

        return ConditionForm

    def clean_short_code(self):
        code = self.cleaned_data.get("short_code")
        if not code:
            return code
        others = Promotion.objects.all()
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        # Saved rows are the unique index's (Django's validate_unique says so too);
        # here: another promotion's latest draft that claims it.
        if (
            others.filter(latest_revision__content__short_code=code)
            .exclude(short_code=code)
            .exists()
        ):
            self.add_error(
                "short_code",
                "Another promotion's unpublished draft uses this short code; choose another.",
            )
        return code

    def clean(self):
        cleaned = super().clean()
        if self.is_deferred_validation:
            return cleaned  # a draft may be unfinished; its rows' own rules still apply
        if cleaned.get("audience") == Audience.GROUPS and not cleaned.get("customer_groups"):
            self.add_error("customer_groups", "Choose at least one group, or make it for everyone.")
        conditions = self.formsets.get("conditions")
        if conditions is None:
            return cleaned
        conditions.errors  # noqa: B018 (validates each condition's own fields first)
        kept = _kept(conditions)
        if not kept:
            self.add_error(None, "A promotion needs at least one condition (Conditions tab).")
        for position, form in enumerate(kept, start=1):
            self._check_condition(position, form)
        return cleaned

    @staticmethod
    def _check_condition(position, form):
        data = getattr(form, "cleaned_data", {})
        rewards = form.formsets.get("rewards")
        if rewards is not None:
            rewards.errors  # noqa: B018
            if not _kept(rewards):
                form.add_error(None, f"Condition {position}: add at least one reward (Add reward).")
        if data.get("qualifying") == Qualifying.CHOSEN and not (
            data.get("qualifying_products")
            or data.get("qualifying_variants")
            or data.get("qualifying_categories")
        ):
            form.add_error(
                "qualifying",
                f"Condition {position}: choose the products, variants or categories that "
                "count, or count the reward variants.",
            )
